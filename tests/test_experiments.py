"""Notebook 04b's tools: the linearity test, raw-pixel models, variant runs from one seed."""
from dataclasses import replace

import torch
from torch import nn

from digitlib.config import TrainConfig
from digitlib.data import MNISTTensors, normalize
from digitlib.course.experiments import RawPixels, compare, gap, is_affine, series
from digitlib.models import MLP, DigitCNN
from digitlib.train import FitResult


def test_linearity_is_detected_and_relu_breaks_it():
    torch.manual_seed(0)
    assert is_affine(MLP(relu=False)) and is_affine(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))
    assert not is_affine(MLP()) and not is_affine(DigitCNN())
    model, state = MLP(), torch.random.get_rng_state()
    is_affine(model)
    assert torch.equal(torch.random.get_rng_state(), state)  # draws its pictures from its own generator


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
    torch.manual_seed(123)
    runs = compare(variants, base, out=str(tmp_path / "x.pth"))
    after = torch.rand(3)
    torch.manual_seed(123)
    assert torch.equal(after, torch.rand(3))  # the notebook's own random state is as it left it
    losses = series(runs, "train_loss")
    assert losses["mlp"] == losses["mlp again"] != losses["no momentum"]
    history = runs["mlp"].history
    assert series(runs, "test_accuracy")["mlp"] == [100 * r["test_accuracy"] for r in history]  # in %
    assert series(runs, "train_loss")["mlp"] == [r["train_loss"] for r in history]  # losses as they are


def test_gap_measures_each_set_in_eval_mode_in_order(mnist_test):
    torch.manual_seed(0)
    model = MLP()
    model.net[1].weight.data[:] = 0.01 * torch.randn_like(model.net[1].weight)  # a model dropout would sway
    run = FitResult(model=model)
    real = mnist_test.subset(300)
    wrong = MNISTTensors(real.images, (real.labels + 1) % 10)  # every label wrong: accuracy is 1 - right

    def by_hand(data):
        model.eval()
        with torch.no_grad():
            return (model(normalize(data.images)).argmax(1) == data.labels).sum().item() / len(data)

    on_wrong, on_real = gap(run, wrong, real)
    assert (on_wrong, on_real) == (by_hand(wrong), by_hand(real))
    assert on_wrong != on_real
