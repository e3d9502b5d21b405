"""The two networks of the course: the reference CNN and a fully connected baseline."""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class DigitCNN(nn.Module):
    """The reference CNN. Shapes for one 28x28 digit:

    28 -conv3-> 26 -pool-> 13 -conv3-> 11 -pool-> 5, and 36 channels x 5 x 5 = 900 features.
    """

    def __init__(self, dropout: float = 0.5, batchnorm: bool = True):
        super().__init__()
        self.shift_votes = False  # read each digit once; a recipe or checkpoint may turn votes on (infer)
        # batchnorm=False (notebook 04b's experiment) leaves an Identity where BatchNorm was
        def norm(c):
            return nn.BatchNorm2d(c) if batchnorm else nn.Identity()
        # named layers: reach them as model.features.conv1, model.classifier.fc1, ...
        self.features = nn.Sequential(OrderedDict(
            conv1=nn.Conv2d(1, 24, kernel_size=3), bn1=norm(24), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(24, 36, kernel_size=3), bn2=norm(36), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
        ))
        self.classifier = nn.Sequential(OrderedDict(
            flatten=nn.Flatten(), fc1=nn.Linear(36 * 5 * 5, 128), relu=nn.ReLU(), dropout=nn.Dropout(dropout),
            fc2=nn.Linear(128, 10),
        ))
        self._register_load_state_dict_pre_hook(rename_numbered_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def rename_numbered_layers(state_dict: dict, prefix: str = "", *args) -> dict:
    """Checkpoints saved before the layers had names call them features.0, classifier.1, ...:
    read those too, so every model trained with the course keeps loading."""
    names = {"features": ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2"],
             "classifier": ["flatten", "fc1", "relu", "dropout", "fc2"]}
    for key in list(state_dict):
        parts = key[len(prefix):].split(".")
        if key.startswith(prefix) and len(parts) > 2 and parts[0] in names and parts[1].isdigit():
            parts[1] = names[parts[0]][int(parts[1])]
            state_dict[prefix + ".".join(parts)] = state_dict.pop(key)
    return state_dict


class SpeedCNN(nn.Module):
    """The speed recipe's network: the reference's two conv blocks, reshaped for a short run on
    a CPU. Each change was measured on validation digits (bench/speedrun.py, notebook 08).

    - Pool first: conv -> max-pool -> BatchNorm -> ReLU. BatchNorm and ReLU then work on a
      quarter of the numbers; on a CPU they, not the convolutions, took most of the time.
      (ReLU commutes with max-pooling; BatchNorm nearly does, and the network learns either way.)
    - conv1 has 16 maps instead of 24 and conv2 48 instead of 36: the cheap first layer gets
      narrower, the second wider. The time saved pays for a seventh epoch.
    - No dropout: a short run with augmented digits underfits rather than overfits.
    - Shift votes: once trained, `infer` reads each digit 9 times, moved by up to one pixel each
      way, and averages the 9 logits (test-time augmentation). Nine times the work of one
      reading, which is nothing for a drawing and 4 s for the whole test set.
    Shapes: 28 -conv3-> 26 -pool-> 13 -conv3-> 11 -pool-> 5, then 48 x 5 x 5 = 1200 features.
    """

    def __init__(self, conv1: int = 16, conv2: int = 48, hidden: int = 128, dropout: float = 0.0,
                 pool_first: bool = True, shift_votes: bool = True):
        super().__init__()
        self.shift_votes = shift_votes
        layers = []
        for k, (c_in, c_out) in enumerate([(1, conv1), (conv1, conv2)], start=1):
            conv = [(f"conv{k}", nn.Conv2d(c_in, c_out, kernel_size=3, bias=False))]
            pool = [(f"pool{k}", nn.MaxPool2d(2))]
            norm = [(f"bn{k}", nn.BatchNorm2d(c_out)), (f"relu{k}", nn.ReLU())]
            layers += conv + (pool + norm if pool_first else norm + pool)
        self.features = nn.Sequential(OrderedDict(layers))
        self.classifier = nn.Sequential(OrderedDict(
            flatten=nn.Flatten(), fc1=nn.Linear(conv2 * 5 * 5, hidden), relu=nn.ReLU(),
            dropout=nn.Dropout(dropout) if dropout else nn.Identity(),  # dropout 0 still costs a pass
            fc2=nn.Linear(hidden, 10),
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def infer(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A trained model's logits for the batch x. A model with shift votes (SpeedCNN) reads every
    digit nine times, moved by up to one pixel, and averages: test-time augmentation, kept out of
    forward() as airbench keeps it in its own infer(), so training and a quick reading stay plain."""
    if not getattr(model, "shift_votes", False):
        return model(x)
    # One shifted copy of the batch at a time: 9 batches of N run 3x faster on a CPU than one of 9N
    # (a 9N batch's activations outgrow the cache), for the same numbers.
    return sum(model(shifted) for shifted in one_pixel_shifts(x).split(len(x))) / 9


def one_pixel_shifts(x: torch.Tensor) -> torch.Tensor:
    """The batch (N, C, H, W) nine times over: itself and moved one pixel in each of the 8
    directions, as one (9N, C, H, W) batch. The border repeats, which is background for a digit."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return torch.cat([padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)])


class MLP(nn.Module):
    """A fully connected baseline of similar size: every pixel wired to every hidden unit."""

    def __init__(self, hidden: int = 128, dropout: float = 0.5, relu: bool = True):
        super().__init__()
        # relu=False (notebook 04b): without its activations the whole net is one linear map
        def act():
            return nn.ReLU() if relu else nn.Identity()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, hidden), act(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), act(), nn.Linear(hidden, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


ARCHITECTURES = {"DigitCNN": DigitCNN, "SpeedCNN": SpeedCNN, "MLP": MLP}


def build_model(arch: str = "DigitCNN") -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]()


@torch.no_grad()
def stages(model, image: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """The activations after each layer of model.features (DigitCNN, SpeedCNN) for one normalised image (1,1,28,28)."""
    model.eval()
    out, x = [("input", image)], image
    for name, layer in model.features.named_children():
        x = layer(x)
        if not name.startswith("bn"):
            out.append((name, x))
    return out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
