"""Notebook 04b's experiments: one part of the network or the recipe changed at a time, each
run short (a subset, a few epochs) so that the point shows in seconds, and measured the same way."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import torch
from torch import nn

from digitlib.config import CHECKPOINTS, TrainConfig
from digitlib.data import MNIST_MEAN, MNIST_STD, MNISTTensors
from digitlib.train import FitResult, evaluate, fit


class RawPixels(nn.Module):
    """A model fed the pixels as stored, 0 to 1, instead of normalised ones: it undoes the
    normalisation the training loop applies, so one recipe can measure what normalising buys."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x * MNIST_STD + MNIST_MEAN)


Variant = tuple[dict, Callable[[], nn.Module] | None]  # (TrainConfig fields to change, model maker)


def compare(variants: dict[str, Variant], base: TrainConfig, out: str = str(CHECKPOINTS / "lesson4b.pth"),
            train: MNISTTensors | None = None, test: MNISTTensors | None = None) -> dict[str, FitResult]:
    """Train each variant from the same seed with base's recipe plus its changes; every model is
    built right after seeding, so the variants start from comparable weights. The caller's random
    state is left as it was."""
    runs = {}
    for name, (changes, make_model) in variants.items():
        cfg = replace(base, **changes, out=out)
        with torch.random.fork_rng():  # seeded here, restored on the way out
            torch.manual_seed(cfg.seed)
            model = make_model() if make_model is not None else None
            runs[name] = fit(cfg, train=train, test=test, model=model, progress=False, verbose=False)
    return runs


def series(runs: dict[str, FitResult], key: str) -> dict[str, list[float]]:
    """One history column per run, ready for plots.curves (accuracies in %)."""
    scale = 100 if key.endswith("accuracy") else 1
    return {name: [scale * r[key] for r in run.history] for name, run in runs.items()}


def gap(run: FitResult, train: MNISTTensors, test: MNISTTensors) -> tuple[float, float]:
    """(accuracy on the digits it trained on, accuracy on test digits), both measured the same
    way: eval mode, no augmentation. Their difference is how much it memorised."""
    return evaluate(run.model, train)["accuracy"], evaluate(run.model, test)["accuracy"]


def is_affine(model: nn.Module, n: int = 4) -> bool:
    """Does model(a + b) - model(0) equal (model(a) - model(0)) + (model(b) - model(0))? True for
    any stack of linear layers, however deep; false as soon as a ReLU bends something."""
    model.eval()
    gen = torch.Generator().manual_seed(0)  # its own random pictures: the caller's random state is untouched
    with torch.no_grad():
        a, b = torch.rand(n, 1, 28, 28, generator=gen), torch.rand(n, 1, 28, 28, generator=gen)
        f0 = model(torch.zeros(n, 1, 28, 28))
        return torch.allclose(model(a + b) - f0, (model(a) - f0) + (model(b) - f0), atol=1e-4)
