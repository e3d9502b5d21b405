"""The two networks of the course: the reference CNN and a fully connected baseline."""
from __future__ import annotations

import torch
from torch import nn


class DigitCNN(nn.Module):
    """The reference CNN. Shapes for one 28x28 digit:

    28 -conv3-> 26 -pool-> 13 -conv3-> 11 -pool-> 5, and 36 channels x 5 x 5 = 900 features.
    """

    def __init__(self, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 24, kernel_size=3), nn.BatchNorm2d(24), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(24, 36, kernel_size=3), nn.BatchNorm2d(36), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(36 * 5 * 5, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """A fully connected baseline of similar size: every pixel wired to every hidden unit."""

    def __init__(self, hidden: int = 128, dropout: float = 0.5):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


ARCHITECTURES = {"DigitCNN": DigitCNN, "MLP": MLP}


def build_model(arch: str = "DigitCNN") -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
