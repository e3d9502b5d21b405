"""Things that are not digits, drawn as a learner would put them on the pad: letters from the
fonts matplotlib ships, shapes and scribbles drawn with the pad's pen.

Used to teach the model to say "not sure" (outlier exposure, digitlib/not_sure.py) and to measure
it. Training and measuring use different kinds: the model is measured on fonts and shapes it
never saw. Letters a person would also read as a digit are left out.
"""
from __future__ import annotations

import string
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitlib.pictures.strokes import rasterize
from digitlib.synthetic.writers import arc

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# O o D (0), I i l j (1), Z z (2), S s (5), b G (6), T (7), B (8), g q (9), and A, which some write like a 4
LOOK_LIKE_DIGITS = set("OoDIiljZzSsbGTBgqA")
LETTERS = "".join(c for c in string.ascii_letters if c not in LOOK_LIKE_DIGITS)
TRAIN_FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf"]
TEST_FONTS = ["STIXGeneral.ttf", "cmr10.ttf", "cmss10.ttf"]   # serif and Computer Modern: never trained on
# Neither trained nor measured on: what the check's recipe is chosen by (bench/not_sure.py --validation),
# with three Liberation faces where the system has them
VALIDATION_FONTS = ["DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf"]
LIBERATION = Path("/usr/share/fonts/truetype/liberation")
VALIDATION_SYSTEM_FONTS = [str(LIBERATION / f) for f in
                           ("LiberationSerif-Regular.ttf", "LiberationSans-Italic.ttf", "LiberationMono-Regular.ttf")]


def letter(char: str, font: str, rng: np.random.Generator, pad: int = 280) -> Image.Image:
    """One letter, dark on white, at a random size, place and small rotation."""
    size = int(rng.uniform(0.45, 0.8) * pad)
    face = ImageFont.truetype(str(FONTS / font), size)  # an absolute path stays itself
    image = Image.new("L", (pad, pad), 255)
    ImageDraw.Draw(image).text((pad / 2, pad / 2), char, font=face, fill=0, anchor="mm")
    return image.rotate(rng.uniform(-15, 15), fillcolor=255)


def _pen(strokes, rng, pad=280):
    return rasterize(strokes, size=pad, width=rng.uniform(10, 26))


def _place(points, rng, pad=280):
    """Unit-box points to a random box on the pad."""
    return _place_all([points], rng, pad)[0]


def _place_all(strokes, rng, pad=280):
    """Several strokes of one shape, moved to one random box on the pad together."""
    size = rng.uniform(0.4, 0.8) * pad
    x0, y0 = rng.uniform(0.1 * pad, 0.9 * pad - size, 2)
    return [[(x0 + x * size, y0 + y * size) for x, y in points] for points in strokes]


# Shapes the model is trained to doubt ...
def square(rng):
    return _pen([_place([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], rng)], rng)


def triangle(rng):
    return _pen([_place([(0.5, 0), (1, 1), (0, 1), (0.5, 0)], rng)], rng)


def star(rng):
    a = np.radians(np.arange(6) * 144 - 90)
    return _pen([_place(list(zip(0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a))), rng)], rng)


def scribble(rng):
    """A random tangle: a smoothed random walk."""
    steps = rng.normal(0, 0.25, (12, 2)).cumsum(0)
    steps = (steps - steps.min(0)) / np.ptp(steps, 0).clip(1e-6)
    return _pen([_place(steps.tolist(), rng)], rng)


def hash_sign(rng):
    return _pen(_place_all([[(0.3, 0), (0.3, 1)], [(0.7, 0), (0.7, 1)], [(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
                           rng), rng)


def polygon(rng):
    """A random closed polygon of 3 to 7 corners."""
    a = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 8)))
    r = rng.uniform(0.5, 1, len(a)) / 2
    pts = list(zip(0.5 + r * np.cos(a), 0.5 + r * np.sin(a)))
    return _pen([_place(pts + pts[:1], rng)], rng)


def curves(rng):
    """One to three random smooth curves (random low-frequency waves)."""
    strokes = []
    for _ in range(rng.integers(1, 4)):
        t = np.linspace(0, 1, 24)[:, None]
        c = rng.normal(0, 0.3, (3, 2))
        p = rng.uniform(0, 1, 2) + c[0] * t + c[1] * np.sin(np.pi * t) + c[2] * np.sin(2 * np.pi * t)
        strokes.append(p.tolist())
    allp = np.concatenate(strokes)
    lo, span = allp.min(0), np.ptp(allp, 0).max().clip(1e-6)
    return _pen(_place_all([((np.asarray(s) - lo) / span).tolist() for s in strokes], rng), rng)


def dots(rng):
    """Two to six dots."""
    pts = rng.uniform(0, 1, (rng.integers(2, 7), 2))
    return _pen(_place_all([[tuple(p)] for p in pts], rng), rng)


def lines(rng):
    """Two to four straight strokes at random."""
    return _pen(_place_all([rng.uniform(0, 1, (2, 2)).tolist() for _ in range(rng.integers(2, 5))], rng), rng)


def boxed(rng):
    """An outline (a polygon) with one to three marks inside it."""
    a = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 7)))
    outline = list(zip(0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)))
    marks = [(0.5 + rng.uniform(-0.2, 0.2, (rng.integers(1, 3), 2))).tolist() for _ in range(rng.integers(1, 4))]
    return _pen(_place_all([outline + outline[:1], *marks], rng), rng)


# ... and shapes it never sees in training, kept for measuring.
def smiley(rng):
    face = arc(0.5, 0.5, 0.5, 0.5, 0, 360, 30)
    eyes = [[(0.35, 0.35)], [(0.65, 0.35)]]
    mouth = arc(0.5, 0.55, 0.25, 0.2, 20, 160, 10)
    return _pen(_place_all([face, *eyes, mouth], rng), rng)


def heart(rng):
    t = np.linspace(0, 2 * np.pi, 40)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return _pen([_place(list(zip((x + 17) / 34, (y + 17) / 34)), rng)], rng)


def arrow(rng):
    return _pen(_place_all([[(0, 0.5), (1, 0.5)], [(0.7, 0.2), (1, 0.5), (0.7, 0.8)]], rng), rng)


def dot(rng):
    """A single dot: one tap on the pad."""
    x, y = rng.uniform(60, 220, 2)
    return rasterize([[(x, y)]], width=rng.uniform(10, 30))


TRAIN_SHAPES = {"square": square, "triangle": triangle, "star": star, "scribble": scribble, "hash": hash_sign,
                "polygon": polygon, "curves": curves, "dots": dots, "lines": lines, "boxed": boxed}
TEST_SHAPES = {"smiley": smiley, "heart": heart, "arrow": arrow, "dot": dot}


def make(kind: str, n: int, seed: int = 0) -> list[Image.Image]:
    """n pictures of one kind: a shape name (here or in digitlib.synthetic.symbols), "letters" / "symbols"
    (training fonts), "letters:<font>" / "symbols:<font>", or "held_out_symbols"."""
    from digitlib.synthetic import symbols  # here, not above: symbols imports this module (a cycle)

    rng = np.random.default_rng([seed, sum(map(ord, kind))])
    if kind.startswith("letters"):
        fonts = [kind.split(":", 1)[1]] if ":" in kind else TRAIN_FONTS
        return [letter(LETTERS[rng.integers(len(LETTERS))], fonts[rng.integers(len(fonts))], rng) for _ in range(n)]
    if kind.startswith("symbols") or kind == "held_out_symbols":
        chars = symbols.HELD_OUT_SYMBOLS if kind == "held_out_symbols" else symbols.SYMBOLS
        fonts = ([kind.split(":", 1)[1]] if ":" in kind else TRAIN_FONTS if kind == "symbols"
                 else TRAIN_FONTS + ["STIXGeneral.ttf"])
        return [symbols.symbol_kind(chars, fonts, rng) for _ in range(n)]
    draw = {**TRAIN_SHAPES, **TEST_SHAPES, **symbols.TRAIN_SHAPES, **symbols.TEST_SHAPES}[kind]
    return [draw(rng) for _ in range(n)]
