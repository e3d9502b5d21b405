"""More things that are not digits (digitlib.synthetic.nondigits makes them by name): symbols typed in a
font, filled shapes, and symbols drawn with the pad's pen.

Each group has kinds the check trains on and kinds kept for measuring only, so the measure is of
kinds it never saw: other fonts, other filled shapes, other symbols and other hands.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitlib.synthetic.nondigits import _pen, _place_all, letter
from digitlib.synthetic.writers import arc

# Symbols nobody reads as a digit. Left out: / \ | ( ) [ ] { } (a 1), and anything else a slanted
# or curved single stroke makes. Trained in the DejaVu fonts; measured in STIX and Computer Modern.
SYMBOLS = "+=%#?!&@*<>$~^÷×±"
HELD_OUT_SYMBOLS = "§¶©®£¥"  # never trained on; drawn in DejaVu and STIX (Computer Modern lacks them)
# Computer Modern's TeX encoding puts other glyphs there (< is ¡, ± is ffi, ¶ an accent) or none
_TEX = "<>÷×±§¶©®£¥"
MISSING = {"cmr10.ttf": _TEX, "cmss10.ttf": _TEX}


def symbol_kind(chars: str, fonts: list[str], rng: np.random.Generator) -> Image.Image:
    font = fonts[rng.integers(len(fonts))]
    usable = [c for c in chars if c not in MISSING.get(font, "")]
    return letter(usable[rng.integers(len(usable))], font, rng)


# Filled shapes: a filled disc is read as a heavy 0, a filled box as an 8 or 0.
def _filled(points_unit, rng, pad=280):
    """A filled polygon (unit-box points) at a random size, place and rotation."""
    (pts,) = _place_all([points_unit], rng, pad)
    image = Image.new("L", (pad, pad), 255)
    ImageDraw.Draw(image).polygon(pts, fill=0)
    return image.rotate(rng.uniform(-180, 180), center=tuple(np.mean(pts, 0)), fillcolor=255)


def disc(rng):
    """A filled ellipse, round to somewhat oval."""
    a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    squash = rng.uniform(0.6, 1)
    return _filled(list(zip(0.5 + np.cos(a) / 2, 0.5 + squash * np.sin(a) / 2)), rng)


def filled_box(rng):
    h = rng.uniform(0.5, 1)
    return _filled([(0, 0), (1, 0), (1, h), (0, h)], rng)


def blob(rng):
    """A smooth random filled shape: a circle whose radius wobbles at low frequencies."""
    a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    r = 1 + sum(rng.normal(0, 0.15) * np.cos(k * a + rng.uniform(0, 2 * np.pi)) for k in range(2, 5))
    return _filled(list(zip(0.5 + r * np.cos(a) / 2.6, 0.5 + r * np.sin(a) / 2.6)), rng)


# ... kept for measuring:
def filled_triangle(rng):
    return _filled([(0.5, 0), (1, 1), (0, 1)], rng)


def filled_star(rng):
    a = np.radians(np.arange(10) * 36 - 90)
    r = np.where(np.arange(10) % 2, 0.2, 0.5)
    return _filled(list(zip(0.5 + r * np.cos(a), 0.5 + r * np.sin(a))), rng)


def filled_heart(rng):
    t = np.linspace(0, 2 * np.pi, 40)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return _filled(list(zip((x + 17) / 34, (y + 17) / 34)), rng)


# Symbols drawn with the pad's pen, each stroke wobbling a little as a hand does.
def _hand(strokes, rng, wobble=0.03):
    return _pen(_place_all([[(x + rng.normal(0, wobble), y + rng.normal(0, wobble)) for x, y in s]
                            for s in strokes], rng), rng)


def pen_plus(rng):
    cx, cy = rng.uniform(0.35, 0.65, 2)
    return _hand([[(cx, rng.uniform(0, 0.15)), (cx, rng.uniform(0.85, 1))],
                  [(rng.uniform(0, 0.15), cy), (rng.uniform(0.85, 1), cy)]], rng)


def pen_question(rng):
    hook = arc(0.5, 0.28, rng.uniform(0.25, 0.35), 0.25, 180, rng.uniform(400, 430), 14)
    return _hand([hook + [(0.5, rng.uniform(0.65, 0.75))], [(0.5, 0.95)]], rng, wobble=0.015)


def pen_equals(rng):
    gap = rng.uniform(0.15, 0.4)
    return _hand([[(0, 0.5 - gap), (1, 0.5 - gap)], [(rng.uniform(0, 0.1), 0.5 + gap), (rng.uniform(0.9, 1), 0.5 + gap)]],
                 rng)


# ... kept for measuring: other symbols, and the trained ones by another hand (curved, tilted).
def pen_percent(rng):
    return _hand([[(0.85, 0), (0.15, 1)], arc(0.2, 0.18, 0.15, 0.17, 0, 360, 16), arc(0.8, 0.82, 0.15, 0.17, 0, 360, 16)],
                 rng)


def pen_asterisk(rng):
    a0 = rng.uniform(0, np.pi / 3)
    return _hand([[(0.5 - 0.5 * np.cos(a), 0.5 - 0.5 * np.sin(a)), (0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a))]
                  for a in a0 + np.arange(3) * np.pi / 3], rng)


def pen_exclaim(rng):
    return _hand([[(0.5, 0), (0.5, rng.uniform(0.6, 0.72))], [(0.5, 0.95)]], rng, wobble=0.01)


def _tilt(strokes, degrees):
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    return [[(0.5 + c * (x - 0.5) - s * (y - 0.5), 0.5 + s * (x - 0.5) + c * (y - 0.5)) for x, y in st] for st in strokes]


def pen_plus_other_hand(rng):
    """A plus of bowed strokes, tilted up to 20 degrees, the crossing off centre."""
    bow = rng.uniform(-0.1, 0.1, 2)
    t = np.linspace(0, 1, 9)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    strokes = [[(cx + bow[0] * np.sin(np.pi * u), u) for u in t], [(u, cy + bow[1] * np.sin(np.pi * u)) for u in t]]
    return _hand(_tilt(strokes, rng.uniform(-20, 20)), rng, wobble=0.015)


def pen_question_other_hand(rng):
    """A question mark with a wide round hook, a curled tail and a dash for a dot."""
    hook = arc(0.5, 0.3, 0.4, 0.3, 160, 450, 18)
    tail = arc(0.62, 0.62, 0.12, 0.1, 270, 160, 6)
    return _hand(_tilt([hook + tail, [(0.46, 0.93), (0.54, 0.97)]], rng.uniform(-15, 15)), rng, wobble=0.015)


def pen_equals_other_hand(rng):
    """Two wavy, slanted strokes of different lengths."""
    t = np.linspace(0, 1, 9)
    gap = rng.uniform(0.12, 0.3)
    strokes = [[(u, 0.5 + side * gap + 0.04 * np.sin(2 * np.pi * u + rng.uniform(0, 6))) for u in t[k:]]
               for side, k in ((-1, 0), (1, rng.integers(0, 3)))]
    return _hand(_tilt(strokes, rng.uniform(-15, 15)), rng, wobble=0.01)


TRAIN_SHAPES = {"disc": disc, "filled_box": filled_box, "blob": blob,
                "pen_plus": pen_plus, "pen_question": pen_question, "pen_equals": pen_equals}
TEST_SHAPES = {"filled_triangle": filled_triangle, "filled_star": filled_star, "filled_heart": filled_heart,
               "pen_percent": pen_percent, "pen_asterisk": pen_asterisk, "pen_exclaim": pen_exclaim,
               "pen_plus_other_hand": pen_plus_other_hand, "pen_question_other_hand": pen_question_other_hand,
               "pen_equals_other_hand": pen_equals_other_hand}
