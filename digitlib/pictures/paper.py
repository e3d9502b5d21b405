"""Where the paper ends and the ink begins: the paper's level (flat, or a map under uneven light),
its noise, the ink's polarity, and the small numpy tools they are built on.

preprocess.py calls these for its "ink" step. Each quick tool below (quick_median, sum3x3, ...)
returns what the plain numpy or torch call would, to the bit, and says what it saved, measured on
the drawn-digit bench.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MIN_CONTRAST = 0.08     # ink must differ from the paper by this much (0..1) to count as drawn
INK_FLOOR = 0.1         # ink weaker than this (relative to the strongest) is paper under uneven light
CLEAN_PAPER = 0.004     # a frame's paper this even (one-sided std) is a digital picture, not a photo or scan
FLAT_PAPER = 0.06       # paper this even along the frame (of the ink's contrast) is flat
PLAIN_FLOOR = 0.2       # the textbook recipe's threshold, relative to the strongest ink


def resize(a: np.ndarray, width: int, height: int) -> np.ndarray:
    """Anti-aliased resize of a float image (Lanczos, as MNIST's own anti-aliasing)."""
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.array(img.resize((max(1, width), max(1, height)), Image.LANCZOS), dtype=np.float32)


def paper_along_frame(g: np.ndarray, split: float) -> list[float]:
    """The paper's level on each half of each side of the frame (eight numbers; ink is bright).

    Light that changes across the page makes them differ; noise does not, as each is a median.
    The ink may touch the frame, on all four sides in a digit cut tight to its ink (forms,
    datasets), so only pixels on the paper's side of Otsu's split of the picture (split) count.
    """
    h, w = g.shape
    halves = [g[0, :w // 2 + 1], g[0, w // 2:], g[-1, :w // 2 + 1], g[-1, w // 2:],
              g[:h // 2 + 1, 0], g[h // 2:, 0], g[:h // 2 + 1, -1], g[h // 2:, -1]]
    # The ink's soft edge also falls on the paper's side: a low percentile keeps to the paper, and
    # a half that is mostly ink is skipped.
    levels = paper_quartiles(halves, split)
    paper = g[g <= split]  # an even picture (a blank page) may have nothing below Otsu's split
    return levels or [float(np.median(paper)) if paper.size else float(g.min())]


def paper_quartiles(parts: list[np.ndarray], split: float) -> list[float]:
    """[np.percentile(part[part <= split], 25) for each part with at least a quarter of it there],
    the same numbers, in one sort of all the parts at once (eight calls to np.percentile took
    ~1.5 ms a picture, this ~0.15 ms, measured)."""
    lengths = np.array([len(part) for part in parts])
    table = np.full((len(parts), lengths.max()), np.inf, dtype=parts[0].dtype)
    for row, part in zip(table, parts):
        row[:len(part)] = part
    table[table > split] = np.inf  # the ink's side sorts last
    table.sort(axis=1)
    counts = (table <= split).sum(axis=1)
    rows = np.nonzero(counts / lengths >= 0.25)[0]
    if not rows.size:
        return []
    # numpy's 'linear' percentile: a lerp, in the picture's float type, between the order statistics around (n - 1) / 4
    at = (counts[rows] - 1) * 0.25
    low = np.minimum(np.floor(at).astype(np.intp), counts[rows] - 1)
    a, b = table[rows, low], table[rows, np.minimum(low + 1, counts[rows] - 1)]
    t = (at - low).astype(table.dtype)
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t).tolist()


def paper_level(g: np.ndarray, split: float) -> float | np.ndarray:
    """Paper brightness: one number for flat paper, else a map of every pixel's.

    When the paper along the frame is evenly lit, it is taken as flat: drawings, clean scans and
    digits cut tight to their ink, whatever the pen. Otherwise (photos: shadows, uneven light)
    the ink is taken out by a morphological opening on a ~40 px copy, then scaled back. That
    opening would also take the cores of very fat strokes for paper, which is why it is kept
    for pictures that need it.
    """
    levels = sorted(paper_along_frame(g, split))
    # Drop the brightest and darkest half: ink crossing the frame may still tip one of them.
    spread = levels[-2] - levels[1] if len(levels) > 3 else levels[-1] - levels[0]
    if spread < FLAT_PAPER * max(float(g.max()) - levels[0], MIN_CONTRAST):
        return float(np.median(levels))
    h, w = g.shape
    s = 40 / max(h, w)
    small = torch.from_numpy(resize(g, round(w * s), round(h * s)))[None, None]
    opened = F.max_pool2d(-F.max_pool2d(-small, 7, 1, 3), 7, 1, 3)  # erode, then dilate
    opened = F.avg_pool2d(opened, 5, 1, 2, count_include_pad=False)
    return F.interpolate(opened, size=(h, w), mode="bilinear", align_corners=False)[0, 0].numpy()


def quick_histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """np.histogram(values, bins), the same counts and edges; quicker where most pixels are the
    lowest value (blank paper in a drawing): they all fall in the first bin, so only the others
    are binned (0.6 -> 0.3 ms on the bench's 256x256 pad drawings, measured)."""
    values = values.ravel()
    low, high = values.min(), values.max()
    at_low = values == low
    n_low = int(np.count_nonzero(at_low))
    if low == high or n_low < values.size // 4:
        return np.histogram(values, bins=bins)
    hist, edges = np.histogram(values[~at_low], bins=bins, range=(low, high))  # the same edges as the whole picture's
    hist[0] += n_low  # the lowest value is the first edge, in the first bin
    return hist, edges


def quick_median(values: np.ndarray) -> float:
    """np.median(values); at once where more than half of them are the lowest value (blank paper:
    the middle is then that value; it saved ~0.2 ms a picture on the bench's pad drawings)."""
    low = values.min()
    if 2 * int(np.count_nonzero(values == low)) > values.size + 1:
        return float(low)
    return float(np.median(values))


def otsu(values: np.ndarray) -> float:
    """Otsu's threshold: the level that best splits values into two classes (paper and ink)."""
    hist, edges = quick_histogram(values, bins=128)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mean0 = m0 / np.maximum(w0, 1)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(centres[int(np.argmax(between))])


def sum3x3(a: np.ndarray) -> np.ndarray:
    """Each pixel's 3x3 neighbourhood summed (zeros beyond the edge), added in the order torch's
    avg_pool2d adds them (row by row), so float sums come out bit for bit as its did."""
    p = np.pad(a, 1)
    h, w = a.shape
    total = p[:h, :w].copy()
    for dy, dx in ((0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)):
        total += p[dy:dy + h, dx:dx + w]
    return total


def mean3x3(a: np.ndarray) -> np.ndarray:
    """The 3x3 mean over the pixels inside the picture (avg_pool2d(3, 1, 1, count_include_pad=False)).

    numpy instead of torch: torch's avg_pool2d took ~1 ms on a 256x256 picture, twice per
    picture (polarity and specks), this ~0.15 ms (one thread; measured on the bench's pad drawings)."""
    return sum3x3(a.astype(np.float32, copy=False)) / inside3x3(*a.shape)


def inside3x3(h: int, w: int) -> np.ndarray:
    """How many pixels of each one's 3x3 neighbourhood lie inside an h x w picture."""
    rows, cols = np.full(h, 3, np.float32), np.full(w, 3, np.float32)
    rows[0] -= 1  # fewer neighbours on the edge (a picture one row high: 1)
    rows[-1] -= 1
    cols[0] -= 1
    cols[-1] -= 1
    return rows[:, None] * cols[None, :]


def ink_is_dark(gray: np.ndarray, paper: float) -> bool:
    """Polarity: the ink is what departs furthest from the paper, darker or lighter.

    Not "is the paper light?": pencil on dark grey paper is still dark ink. A 3x3 mean keeps
    single noisy pixels from deciding.
    """
    smooth = mean3x3(gray)
    return paper - float(smooth.min()) > float(smooth.max()) - paper


def find_paper(g: np.ndarray) -> tuple[float | np.ndarray, float, float]:
    """(level, noise, floor): the paper's level (one number on flat paper, a map under uneven
    light), its noise (a std, in g's units) and the weakest ink kept, relative to the strongest."""
    split = otsu(g)  # paper and ink, once for every step below
    background = paper_level(g, split)
    if isinstance(background, float):
        # Flat paper. On a clean digital picture (no noise on the frame's paper, on its far side
        # from the ink, where no soft edge is) the median is the paper when it lies on the paper's
        # side, as in the textbook recipe: a blurry or blown-up digit's soft edge is then paper.
        frame = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
        frame = frame[frame <= split]
        far_side = float(np.median(frame) - np.percentile(frame, 16)) if frame.size else 0.0
        median = quick_median(g)
        if far_side < CLEAN_PAPER and median <= split:
            return max(background, median), far_side, PLAIN_FLOOR
    return background, paper_noise(g - background), INK_FLOOR


def paper_noise(diff: np.ndarray) -> float:
    """The median absolute deviation (as a std) of the paper alone, on Otsu's side of it: in a
    tight crop the ink can be half the picture and would pass for noise."""
    paper = diff[diff <= otsu(diff)]
    return 1.4826 * float(np.median(np.abs(paper - np.median(paper)))) if paper.size else 0.0
