"""What the drawing surfaces show, drawn once as pictures: the ten probability bars, the 28x28
input the model read, and the feature maps inside the network. The Tk window and the notebook
pad both show these same pictures, so they cannot drift apart.

Drawn with Pillow rather than matplotlib: a few milliseconds per update, fast enough to follow
the pen.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from digitlib.predict import Prediction

GREEN, BLUE_GREY, GREY = (34, 170, 119), (153, 170, 187), (190, 190, 190)
_FONT = ImageFont.load_default(size=11)


def bars(p: Prediction | None, width: int = 220, row: int = 16) -> Image.Image:
    """Ten horizontal bars, one per digit; the chosen digit green (grey when the model is not sure)."""
    image = Image.new("RGB", (width, 10 * row), "white")
    draw = ImageDraw.Draw(image)
    probs = p.probs if p is not None else [0.0] * 10
    best = GREEN if p is not None and p.sure else GREY
    for d, prob in enumerate(probs):
        y = d * row
        draw.text((4, y + 2), str(d), fill="black", font=_FONT)
        if prob > 0:
            draw.rectangle([20, y + 3, 20 + (width - 58) * prob, y + row - 3],
                           fill=best if p is not None and d == p.digit else BLUE_GREY)
        if prob >= 0.01:
            draw.text((width - 4, y + 2), f"{prob:.0%}", fill="black", font=_FONT, anchor="ra")
    return image


def seen(p: Prediction | None, scale: int = 4) -> Image.Image:
    """The 28x28 picture the model read, enlarged with visible pixels."""
    image28 = p.preprocessed.image28 if p is not None else np.zeros((28, 28), np.float32)
    return Image.fromarray((np.clip(image28, 0, 1) * 255).astype(np.uint8)).resize((28 * scale, 28 * scale),
                                                                                   Image.NEAREST)


def _grid(maps: torch.Tensor, cols: int, cell: int, top: list[int]) -> Image.Image:
    """Channel maps (C, H, W) as a grid, each scaled to its own range; the top ones framed in green."""
    c = maps.shape[0]
    rows = -(-c // cols)
    image = Image.new("RGB", (cols * (cell + 4), rows * (cell + 4)), "white")
    draw = ImageDraw.Draw(image)
    lo = maps.amin(dim=(1, 2), keepdim=True)
    hi = maps.amax(dim=(1, 2), keepdim=True)
    scaled = ((maps - lo) / (hi - lo).clamp_min(1e-6) * 255).to(torch.uint8).numpy()
    for k in range(c):
        x, y = (k % cols) * (cell + 4), (k // cols) * (cell + 4)
        if k in top:
            draw.rectangle([x, y, x + cell + 3, y + cell + 3], fill=GREEN)
        image.paste(Image.fromarray(scaled[k]).resize((cell, cell), Image.NEAREST).convert("RGB"), (x + 2, y + 2))
    return image


def inside_panel(stages: dict[str, torch.Tensor], top: int = 3) -> Image.Image:
    """The feature maps after conv1 and conv2 (each after ReLU and max pooling) of one drawing,
    each layer labelled with its shape, the `top` channels that fired most framed and named."""
    panels = []
    for k, layer, cols, cell in ((1, "conv1", 8, 39), (2, "conv2", 12, 25)):
        # the block's output: after pool (DigitCNN: conv, BN, ReLU, pool) or ReLU (SpeedCNN pools first)
        maps = stages[[n for n in stages if n in (f"pool{k}", f"relu{k}")][-1]][0]
        c, h, w = maps.shape
        strongest = maps.mean(dim=(1, 2)).argsort(descending=True)[:top].tolist()
        grid = _grid(maps, cols, cell, strongest)
        panel = Image.new("RGB", (grid.width, grid.height + 30), "white")
        ImageDraw.Draw(panel).text((0, 1), f"{layer} + ReLU + pool: {c} maps of {h}x{w}\nmost active (framed): "
                                   f"{', '.join('#' + str(s) for s in strongest)}", fill="black", font=_FONT)
        panel.paste(grid, (0, 30))
        panels.append(panel)
    out = Image.new("RGB", (max(p.width for p in panels), sum(p.height + 6 for p in panels)), "white")
    y = 0
    for p in panels:
        out.paste(p, (0, y))
        y += p.height + 6
    return out
