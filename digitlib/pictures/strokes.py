"""Strokes to pixels, shared by the Tkinter GUI and the notebook pad so both feed the model
exactly the same picture.

Mouse events arrive tens of pixels apart when the hand moves fast; joining consecutive points
with round-capped segments gives smooth, gap-free strokes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageDraw

Point = tuple[float, float]
PAPER, INK = 255, 0  # dark ink on white paper, as people draw; preprocess flips it for the model


def draw_segment(draw: ImageDraw.ImageDraw, p0: Point, p1: Point, width: float) -> None:
    """One round-capped segment from p0 to p1 (a dot when they are equal)."""
    r = width / 2
    if p0 != p1:
        draw.line([p0, p1], fill=INK, width=max(1, round(width)))
    for x, y in (p0, p1):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=INK)


def rasterize(strokes: list[list[Point]], size: int = 280, width: float = 18.0) -> Image.Image:
    """A size x size greyscale picture of the strokes (lists of points) drawn with a round pen."""
    image = Image.new("L", (size, size), PAPER)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) == 1:
            draw_segment(draw, stroke[0], stroke[0], width)
        for p0, p1 in zip(stroke, stroke[1:]):
            draw_segment(draw, p0, p1, width)
    return image


@dataclass
class StrokeRecorder:
    """Collects pen-down / move / pen-up events and keeps a PIL picture in step with them."""

    size: int = 280
    width: float = 18.0
    strokes: list[list[Point]] = field(default_factory=list)

    def __post_init__(self):
        self.image = Image.new("L", (self.size, self.size), PAPER)
        self._draw = ImageDraw.Draw(self.image)
        self.pen_down = False

    def begin(self, x: float, y: float) -> None:
        self.strokes.append([(x, y)])
        self.pen_down = True
        draw_segment(self._draw, (x, y), (x, y), self.width)

    def extend(self, x: float, y: float) -> tuple[Point, Point] | None:
        """Add a point to the current stroke; returns the segment drawn (for the screen) or None."""
        if not self.pen_down:
            return None
        p0 = self.strokes[-1][-1]
        self.strokes[-1].append((x, y))
        draw_segment(self._draw, p0, (x, y), self.width)
        return p0, (x, y)

    def end(self) -> None:
        self.pen_down = False

    def clear(self) -> None:
        self.strokes.clear()
        self.pen_down = False
        self._draw.rectangle([0, 0, self.size, self.size], fill=PAPER)

    @property
    def empty(self) -> bool:
        return not self.strokes
