import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitlib.synthetic import restyled

from .conftest import ROOT


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "digitlib", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def images(tmp_path_factory, mnist_test):
    d = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(1)
    paths = []
    for i in range(4):
        p = d / f"digit{i}_{mnist_test.labels[i].item()}.png"
        Image.fromarray((restyled.on_pad(mnist_test.images[i, 0].numpy(), rng) * 255).astype(np.uint8)).save(p)
        paths.append(p)
    Image.new("L", (200, 200), 255).save(d / "blank.png")
    (d / "notes.txt").write_text("not an image")
    return d, paths


def test_predict_json_lines(images, shipped_checkpoint):
    d, paths = images
    r = cli("predict", *paths, d / "blank.png", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 5
    for row, path in zip(rows, paths):
        assert row["file"] == str(path) and row["digit"] == int(path.stem.split("_")[1])
        assert len(row["probs"]) == 10 and sum(row["probs"]) == pytest.approx(1, abs=1e-4)
        assert row["confidence"] == max(row["probs"])
    assert rows[4]["digit"] is None


def test_predict_bad_inputs_are_one_line_errors(images):
    d, paths = images
    r = cli("predict", paths[0], d / "missing.png", d / "notes.txt")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    errs = [line for line in r.stderr.splitlines() if not line.startswith("using ")]
    assert len(errs) == 2 and "no such image file" in errs[0] and "cannot read it as an image" in errs[1]
    assert r.stdout.startswith(str(paths[0]))  # the good image is still answered


def test_bad_checkpoint_is_one_line(tmp_path, images):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"garbage")
    r = cli("predict", images[1][0], "--checkpoint", bad)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "truncated or not a PyTorch" in r.stderr
    r = cli("evaluate", "--checkpoint", tmp_path / "none.pth")
    assert r.returncode == 1 and "not found" in r.stderr and "Traceback" not in r.stderr


def test_train_then_evaluate_json(tmp_path):
    out = tmp_path / "m.pth"
    r = cli("train", "--fast", "--epochs", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout and out.exists()
    r = cli("evaluate", "--checkpoint", out, "--json", "--subset", "1000")
    data = json.loads(r.stdout)
    assert 0.8 < data["test_accuracy"] <= 1 and data["arch"] == "DigitCNN"
    assert "accuracy" in data and data["n"] == 1000
    r = cli("train", "--resume", "--out", out)
    assert r.returncode == 1 and "already finished 1 of 1 epochs" in r.stderr


def test_train_reports_the_best_epochs_test_accuracy_not_the_last(tmp_path, monkeypatch, capsys):
    import digitlib.train as train
    from digitlib.cli import main
    from digitlib.train import FitResult

    rows = [{"epoch": 1, "test_accuracy": 0.9}, {"epoch": 2, "test_accuracy": 0.8}]
    monkeypatch.setattr(train, "fit", lambda cfg, resume=False: FitResult(
        model=None, history=rows, best_accuracy=0.9, best_epoch=1, selected_on="test", seconds=60))
    assert main(["train", "--epochs", "2", "--out", str(tmp_path / "m.pth")]) == 0
    said = capsys.readouterr().out
    assert "test accuracy 90.00% (best epoch 1 of 2, chosen on the test set)" in said, said
