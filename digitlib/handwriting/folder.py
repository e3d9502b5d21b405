"""Folders of your own digit pictures, in torchvision's ImageFolder layout:

    mydigits/0/any-name.png   mydigits/1/...   ...   mydigits/9/...

Every picture goes through the same preprocessing as a drawing, so the result is the tensors
the trainer and ``evaluate`` use, exactly as for MNIST.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import torch

from digitlib.data import MNISTTensors
from digitlib.errors import DigitsError
from digitlib.pictures.files import is_picture_file
from digitlib.pictures.preprocess import READ, Steps
from digitlib.pictures.reading import read_pictures
from digitlib.train import probabilities

DIGITS = [str(d) for d in range(10)]


@dataclass
class DigitFolder:
    data: MNISTTensors           # images (N, 1, 28, 28) in [0, 1] as the model sees them, labels
    paths: list[Path]            # the picture behind each example
    skipped: list[Path]          # pictures with nothing drawn on them
    unreadable: list[str] = field(default_factory=list)  # "file: why" for pictures that could not be read


def list_pictures(root: str | Path) -> list[tuple[Path, int]]:
    """(picture, digit) for every picture under root/<digit>/; a clear error for anything else."""
    root = Path(root)
    if not root.is_dir():
        raise DigitsError(f"{root}: no such folder (expected {root}/<digit>/<picture>, digits 0-9)")
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    wrong = [p.name for p in subfolders if p.name not in DIGITS]
    if wrong:
        raise DigitsError(f"{root}: subfolders must be named 0-9 after the digit they hold, "
                          f"not {', '.join(repr(w) for w in wrong[:5])}")
    items, others = [], []
    for folder in subfolders:
        for p in sorted(folder.iterdir()):
            if p.name.startswith("."):
                continue
            if p.is_dir():  # refused, not skipped: its pictures would silently go unread
                raise DigitsError(f"{root}: {p.relative_to(root)} is a folder inside a digit's folder; "
                                  f"move its pictures up into {folder.relative_to(root)}/")
            (items if is_picture_file(p) else others).append((p, int(folder.name)))
    if others:
        names = ", ".join(str(p.relative_to(root)) for p, _ in others[:3])
        raise DigitsError(f"{root}: {len(others)} file(s) are not pictures ({names}); move them out")
    if not items:
        raise DigitsError(f"{root}: no pictures found (expected {root}/<digit>/<picture>.png)")
    return items


def load_folder(root: str | Path, progress: bool = False, steps: Steps = READ) -> DigitFolder:
    """Read and preprocess every picture of an ImageFolder-style folder of digits, many at a time
    (digitlib.pictures.reading; progress: a bar on stderr)."""
    images, labels, paths, skipped = [], [], [], []
    unreadable = []
    listed = list_pictures(root)
    reads = chain.from_iterable(read_pictures([path for path, _ in listed], progress=progress, steps=steps))
    for (path, digit), read in zip(listed, reads, strict=True):
        if read.error is not None:  # one damaged picture does not lose the others: it is named and left out
            unreadable.append(str(read.error))
            continue
        pre = read.preprocessed
        if pre.blank:
            skipped.append(path)
            continue
        images.append(pre.image28)
        labels.append(digit)
        paths.append(path)
    if not images:
        raise DigitsError(f"{root}: every picture in it is blank" if not unreadable else
                          f"{root}: no picture in it could be read ({unreadable[0]})")
    data = MNISTTensors(torch.from_numpy(np.stack(images))[:, None], torch.tensor(labels, dtype=torch.long))
    return DigitFolder(data, paths, skipped, unreadable)


def accuracy_by_digit(model, folder: DigitFolder, n: int | None = None) -> dict:
    """How well model reads the folder's first n pictures (all by default): accuracy (0..1), n,
    right/total per digit, and every mistake with its file, what it was read as and how sure."""
    n = min(n or len(folder.data), len(folder.data))  # the first n pictures, so folder.paths[i] stays example i
    data = folder.data.take(slice(0, n))
    probs = probabilities(model, data.images)
    guess, labels = probs.argmax(1), data.labels
    per_digit = {str(d): {"n": int((labels == d).sum()), "right": int(((labels == d) & (guess == d)).sum())}
                 for d in range(10) if (labels == d).any()}
    mistakes = [{"index": i, "file": str(folder.paths[i]), "digit": int(labels[i]), "read_as": int(guess[i]),
                 "confidence": float(probs[i, guess[i]])} for i in torch.nonzero(guess != labels).flatten().tolist()]
    return {"accuracy": float((guess == labels).float().mean()), "n": n, "per_digit": per_digit,
            "mistakes": mistakes}
