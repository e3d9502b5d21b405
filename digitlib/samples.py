"""MNIST test digits dressed up as the pictures learners make: drawn on a big pad or photographed.

Used to check that preprocessing recovers them (tests, bench/drawn_digits.py) and by the
drawing notebook when no one is there to draw (CI).
"""
from __future__ import annotations

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
