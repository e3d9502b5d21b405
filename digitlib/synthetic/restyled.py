"""MNIST test digits dressed up as the pictures learners make: drawn on a big pad or photographed.

Used to check that preprocessing recovers them (tests, bench/drawn_digits.py) and by the
drawing notebook when no one is there to draw (CI).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter


def on_pad(digit28: np.ndarray, rng: np.random.Generator, pad: int = 280,
           stroke: float = 1.0) -> np.ndarray:
    """Dark ink on a white pad: the digit scaled to a random size and put at a random place.

    stroke < 1 thins the pen (the grey edge is cut off), > 1 thickens it.
    """
    size = int(rng.integers(pad // 5, pad - 10))
    big = np.asarray(Image.fromarray((digit28 * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC),
                     dtype=np.float32) / 255
    if stroke < 1:
        big = (big > 1 - stroke * 0.6).astype(np.float32)
    elif stroke > 1:
        k = int(size / 28 * (stroke - 1) * 2) | 1
        big = np.asarray(Image.fromarray((big * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(k)),
                         dtype=np.float32) / 255
    canvas = np.zeros((pad, pad), dtype=np.float32)
    y, x = rng.integers(0, pad - size + 1, size=2)
    canvas[y:y + size, x:x + size] = big
    return 1.0 - canvas  # dark on light, like a drawing pad


def as_photo(digit28: np.ndarray, rng: np.random.Generator, size: int = 200) -> np.ndarray:
    """Pencil on grey paper under uneven light, with sensor noise and a little blur, as a uint8 photo."""
    pad = on_pad(digit28, rng, size)
    ink_strength = rng.uniform(0.35, 0.7)          # pencil is not black
    paper = rng.uniform(0.45, 0.85)                # grey paper
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + 0.25 * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))  # a shadow gradient
    photo = paper * light * (1 - ink_strength * (1 - pad))
    photo = photo + rng.normal(0, 0.03, photo.shape)
    img = Image.fromarray((np.clip(photo, 0, 1) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))
    return np.asarray(img)


def tight_crop(digit28: np.ndarray, rng: np.random.Generator, size: int = 96,
               dark_on_light: bool = True) -> np.ndarray:
    """Cut to the ink's bounding box (ink above 30/255), as forms and datasets store digits, then
    squared with paper on the short side only and scaled to size x size: the ink touches the frame."""
    ys, xs = np.nonzero(digit28 > 30 / 255)
    crop = digit28[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    side = max(h, w)
    square = np.zeros((side, side), dtype=np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = crop
    img = Image.fromarray((square * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
    ink = np.asarray(img, dtype=np.float32) / 255
    return 1.0 - ink if dark_on_light else ink


def tight_crop_all_sides(digit28: np.ndarray, rng: np.random.Generator, size: int = 96,
                         dark_on_light: bool = True) -> np.ndarray:
    """Cut to the ink's bounding box and stretched to size x size, so the ink touches all four
    sides, as datasets that store digits cropped to their ink, or a cell cut from a form."""
    ys, xs = np.nonzero(digit28 > 30 / 255)
    crop = digit28[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    img = Image.fromarray((crop * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
    ink = np.asarray(img, dtype=np.float32) / 255
    return 1.0 - ink if dark_on_light else ink


def tiny_blurred(digit28: np.ndarray, rng: np.random.Generator, cells: int = 8, size: int = 96) -> np.ndarray:
    """A tiny picture (cells x cells) blown up smoothly (bilinear), dark on light: the way an 8x8
    dataset digit looks when shown big."""
    small = Image.fromarray((digit28 * 255).astype(np.uint8)).resize((cells, cells), Image.BOX)
    return 1.0 - np.asarray(small.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255


def uci_digits(size: int = 96) -> tuple[list[np.ndarray], np.ndarray]:
    """The UCI optdigits test digits that scikit-learn ships (1,797 digits by 43 writers, 8x8,
    ink 0-16), blown up bilinearly to size x size, dark on light: pictures MNIST never saw."""
    from sklearn.datasets import load_digits  # here, not above: the pad and window never pay for it
    uci = load_digits()
    pictures = [1.0 - np.asarray(Image.fromarray((d / 16 * 255).astype(np.uint8)).resize((size, size), Image.BILINEAR),
                                 dtype=np.float32) / 255 for d in uci.images]
    return pictures, uci.target.astype(np.int64)


def write_uci_folder(indices, root, start: int = 0):
    """UCI digits (by index into scikit-learn's 1,797) as a learner's folder, 8x8 as scanned (dark
    on white): root/<digit>/<start + k>.png for the k-th index. Returns root."""
    from sklearn.datasets import load_digits  # here, not above: the pad and window never pay for it
    uci, root = load_digits(), Path(root)
    for k, i in enumerate(indices):
        (root / str(uci.target[i])).mkdir(parents=True, exist_ok=True)
        pixels = (255 - uci.images[i] * 255 / 16).astype(np.uint8)
        Image.fromarray(pixels).save(root / str(uci.target[i]) / f"{start + k:04d}.png")
    return root


def blocky(digit28: np.ndarray, rng: np.random.Generator, cells: int = 8, size: int = 64) -> np.ndarray:
    """A tiny picture (cells x cells, like the 8x8 digits of scikit-learn) blown up blockily."""
    small = Image.fromarray((digit28 * 255).astype(np.uint8)).resize((cells, cells), Image.BOX)
    return 1.0 - np.asarray(small.resize((size, size), Image.NEAREST), dtype=np.float32) / 255


def on_transparent(digit28: np.ndarray, rng: np.random.Generator, pad: int = 280) -> np.ndarray:
    """A soft pen on a transparent background: dark ink whose alpha peaks at 0.2-0.5, as RGBA uint8."""
    ink = 1.0 - on_pad(digit28, rng, pad)
    rgba = np.zeros((pad, pad, 4), dtype=np.uint8)
    rgba[..., :3] = rng.integers(0, 60, size=3)  # a dark colour
    rgba[..., 3] = (ink * rng.uniform(0.2, 0.5) * 255).astype(np.uint8)
    return rgba


def on_grey_scan(digit28: np.ndarray, rng: np.random.Generator, size: int = 160) -> np.ndarray:
    """A flat scan: ink of any darkness on evenly lit grey paper, light noise, as uint8."""
    pad = on_pad(digit28, rng, size)
    paper, ink = rng.uniform(0.55, 0.9), rng.uniform(0.05, 0.35)
    scan = paper - (paper - ink) * (1 - pad) + rng.normal(0, 0.02, pad.shape)
    return (np.clip(scan, 0, 1) * 255).astype(np.uint8)


def chalk(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light ink on a dark board."""
    return 0.15 + 0.8 * (1.0 - on_pad(digit28, rng))


# Every style, by the name the bench and the notebooks print: MNIST test digits dressed up, or
# (UCI) pictures from other writers. A 1 cut tight on all four sides is a filled rectangle that
# no reader could tell, so those styles leave the 1s out.
STYLES = {
    "MNIST digit as is": lambda d, r: d,
    "drawn on 280x280 pad": on_pad,
    "pad, thin pen": lambda d, r: on_pad(d, r, stroke=0.5),
    "pad, thick pen": lambda d, r: on_pad(d, r, stroke=2.0),
    "photo, grey paper": as_photo,
    "flat scan, grey paper": on_grey_scan,
    "chalk: light ink on a dark board": chalk,
    "soft pen on a transparent sheet": on_transparent,
    "cut tight, squared with paper, 96 px": tight_crop,
    "cut tight on 4 sides, 96 px": tight_crop_all_sides,
    "cut tight on 4 sides, 16 px, either polarity":
        lambda d, r: tight_crop_all_sides(d, r, 16, dark_on_light=bool(r.integers(2))),
    "8x8 blown up blockily": blocky,
    "8x8 blown up smoothly": tiny_blurred,
    "UCI digits: 43 other writers, 8x8 blown up to 96 px": None,
}
NO_ONES = {"cut tight on 4 sides, 96 px", "cut tight on 4 sides, 16 px, either polarity"}


def style(name: str, digits: np.ndarray, labels: np.ndarray, n: int, seed: int = 0):
    """(pictures, labels): the first n digits (28x28 floats in [0, 1]) dressed in the named style,
    or n of the UCI digits spread over all 43 writers."""
    if STYLES[name] is None:
        pictures, targets = uci_digits()
        pick = np.linspace(0, len(targets) - 1, min(n, len(targets))).round().astype(int)
        return [pictures[i] for i in pick], targets[pick]
    keep = [i for i in range(len(labels)) if not (name in NO_ONES and labels[i] == 1)][:n]
    rng = np.random.default_rng(seed)
    return [STYLES[name](digits[i], rng) for i in keep], np.asarray(labels)[keep]
