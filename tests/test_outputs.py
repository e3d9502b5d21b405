"""Nothing writes into the course's models/ folder, and one writer per checkpoint: a second
training or fine-tune into the same file is refused before it starts, not after both "saved"."""
import hashlib

import pytest

from digitlib.config import DIGIT_CHECK, SHIPPED_CHECKPOINT
from digitlib.outputs import exclusive, lock_path

from .conftest import ROOT
from .test_cli_errors import one_line, run

SAMPLE = ROOT / "samples" / "writers" / "eve"


def _fingerprint():
    models = ROOT / "models"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(models.iterdir())}


@pytest.mark.parametrize("args", [
    ["train", "--fast", "--epochs", "1", "--out", "models/mnist_cnn_shipped.pth"],
    ["train", "--fast", "--epochs", "1", "--out", "checkpoints/../models/new.pth"],
    ["train", "--resume", "--out", str(SHIPPED_CHECKPOINT)],
    ["finetune", str(SAMPLE), "--out", str(DIGIT_CHECK)],
    ["finetune", str(SAMPLE), "--out", "models/tuned.pth"],
    ["sheet", str(ROOT / "docs" / "notebook_pad.png"), "--out", "models/mine"],
], ids=["train-shipped", "train-dotdot", "resume", "finetune-check", "finetune-new", "sheet"])
def test_nothing_writes_into_the_course_models(capsys, monkeypatch, args):
    monkeypatch.chdir(ROOT)
    before = _fingerprint()
    rc, out, err = run(capsys, *args)
    assert rc == 1 and "holds the models shipped with the course" in one_line(err)
    assert _fingerprint() == before and "fine-tuning" not in out and "training" not in out


def test_a_second_finetune_into_the_same_file_is_refused_before_it_trains(capsys, tmp_path):
    out = tmp_path / "tuned.pth"
    with exclusive(out):  # as if another fine-tune were running into it right now
        rc, stdout, err = run(capsys, "finetune", SAMPLE, "--epochs", "1", "--out", out)
    assert rc == 1 and "is already writing" in one_line(err)
    assert "fine-tuning" not in stdout and not out.exists()
    with exclusive(out):  # released: the next writer gets it (its file stays, see exclusive)
        assert lock_path(out).exists()


def test_the_same_pictures_given_twice_are_refused(capsys, tmp_path):
    rc, stdout, err = run(capsys, "finetune", SAMPLE, str(SAMPLE) + "/", "--out", tmp_path / "t.pth")
    assert rc == 1 and "is given twice" in one_line(err) and "fine-tuning" not in stdout
