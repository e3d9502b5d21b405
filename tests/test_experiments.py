"""Notebook 04b's tools: the linearity test, raw-pixel models, variant runs from one seed."""
from dataclasses import replace

import torch
from torch import nn

from digitlib.config import TrainConfig
from digitlib.data import normalize
from digitlib.experiments import RawPixels, compare, gap, is_affine, series
from digitlib.models import MLP, DigitCNN


def test_linearity_is_detected_and_relu_breaks_it():
    torch.manual_seed(0)
    assert is_affine(MLP(relu=False)) and is_affine(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))
    assert not is_affine(MLP()) and not is_affine(DigitCNN())


def test_raw_pixels_model_sees_the_stored_pixels():
    inner = MLP().eval()
    x = torch.rand(3, 1, 28, 28)
    assert torch.allclose(RawPixels(inner)(normalize(x)), inner(x), atol=1e-5)


def test_switching_batchnorm_off_leaves_no_batchnorm():
    model = DigitCNN(batchnorm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_variants_start_from_the_same_seed_and_are_repeatable(tmp_path, mnist_test):
    base = replace(TrainConfig().fast(), epochs=1, train_subset=600, test_subset=200)
    variants = {"mlp": ({}, MLP), "mlp again": ({}, MLP), "no momentum": ({"momentum": 0.0}, MLP)}
    runs = compare(variants, base, out=str(tmp_path / "x.pth"))
    losses = series(runs, "train_loss")
    assert losses["mlp"] == losses["mlp again"] != losses["no momentum"]
    on_train, on_test = gap(runs["mlp"], mnist_test.subset(100), mnist_test.subset(200))
    assert 0 <= on_train <= 1 and 0 <= on_test <= 1 and series(runs, "test_accuracy")["mlp"][0] > 10
