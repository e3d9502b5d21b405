"""Collecting your own digits: each drawing saved as drawn into FOLDER/<digit>/<name>.png
(torchvision's ImageFolder layout), the digit asked for cycling through 0-9.

Used by the notebook pad and the Tk window alike. A save is atomic and never replaces an
earlier drawing; undo removes the last one saved in this session.
"""
from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from .atomic import write_atomically
from .errors import DigitsError
from .folder import DIGITS
from .outputs import refuse_course_models


class Collector:
    def __init__(self, root: str | Path, start: int = 0):
        self.root = Path(root)
        refuse_course_models(self.root, "folder")
        if self.root.exists() and not self.root.is_dir():
            raise DigitsError(f"{self.root} is a file; give a folder to collect digits into")
        self.next_digit = start
        self.saved: list[tuple[int, Path]] = []   # this session's saves, newest last, for undo

    @property
    def prompt(self) -> str:
        return f"Draw a {self.next_digit}"

    def counts(self) -> dict[int, int]:
        """How many pictures of each digit the folder holds (earlier sessions included)."""
        return {d: sum(1 for p in (self.root / str(d)).glob("*.png") if not p.name.startswith("."))
                if (self.root / str(d)).is_dir() else 0 for d in range(10)}

    def summary(self) -> str:
        return "  ".join(f"{d}: {n}" for d, n in self.counts().items())

    def save(self, image: Image.Image, digit: int | None = None) -> Path:
        """Save image as a picture of digit (default: the one asked for); then ask for the next."""
        digit = self.next_digit if digit is None else digit
        if str(digit) not in DIGITS:
            raise DigitsError(f"{digit!r} is not a digit 0-9")
        low, high = image.convert("L").getextrema()
        if low == high:
            raise DigitsError(f"nothing drawn: draw a {digit} first")
        folder = self.root / str(digit)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for k in range(1000):  # a name no earlier drawing has: never overwrite one
                path = folder / f"{stamp}-{k:03d}.png"
                if path.exists():
                    continue
                try:
                    write_atomically(path, lambda f: image.save(f, format="PNG"), overwrite=False)
                    break
                except FileExistsError:  # another window saved the same name a moment ago
                    continue
        except OSError as e:
            raise DigitsError(f"cannot save into {folder}: {e.strerror or e}") from None
        self.saved.append((digit, path))
        self.next_digit = (digit + 1) % 10
        return path

    def undo(self) -> Path | None:
        """Remove the last drawing saved in this session and ask for its digit again."""
        if not self.saved:
            return None
        digit, path = self.saved.pop()
        path.unlink(missing_ok=True)
        self.next_digit = digit
        return path


def split_sheet(image: Image.Image, rows: int = 10, cols: int = 10, margin: float = 0.06) -> list[list[Image.Image]]:
    """Cut a scanned sheet ruled into a rows x cols grid into cells (row r, column c), each cell
    trimmed by `margin` of its size on every side so the ruled lines stay out."""
    w, h = image.size
    cells = []
    for r in range(rows):
        row = []
        for c in range(cols):
            x0, x1, y0, y1 = c * w / cols, (c + 1) * w / cols, r * h / rows, (r + 1) * h / rows
            mx, my = margin * (x1 - x0), margin * (y1 - y0)
            row.append(image.crop((round(x0 + mx), round(y0 + my), round(x1 - mx), round(y1 - my))))
        cells.append(row)
    return cells


def collect_sheet(image: Image.Image, root: str | Path, rows: int = 10, cols: int = 10) -> list[Path]:
    """A teacher's shortcut: a sheet where row r holds the digit r written `cols` times becomes
    pictures in root/<r>/. Empty cells are skipped."""
    from .preprocess import preprocess

    collector, saved = Collector(root), []
    for digit, row in enumerate(split_sheet(image, rows, cols)):
        for cell in row:
            if not preprocess(cell).blank:
                saved.append(collector.save(cell, digit % 10))
    return saved
