"""Digits from writers who are not in MNIST: hand-made stroke paths drawn with the pad's own pen.

Each digit has a few ways of being written (a 1 with or without a flag and a foot, a 7 with or
without a crossbar, an open or a closed 4, ...). A *writer* picks one way per digit and keeps a
slant, a width and a pen; each sample then wobbles the strokes a little, as a hand does. The
pictures are drawn with ``digitlib.pictures.strokes.rasterize``, exactly as a drawing on the pad is.

These are synthetic: they stand in for a learner's own drawings when nobody is there to draw
(CI, the bundled sample folder of notebook 07). They are not MNIST renders.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlib.pictures.strokes import rasterize

Stroke = list[tuple[float, float]]


def arc(cx, cy, rx, ry, start, stop, n=16) -> Stroke:
    """Points on an ellipse, angles in degrees, 0 = right, 90 = down (screen coordinates)."""
    a = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(a), cy + ry * np.sin(a)))


def line(*points) -> Stroke:
    return [tuple(map(float, p)) for p in points]


# Digits in a unit box: x to the right, y down. Each entry: name -> list of strokes.
WAYS: dict[int, dict[str, list[Stroke]]] = {
    0: {"oval": [arc(.5, .5, .32, .48, -90, 275, 24)],
        "slashed": [arc(.5, .5, .32, .48, -90, 275, 24), line((.72, .15), (.28, .85))],
        "dotted": [arc(.5, .5, .32, .48, -90, 275, 24), line((.5, .5))]},
    1: {"stick": [line((.5, 0), (.5, 1))],
        "flag": [line((.3, .22), (.55, 0), (.55, 1))],
        "foot": [line((.3, .2), (.55, 0), (.55, 1)), line((.3, 1), (.8, 1))],
        "long-flag": [line((.1, .3), (.6, 0), (.6, 1))]},
    2: {"swan": [arc(.5, .28, .3, .26, 190, 370, 12) + line((.75, .45), (.2, 1), (.85, 1))],
        "looped": [arc(.5, .28, .3, .26, 190, 370, 12) + line((.75, .45), (.25, .95))
                   + arc(.3, .9, .1, .1, -40, 200, 8) + line((.3, 1), (.9, .98))],
        "zed": [line((.15, 0), (.85, 0), (.15, 1), (.85, 1))]},
    3: {"round": [arc(.45, .27, .3, .25, 200, 450, 14) + arc(.45, .73, .33, .27, -90, 160, 14)],
        "flat": [line((.2, 0), (.8, 0), (.45, .4)) + arc(.45, .7, .33, .3, -90, 160, 14)]},
    4: {"open": [line((.6, 0), (.15, .65), (.9, .65)), line((.68, .35), (.68, 1))],
        "closed": [line((.65, 1), (.65, 0), (.1, .65), (.92, .65))],
        "two-stroke": [line((.2, 0), (.2, .6), (.9, .6)), line((.75, 0), (.75, 1))],
        "cup": [line((.2, 0), (.2, .3)) + arc(.5, .3, .3, .3, 180, 0, 10) + line((.8, 0), (.8, 1))]},
    5: {"hook": [line((.8, 0), (.3, 0), (.25, .45)) + arc(.48, .68, .32, .32, -140, 150, 14)],
        "two-stroke": [line((.3, 0), (.25, .45)) + arc(.48, .68, .32, .32, -140, 150, 14),
                       line((.3, 0), (.85, 0))]},
    6: {"loop": [arc(.75, .55, .55, .55, -100, -180, 10) + arc(.5, .7, .3, .3, 180, 540, 20)],
        "straight": [line((.65, 0), (.25, .6)) + arc(.5, .72, .28, .28, 170, 530, 20)],
        "small-loop": [line((.7, 0), (.3, .7)) + arc(.45, .85, .15, .15, 180, 540, 14)]},
    7: {"plain": [line((.1, 0), (.9, 0), (.4, 1))],
        "crossed": [line((.1, 0), (.9, 0), (.4, 1)), line((.35, .5), (.85, .5))],
        "serif": [line((.1, .15), (.1, 0), (.9, 0), (.45, 1))],
        "short": [line((.35, 0), (.8, 0), (.5, 1))]},
    8: {"snowman": [arc(.5, .25, .25, .25, 90, 450, 18), arc(.5, .73, .32, .27, -90, 270, 20)],
        "figure": [arc(.5, .25, .27, .25, 60, 270, 12) + line((.6, .45)) + arc(.5, .74, .3, .26, -60, 230, 14)
                   + line((.4, .5), (.74, .2)) + arc(.5, .25, .27, .25, -60, 60, 4)]},
    9: {"stick": [arc(.45, .3, .3, .28, 0, 360, 20) + line((.75, .3), (.72, 1))],
        "curl": [arc(.45, .3, .3, .28, 0, 360, 20) + line((.75, .3), (.7, .8)) + arc(.45, .8, .25, .2, 0, 150, 8)],
        "g": [arc(.5, .25, .3, .25, 0, 360, 20) + line((.8, .25), (.8, .75)) + arc(.5, .75, .3, .25, 0, 170, 10)]},
}


@dataclass(frozen=True)
class Writer:
    """A hand: one way of writing each digit, a slant, a width, a pen."""

    name: str
    ways: dict[int, str]
    slant: float = 0.0        # x shift per unit of height (positive leans right)
    aspect: float = 0.7       # width / height of the box the digit fills
    pen: float = 18.0         # stroke width on a 280 px pad
    wobble: float = 0.04      # how far a hand strays from the path, in box units

    def strokes(self, digit: int, rng: np.random.Generator, pad: int = 280) -> list[Stroke]:
        """One sample of digit in pad pixels: size, place, slant, and every stroke wobbled."""
        height = rng.uniform(0.45, 0.8) * pad
        width = height * self.aspect * rng.uniform(0.85, 1.15)
        slant = self.slant + rng.normal(0, 0.06)
        shrink = min(1.0, 0.75 * pad / (width + abs(slant) * height))  # a wide, slanted digit still fits
        height, width = height * shrink, width * shrink
        x0 = rng.uniform(0.1 * pad, pad - width - 0.1 * pad - abs(slant) * height)
        y0 = rng.uniform(0.08 * pad, pad - height - 0.08 * pad)
        out = []
        for stroke in WAYS[digit][self.ways[digit]]:
            p = np.asarray(stroke, dtype=float)
            t = np.linspace(0, 1, len(p))[:, None]
            a, b = rng.normal(0, self.wobble, (2, 2))  # a smooth drift from one end to the other
            p = p + (1 - t) * a + t * b
            x = x0 + max(slant, 0) * height + (p[:, 0] - slant * p[:, 1]) * width
            out.append(list(zip(x, y0 + p[:, 1] * height)))
        return out

    def draw(self, digit: int, rng: np.random.Generator, pad: int = 280):
        """A pad-sized PIL picture of one sample, dark ink on white."""
        return rasterize(self.strokes(digit, rng, pad), size=pad, width=self.pen * rng.uniform(0.8, 1.2))


# The writers of the bundled sample folder. Each has habits MNIST's writers rarely share.
WRITERS = [
    Writer("ada", {0: "slashed", 1: "foot", 2: "looped", 3: "flat", 4: "closed", 5: "two-stroke",
                   6: "straight", 7: "crossed", 8: "snowman", 9: "curl"}, slant=0.15, aspect=0.75),
    Writer("bo", {0: "oval", 1: "flag", 2: "swan", 3: "round", 4: "two-stroke", 5: "hook",
                  6: "loop", 7: "serif", 8: "figure", 9: "stick"}, slant=-0.2, aspect=0.9, pen=24),
    Writer("cy", {0: "oval", 1: "stick", 2: "swan", 3: "round", 4: "open", 5: "hook",
                  6: "loop", 7: "plain", 8: "snowman", 9: "stick"}, slant=0.3, aspect=0.6, pen=12),
    Writer("dee", {0: "slashed", 1: "long-flag", 2: "looped", 3: "flat", 4: "open", 5: "two-stroke",
                   6: "straight", 7: "crossed", 8: "figure", 9: "curl"}, slant=0.0, aspect=1.0, pen=16),
    Writer("eve", {0: "dotted", 1: "long-flag", 2: "zed", 3: "flat", 4: "cup", 5: "two-stroke",
                   6: "small-loop", 7: "short", 8: "figure", 9: "g"}, slant=-0.1, aspect=0.95, pen=20,
           wobble=0.06),
]


def write_folder(writer: Writer, root: str | Path, per_digit: int, seed: int = 0) -> Path:
    """Save per_digit samples of each digit as root/<digit>/<writer>-<k>.png (ImageFolder layout).
    The pen draws only black or white, so 1-bit PNGs lose nothing and are 4x smaller."""
    root = Path(root)
    rng = np.random.default_rng([seed, sum(map(ord, writer.name))])
    for digit in range(10):
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        for k in range(per_digit):
            writer.draw(digit, rng).convert("1").save(root / str(digit) / f"{writer.name}-{k:03d}.png", optimize=True)
    return root
