"""One pipeline from any picture of one digit to the model's input, made the way MNIST was.

MNIST digits are light ink on black, fitted into a 20x20 box (aspect kept, anti-aliased) and
shifted so their centre of mass is at the centre of a 28x28 field. A drawing or photo
becomes that too:

  grey  ->  ink (polarity detected, background removed, noise measured on the paper alone)
        ->  crop to the ink's bounding box
        ->  (optionally: scale to 80 px and even out stroke width)  ->  fit 20x20  ->  centre of mass at (14, 14)
        ->  normalise with the training mean and std.

The GUI, the notebook pad and the CLI all call ``preprocess``; every step is kept in
``Preprocessed.steps`` so a notebook can show it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from digitlib.data import normalize
from digitlib.pictures.files import needs_turning, upright
from digitlib.pictures.paper import MIN_CONTRAST, PLAIN_FLOOR, find_paper, ink_is_dark, inside3x3, resize, sum3x3

BOX = 20                # MNIST fits each digit into 20x20 ...
FIELD = 28              # ... inside a 28x28 field
WORK = 80               # stroke width is evened out at 4x the 20-px box
STROKE_WIDTH = 7.7      # median MNIST stroke width at WORK scale (10-90%: 5.8-11.5; measured in tests)
NOISE_FLOOR = 8.0       # so is ink within this many noise std of the paper (photos; chosen on training digits)
MAX_SIDE = 256          # larger inputs are shrunk first: enough detail, and it keeps us fast


@dataclass
class Preprocessed:
    """The result: ``tensor`` is (1, 1, 28, 28) normalised, or None when nothing is drawn."""

    tensor: torch.Tensor | None
    image28: np.ndarray                 # 28x28 floats in [0, 1], light ink on black
    blank: bool
    inverted: bool = False              # True when the input was dark ink on light paper
    steps: dict[str, np.ndarray] = field(default_factory=dict)


def to_gray(image) -> np.ndarray:
    """PIL image or array (HxW, HxWx3, HxWx4; uint8 or floats in [0, 1]) -> HxW floats in [0, 1].

    Transparent pixels are treated as paper: an RGBA drawing is laid on a background that
    contrasts with its strokes.
    """
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if isinstance(image, Image.Image):
        if needs_turning(image):  # turned by open_picture already; one opened otherwise (Image.open) is turned here
            image = upright(image)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            image = np.asarray(image.convert("RGBA"))
        else:
            image = np.asarray(image.convert("L"))
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or min(a.shape[:2]) < 1:
        raise ValueError(f"expected a 2-D image (HxW, HxWx3 or HxWx4), got shape {a.shape}")
    a = a.astype(np.float32)
    if a.max(initial=0) > 1.0:
        a = a / 255.0
    if a.ndim == 2:
        return a
    if a.shape[2] == 1:
        return a[..., 0]
    gray = a[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if a.shape[2] == 4:
        alpha = a[..., 3]
        if alpha.max() - alpha.min() > MIN_CONTRAST:  # transparency says where the ink is, at any alpha
            strong = alpha >= 0.5 * alpha.max()   # a soft pen may never reach alpha 0.5
            ink_is_dark = gray[strong].mean() < 0.5
            paper = 1.0 if ink_is_dark else 0.0   # lay it on paper that contrasts with its ink
            gray = gray * alpha + paper * (1 - alpha)
    return gray


def _drop_specks(ink: np.ndarray) -> np.ndarray:
    """Zero ink pixels with fewer than two inked neighbours: a stray speck of noise would
    otherwise stretch the bounding box, while even a 1-px pen line keeps two neighbours."""
    inked = ink > 0
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    kept = np.zeros_like(ink)
    if not rows.size:
        return kept
    # Only around the ink, with a pixel of paper all round: the rest stays 0 (0.29 -> 0.19 ms a pad drawing, measured)
    top, bottom = max(rows[0] - 1, 0), min(rows[-1] + 2, ink.shape[0])
    left, right = max(cols[0] - 1, 0), min(cols[-1] + 2, ink.shape[1])
    m = inked[top:bottom, left:right].astype(np.float32)
    # as torch's avg_pool2d(count_include_pad=False) * 9 did: on the edge, the mean of fewer pixels, times 9
    neighbours = sum3x3(m) / inside3x3(*ink.shape)[top:bottom, left:right] * 9 - m
    kept[top:bottom, left:right] = ink[top:bottom, left:right] * (neighbours >= 2)
    return kept


def _stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: twice the inked area over its boundary length."""
    m = torch.from_numpy((ink > 0.5).astype(np.float32))[None, None]
    eroded = -F.max_pool2d(-m, 3, 1, 1)
    boundary = float((m - eroded).sum())
    return 2 * float(m.sum()) / boundary if boundary else 0.0


def _even_stroke_width(ink: np.ndarray) -> np.ndarray:
    """Thicken thin strokes and thin fat ones towards MNIST's stroke width."""
    width = _stroke_width(ink)
    if width == 0:
        return ink
    t = torch.from_numpy(ink)[None, None]
    k = int(round(abs(STROKE_WIDTH - width)))
    k = min(k - (k + 1) % 2, 15)  # an odd kernel, at most 15 px
    if k >= 3 and width < 0.75 * STROKE_WIDTH:
        t = F.max_pool2d(t, k, 1, k // 2)                  # dilate thin pen strokes
    elif k >= 3 and width > 1.6 * STROKE_WIDTH:
        t = -F.max_pool2d(-t, k, 1, k // 2)                # erode, only for really fat strokes
    return t[0, 0].numpy()


def _center_of_mass(a: np.ndarray) -> tuple[float, float]:
    total = a.sum()
    ys, xs = np.indices(a.shape)
    return float((ys * a).sum() / total), float((xs * a).sum() / total)


@dataclass(frozen=True)
class Steps:
    """Which of the pipeline's extra steps run. All off is the textbook MNIST recipe (PLAIN):
    invert if the median pixel is light, subtract the median, scale to the maximum, zero what is
    below 20%, crop, fit 20x20, centre of mass at (14, 14). Notebook 06 adds them one by one."""

    polarity: bool = True   # the ink is what departs furthest from the paper, not "paper is light"
    paper: bool = True      # paper level along the frame (or under shadows), noise measured on it
    specks: bool = True     # lone noisy pixels do not stretch the crop
    stroke: bool = True     # strokes evened out towards MNIST's width, full-strength ink


FULL = Steps()
PLAIN = Steps(polarity=False, paper=False, specks=False, stroke=False)
# What every model reads with: all steps but evening out the stroke width. That step lifts a model
# that saw only MNIST's pen (the reference recipe's, 1,000 pictures a style) on thick and thin
# pens (96.2 -> 98.1%, 98.5 -> 99.3%) but drops it below the plain pipeline on other writers'
# scanned digits (UCI 94.8 -> 92.5%, 8x8 blown up blockily 82.8 -> 77.6%); without it no style
# reads below plain (UCI 94.7%: one picture in 1,000). A model trained with other pens
# (TrainConfig.pen, the shipped one) reads thick strokes itself and loses by it too (300 a
# style: 8x8 blown up 73.0% with it, 84.3% without; UCI 95.7% / 96.7%).
READ = Steps(stroke=False)


def steps_for(checkpoint: dict) -> Steps:
    """The steps a model reads pictures with (the one place that decides; READ for every model now)."""
    return READ


def preprocess(image, steps: Steps = READ) -> Preprocessed:
    """Turn a picture of one digit into the model's input (see the module docstring)."""
    gray = _shrink(to_gray(image))
    shown: dict[str, np.ndarray] = {"input": gray}
    if steps.polarity:
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])  # mostly paper
        inverted = ink_is_dark(gray, float(np.median(border)))
    else:
        inverted = float(np.median(gray)) > 0.5
    g = 1.0 - gray if inverted else gray  # MNIST is light ink on black
    ink = _ink(g, steps)
    if ink is None:
        return _blank(shown, inverted)
    shown["ink"] = ink

    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    shown["crop"] = crop
    box = _fit_box(crop, steps.stroke)
    shown["fit20"] = box
    image28 = _centre(box)
    shown["centered"] = image28
    tensor = normalize(torch.from_numpy(image28)[None, None])
    shown["normalized"] = tensor[0, 0].numpy()
    return Preprocessed(tensor=tensor, image28=image28, blank=False, inverted=inverted, steps=shown)


def _shrink(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    if max(h, w) <= MAX_SIDE:
        return gray
    s = MAX_SIDE / max(h, w)
    return np.clip(_resize_on_paper(gray, round(w * s), round(h * s)), 0, 1)


def _resize_on_paper(a: np.ndarray, width: int, height: int) -> np.ndarray:
    """resize(a, width, height), the same numbers, resampling only around what differs from blank
    paper in a drawing: where a Lanczos window sees nothing but paper it gives back the paper's
    value. On the bench's 280x280 pad drawings this took the shrink from ~0.6 to ~0.3 ms (measured).

    Only where the output's pixel grid lands on exact binary fractions of the input's (as for
    280 -> 256): PIL then weighs a part (its box) exactly as it weighs the whole picture."""
    paper = a[0, 0]
    h, w = a.shape
    sx, sy = w / width, h / height
    exact = all((scale * 1024).is_integer() and scale * max(width, height) < 2 ** 13 for scale in (sx, sy))
    if not exact or not ((a[0] == paper).all() and (a[-1] == paper).all()
                         and (a[:, 0] == paper).all() and (a[:, -1] == paper).all()):
        return resize(a, width, height)
    differs = a != paper
    rows, cols = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    out = np.full((height, width), paper, dtype=np.float32)
    if not rows.size:
        return out

    def reach(first: int, last: int, scale: float, size: int) -> tuple[int, int]:
        """The output pixels whose window (3 input pixels each side, scaled) may touch first..last, and one more."""
        support = 3 * max(scale, 1.0)
        return (max(math.floor((first - support - 1) / scale) - 1, 0),
                min(math.ceil((last + 1 + support) / scale) + 1, size))

    top, bottom = reach(rows[0], rows[-1], sy, height)
    left, right = reach(cols[0], cols[-1], sx, width)
    img = Image.fromarray(a.astype(np.float32), mode="F")
    part = img.resize((right - left, bottom - top), Image.LANCZOS, box=(left * sx, top * sy, right * sx, bottom * sy))
    out[top:bottom, left:right] = np.asarray(part)
    return out


def _ink(g: np.ndarray, steps: Steps) -> np.ndarray | None:
    """Ink strength in [0, 1] (light ink on black, paper 0), or None when nothing is drawn."""
    level, noise, floor = find_paper(g) if steps.paper else (float(np.median(g)), 0.0, PLAIN_FLOOR)
    ink = np.clip(g - level, 0, None)
    peak = float(ink.max(initial=0))
    if peak < MIN_CONTRAST:
        return None
    ink = ink / peak
    ink[ink < max(floor, NOISE_FLOOR * noise / peak)] = 0.0
    if steps.specks:
        ink = _drop_specks(ink)
    return ink if ink.any() else None


def _fit_box(crop: np.ndarray, even_strokes: bool) -> np.ndarray:
    """The crop with its longest side fitted to 20 px, as MNIST's digits."""
    if even_strokes:  # stroke width is evened out at 4x the 20-px box, then full-strength ink
        ch, cw = crop.shape
        s = WORK / max(ch, cw)
        crop = _even_stroke_width(np.clip(resize(crop, round(cw * s), round(ch * s)), 0, 1))
    s = BOX / max(crop.shape)
    box = np.clip(resize(crop, round(crop.shape[1] * s), round(crop.shape[0] * s)), 0, 1)
    return box / max(float(box.max()), 1e-6) if even_strokes else box


def _centre(box: np.ndarray) -> np.ndarray:
    """The box in a 28x28 field, placed so its centre of mass lands on pixel (14, 14), as in MNIST."""
    cy, cx = _center_of_mass(box)
    bh, bw = box.shape
    top = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - bh))
    left = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - bw))
    image28 = np.zeros((FIELD, FIELD), dtype=np.float32)
    image28[top:top + bh, left:left + bw] = box
    return image28


def _blank(steps: dict, inverted: bool) -> Preprocessed:
    empty = np.zeros((FIELD, FIELD), dtype=np.float32)
    steps["centered"] = empty
    return Preprocessed(tensor=None, image28=empty, blank=True, inverted=inverted, steps=steps)


def to_tensors(images, steps: Steps = READ) -> torch.Tensor:
    """Many pictures as model inputs before normalisation: (N, 1, 28, 28) in [0, 1], one per
    picture in order (a blank one is all zeros), so labels given alongside stay aligned."""
    return torch.from_numpy(np.stack([preprocess(image, steps).image28 for image in images]))[:, None]
