"""MNIST, offline first.

The four MNIST files ship gzipped in ``data/MNIST/raw/`` (torchvision's layout). On first
use they are unpacked next to themselves and checked against the canonical MD5 of their
contents, so ``torchvision.datasets.MNIST(root, download=False)`` works without a network.
Where the files are absent we fall back to torchvision's own download. On a shared server whose
course folder is read-only (and not yet unpacked) they are unpacked into the learner's own folder.

For training the whole set is held in memory as tensors (60000x1x28x28 floats is 188 MB):
no per-sample PIL work and no DataLoader on the hot path.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from digitlib.config import REPO_ROOT, can_write, work_dir
from digitlib.errors import DigitsError
from digitlib.outputs import write_atomically

# Canonical MD5 of the *uncompressed* files (the same sums torchvision and LeCun publish).
MD5_UNCOMPRESSED = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

# Mean and std of the 60000 training images' pixels in [0, 1]; notebook 1 recomputes them.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081



COURSE_DATA = REPO_ROOT / "data"
COURSE_RAW = COURSE_DATA / "MNIST" / "raw"  # where the four .gz files ship


def default_root() -> Path:
    """Where MNIST lives: $DIGITS_DATA if set, else the course's data/ folder, unless that lacks the
    unpacked files and cannot be written (a shared server): then data/ in the learner's own folder."""
    if "DIGITS_DATA" in os.environ:
        return Path(os.environ["DIGITS_DATA"])
    if all((COURSE_RAW / name).is_file() for name in MD5_UNCOMPRESSED) or can_write(COURSE_RAW):
        return COURSE_DATA  # a read-only course folder that a teacher unpacked is read as it is
    return work_dir() / "data"


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fix_hint(path: Path) -> str:
    return (f"restore it (git checkout -- {path.name} in its folder, or copy it from a fresh "
            f"clone) or delete {path.parent} to download MNIST again")


def prepare_mnist(root: Path | str | None = None) -> Path:
    """Make sure the four unpacked, verified MNIST files exist under root/MNIST/raw.

    Returns the root to hand to torchvision. Raises DigitsError naming the bad file.
    Several processes may unpack at once (two notebooks opened together): each writes its
    own temporary file and renames it into place, so they never see each other's halves.
    """
    default = root is None and "DIGITS_DATA" not in os.environ
    root = Path(root) if root is not None else default_root()
    raw = root / "MNIST" / "raw"
    _remove_stale_temporaries(raw)
    for name, md5 in MD5_UNCOMPRESSED.items():
        plain, packed = raw / name, raw / (name + ".gz")
        if default and not packed.exists() and (COURSE_RAW / packed.name).exists():
            packed = COURSE_RAW / packed.name  # unpacking into the learner's own folder, from the course's
        for p in (plain, packed):
            if p.is_dir():
                raise DigitsError(f"MNIST file {p} is a folder, not a file: remove it and run again")
        if plain.exists() and _md5(plain) == md5:
            continue
        if not packed.exists():
            if plain.exists():
                raise DigitsError(f"MNIST file {plain} is corrupt (checksum mismatch): {_fix_hint(plain)}")
            return _download(root, packed)
        try:
            with gzip.open(packed, "rb") as src:
                content = src.read()
        except (OSError, EOFError, zlib.error) as e:
            raise DigitsError(f"MNIST file {packed} is corrupt or truncated ({e}): {_fix_hint(packed)}") from None
        if hashlib.md5(content).hexdigest() != md5:
            raise DigitsError(f"MNIST file {packed} has the wrong contents (checksum mismatch): {_fix_hint(packed)}")
        try:
            raw.mkdir(parents=True, exist_ok=True)
            write_atomically(plain, lambda f: f.write(content))
        except OSError as e:
            raise DigitsError(f"cannot unpack MNIST into {raw} ({e.strerror}); make that folder writable, "
                              f"or copy data/ somewhere writable and set DIGITS_DATA to it") from None
    return root


def _remove_stale_temporaries(raw: Path, older_than_s: float = 600) -> None:
    """Temporary files a killed process left behind; a live unpack takes a second, not minutes."""
    for tmp in raw.glob("*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except OSError:
            pass  # another process got there first, or the folder is read-only: harmless


def _download(root: Path, missing: Path) -> Path:
    from torchvision import datasets

    try:  # torchvision prints a line per mirror it tries; our one line replaces them
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for train in (True, False):
                datasets.MNIST(root, train=train, download=True)
    except Exception as e:  # network errors come in many types and many lines; keep the first
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DigitsError(f"MNIST file {missing} is missing and downloading MNIST failed ({first}); "
                          f"copy the four MNIST .gz files into {missing.parent}") from None
    return root


def mnist_dataset(train: bool = True, root: Path | str | None = None, transform=None):
    """torchvision's MNIST dataset over the offline files (for per-sample pipelines)."""
    from torchvision import datasets

    return datasets.MNIST(prepare_mnist(root), train=train, transform=transform, download=False)


NOT_A_DIGIT = -1  # the label of a picture that is no digit at all (the "not sure" check trains on some)


@dataclass(frozen=True)
class MNISTTensors:
    """Digits in memory (MNIST's or your own): images as floats in [0, 1] shaped (N, 1, 28, 28),
    labels as int64. Every subset, mix or device move is a method, so none is built by hand."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, idx) -> "MNISTTensors":
        """The digits at these indices (a list, a tensor of indices or a slice)."""
        return MNISTTensors(self.images[idx], self.labels[idx])

    def subset(self, n: int | None, seed: int = 0) -> "MNISTTensors":
        """A random, fixed subset of n examples (all of them if n is None or too large)."""
        if n is None or n >= len(self):
            return self
        return self.take(torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n])

    def to(self, device: torch.device | str) -> "MNISTTensors":
        return MNISTTensors(self.images.to(device), self.labels.to(device))

    @staticmethod
    def concat(parts: list["MNISTTensors"]) -> "MNISTTensors":
        return MNISTTensors(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]))


def read_idx(path: Path) -> torch.Tensor:
    """An idx file (LeCun's format): 0, 0, type 0x08 (unsigned bytes), the number of dimensions,
    each dimension as a big-endian int32, then the bytes. We read it ourselves rather than through
    torchvision.datasets.MNIST only because importing torchvision takes 1.5 s here, a fortieth
    of the speed recipe's minute; tests check both give the same tensors."""
    data = path.read_bytes()
    if data[:3] != b"\x00\x00\x08":
        raise DigitsError(f"{path} is not an idx file of bytes")
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(data[3])]
    return torch.frombuffer(bytearray(data[4 + 4 * len(shape):]), dtype=torch.uint8).reshape(shape)


def load_mnist(train: bool = True, root: Path | str | None = None) -> MNISTTensors:
    """The whole split as tensors: images (N, 1, 28, 28) in [0, 1], labels int64."""
    raw = prepare_mnist(root) / "MNIST" / "raw"
    prefix = "train" if train else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte").unsqueeze(1).float().div_(255.0)
    return MNISTTensors(images, read_idx(raw / f"{prefix}-labels-idx1-ubyte").long())


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Map pixels in [0, 1] to the zero-mean, unit-std scale the model was trained on."""
    return (images - MNIST_MEAN) / MNIST_STD
