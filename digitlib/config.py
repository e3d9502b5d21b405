"""Every training hyperparameter in one place: the origin's reference recipe is the default."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace

from .data import REPO_ROOT

DEFAULT_CHECKPOINT = REPO_ROOT / "checkpoints" / "mnist_cnn_best.pth"


@dataclass
class TrainConfig:
    arch: str = "DigitCNN"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    step_size: int = 10          # StepLR: multiply the learning rate by gamma every step_size epochs
    gamma: float = 0.1
    augment: bool = True         # RandomAffine law: rotation +-degrees, shift +-translate
    degrees: float = 15.0
    translate: float = 0.1
    # torchvision's RandomAffine default, as the origin used it; it measured better here than
    # bilinear (best test accuracy 99.53/99.60% vs 99.34-99.44%, see README)
    interpolation: str = "nearest"
    seed: int = 0
    train_subset: int | None = None  # None = all 60000 training images
    test_subset: int | None = None   # None = all 10000 test images
    device: str = "auto"         # "auto" picks CUDA when present
    channels_last: bool = True   # ~1.8x faster convolutions on CPU here (bench/benchmark.py)
    out: str = str(DEFAULT_CHECKPOINT)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def fast(self) -> "TrainConfig":
        """A small, quick version for CI and trying things out: minutes become seconds."""
        return replace(self, epochs=min(self.epochs, 2), train_subset=6000, test_subset=2000,
                       step_size=min(self.step_size, 1))

    def describe(self) -> str:
        return "\n".join(f"  {k:<14} {v}" for k, v in self.as_dict().items())


def fast_mode() -> bool:
    """True when DIGITS_FAST=1: notebooks and tests then shrink data and epochs."""
    return os.environ.get("DIGITS_FAST", "0") not in ("", "0", "false", "no")
