"""Looking at a trained model (notebook 05): confusion, shifted inputs, a pipeline's accuracy.
Its probabilities for many digits: digitlib.train.probabilities; the activations inside it:
digitlib.models.stages."""
from __future__ import annotations

import numpy as np
import torch

from digitlib.augment import AffineParams, apply_affine
from digitlib.data import MNISTTensors
from digitlib.pictures.preprocess import READ, Steps, to_tensors
from digitlib.train import probabilities


def pipeline_accuracy(model, pictures, labels, steps: Steps = READ) -> float:
    """Share of pictures the model reads right after preprocessing them with these steps."""
    guess = probabilities(model, to_tensors(pictures, steps)).argmax(1)
    return float((guess == torch.as_tensor(labels)).float().mean())


def confusion_matrix(predicted: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    return torch.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10).numpy()


def shifted(data: MNISTTensors, pixels: int) -> MNISTTensors:
    """Every digit moved right and down by the same number of pixels."""
    n = len(data)
    params = AffineParams(torch.zeros(n), torch.full((n, 2), float(pixels)))
    return MNISTTensors(apply_affine(data.images, params, mode="nearest"), data.labels)
