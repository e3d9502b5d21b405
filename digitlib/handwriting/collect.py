"""Collecting your own digits: each drawing saved as drawn into FOLDER/<digit>/<name>.png
(torchvision's ImageFolder layout), the digit asked for cycling through 0-9.

Used by the notebook pad and the Tk window alike. A save is atomic and never replaces an
earlier drawing; undo removes the last one saved in this session.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from digitlib.config import MY_DIGITS, learner_path, read_only_hint
from digitlib.errors import DigitsError
from digitlib.handwriting.folder import DIGITS
from digitlib.outputs import refuse_course_models, remove_stale_temporaries, write_atomically
from digitlib.pictures.files import is_picture_file
from digitlib.pictures.preprocess import preprocess


class Collector:
    def __init__(self, root: str | Path, start: int = 0):
        self.root = Path(root)
        refuse_course_models(self.root, "folder")
        if self.root.exists() and not self.root.is_dir():
            raise DigitsError(f"{self.root} is a file; give a folder to collect digits into")
        for d in DIGITS:  # half-written saves of a killed session (hidden .tmp files)
            if (self.root / d).is_dir():
                remove_stale_temporaries(self.root / d, ".*.tmp")
        self.next_digit = start
        self.saved: list[tuple[int, Path]] = []   # this session's saves, newest last, for undo

    @property
    def prompt(self) -> str:
        return f"Draw a {self.next_digit}"

    def counts(self) -> dict[int, int]:
        """How many pictures of each digit the folder holds (earlier sessions included)."""
        def pictures(folder: Path) -> int:  # every picture evaluate and finetune would read
            return sum(1 for p in folder.iterdir() if is_picture_file(p)) if folder.is_dir() else 0
        return {d: pictures(self.root / str(d)) for d in range(10)}

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
            learner_path(folder).mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            # a name no earlier drawing has: never overwrite one; when a thousand saves took this
            # second's names, a random one (returning a taken name would let undo delete its file)
            names = [f"{stamp}-{k:03d}" for k in range(1000)] + [f"{stamp}-{uuid.uuid4().hex}" for _ in range(3)]
            for name in names:
                path = folder / f"{name}.png"
                if path.exists():
                    continue
                try:
                    write_atomically(path, lambda f: image.save(f, format="PNG"), overwrite=False)
                    break
                except FileExistsError:  # another window saved the same name a moment ago
                    continue
            else:
                raise DigitsError(f"cannot find a free name in {folder}")
        except OSError as e:
            raise DigitsError(f"cannot save into {folder}: {e.strerror or e}{read_only_hint(folder, MY_DIGITS)}") from None
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


def _ruled_lines(dark: np.ndarray, axis: int) -> list[float]:
    """Centres of the long straight lines across the picture along axis (0: vertical lines).
    A ruled line is dark along most of the page; spreading each dark pixel a few pixels
    sideways lets a slightly turned scan's line count whole, not a column of digits."""
    reach = 1 + dark.shape[axis] // 300
    spread = dark.copy()
    for k in range(1, reach + 1):
        spread |= np.roll(dark, k, axis=1 - axis) | np.roll(dark, -k, axis=1 - axis)
    frac = spread.mean(axis=axis)
    frac = frac >= 0.6
    runs, start = [], None
    for i, on in enumerate(np.append(frac, False)):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start + i - 1) / 2)
            start = None
    return runs


def _grid(lines: list[float], n: int, side: int) -> tuple[float, float] | None:
    """(first, last) of n evenly spaced boxes ruled by lines (the page edges may be the outer
    lines), or None when these lines are not such a grid."""
    for edges in (lines, [0.0, *lines, side - 1.0]):
        if len(edges) != n + 1:
            continue
        gaps = np.diff(edges)
        if gaps.min() >= 8 and gaps.max() - gaps.min() <= 0.2 * gaps.mean():
            return edges[0], edges[-1]
    return None


def find_grid(image: Image.Image, rows: int, cols: int) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom) of the ruled grid of rows x cols cells on a scanned
    sheet; a DigitsError when there is none, so a photo of anything else is not cut into "digits"."""
    g = np.asarray(image.convert("L"), dtype=np.uint8)
    dark = g < (int(g.min()) + int(g.max())) / 2 if g.max() > g.min() else np.zeros(g.shape, bool)
    vertical, horizontal = _ruled_lines(dark, 0), _ruled_lines(dark, 1)
    x, y = _grid(vertical, cols, g.shape[1]), _grid(horizontal, rows, g.shape[0])
    if x is None or y is None:
        raise DigitsError(f"no ruled grid of {rows} rows x {cols} columns found on the sheet "
                          f"({len(horizontal)} horizontal and {len(vertical)} vertical lines); "
                          f"rule it into boxes, or give the --rows and --cols it has")
    return round(x[0]), round(y[0]), round(x[1]), round(y[1])


def split_sheet(image: Image.Image, rows: int = 10, cols: int = 10, margin: float = 0.06) -> list[list[Image.Image]]:
    """Cut a scanned sheet ruled into a rows x cols grid into cells (row r, column c), each cell
    trimmed by `margin` of its size on every side so the ruled lines stay out."""
    image = image.crop(find_grid(image, rows, cols))
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
    collector, saved = Collector(root), []
    for digit, row in enumerate(split_sheet(image, rows, cols)):
        for cell in row:
            if not preprocess(cell).blank:
                saved.append(collector.save(cell, digit % 10))
    return saved
