"""Fine-tuning on someone's own handwriting: it pays off on their held-out pictures, keeps MNIST,
never touches the shipped model; leave-one-writer-out; the bundled sample writers."""
import hashlib
import subprocess
import sys

import pytest

import numpy as np
import torch

from digitlib.checkpoint import load_checkpoint, load_model
from digitlib.config import SHIPPED_CHECKPOINT, TrainConfig
from digitlib.errors import DigitsError
from digitlib.handwriting import finetune as finetune_module
from digitlib.handwriting.finetune import FinetuneConfig, finetune, leave_one_writer_out, load_class, merge
from digitlib.handwriting.folder import load_folder
from digitlib.pictures.preprocess import steps_for
from digitlib.synthetic.restyled import write_uci_folder
from digitlib.train import evaluate, run_digits
from digitlib.synthetic.writers import WRITERS, write_folder

from .conftest import ROOT

SAMPLES = ROOT / "samples" / "writers"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def eve():
    return load_folder(SAMPLES / "eve")


def test_pays_off_on_the_writers_held_out_pictures_and_keeps_mnist(eve, tmp_path):
    shipped = _sha(SHIPPED_CHECKPOINT)
    out = tmp_path / "eve.pth"
    # all 10,000 test digits: on 2,000, a few digits' luck moves the figure by the tolerance below
    r = finetune(eve, cfg=FinetuneConfig(), out=out, progress=False, verbose=False)
    assert r.n_holdout == 50 and r.n_train == 150  # a quarter of each digit held out
    assert r.before["own"] <= 0.92 and r.after["own"] >= 0.97     # eve's long-flag 1s are read as 7s before
    assert r.after["mnist"] >= r.before["mnist"] - 0.003          # MNIST is not forgotten
    model, meta = load_model(out)
    assert meta["finetune"]["after"]["own"] == r.after["own"] and meta["finetune"]["n_holdout"] == 50
    assert _sha(SHIPPED_CHECKPOINT) == shipped


def test_learns_a_source_it_never_saw(tmp_path):
    """A folder of 900 UCI digits (43 writers, 8x8 as scanned). Fine-tuning too gently (the former
    defaults: lr 0.0003, 8 epochs) left the model reading 96.2% of the folder, the part it trained
    on included; the defaults read 98.2%, and 98.7% of the quarter held out (94.7% before)."""
    write_uci_folder(np.random.default_rng(4).permutation(1797)[:900], tmp_path)
    folder = load_folder(tmp_path, steps=steps_for(load_checkpoint(SHIPPED_CHECKPOINT)))
    r = finetune(folder, cfg=FinetuneConfig(mnist_test_subset=500), progress=False, verbose=False)
    assert r.after["own"] >= r.before["own"] + 0.02
    assert evaluate(r.model, folder.data)["accuracy"] >= 0.968


def test_mixes_in_only_the_digits_the_model_trained_on(eve, monkeypatch):
    """The shipped model kept 10,000 training digits aside for validation: fine-tuning must not
    train on them either, or forgetting read on them (bench/finetune_choose.py) flatters."""
    trained_on = []
    real = finetune_module.train_one_epoch
    monkeypatch.setattr(finetune_module, "train_one_epoch",
                        lambda model, data, *a, **k: trained_on.append(data.images.cpu()) or real(model, data, *a, **k))
    finetune(eve, cfg=FinetuneConfig().fast(), progress=False, verbose=False)
    _, validation = run_digits(TrainConfig.from_dict(load_checkpoint(SHIPPED_CHECKPOINT)["config"]))
    unseen = {image.numpy().tobytes() for image in validation.images}
    mixed = torch.cat(trained_on)
    assert len(mixed) >= 900 and not any(image.numpy().tobytes() in unseen for image in mixed)


def test_refuses_to_write_the_shipped_model_or_learn_from_nothing(eve, tmp_path):
    with pytest.raises(DigitsError, match="shipped with the course"):
        finetune(eve, out=SHIPPED_CHECKPOINT, progress=False, verbose=False)
    few = tmp_path / "few"
    write_folder(WRITERS[0], few, per_digit=1)
    for digit in range(5, 10):
        (few / str(digit) / "ada-000.png").unlink()
    with pytest.raises(DigitsError, match="only 5 pictures to learn from"):
        finetune(load_folder(few), progress=False, verbose=False)


def test_leave_one_writer_out_reads_a_new_hand_when_the_class_shares_its_habits():
    """dee and eve both write their 1s with a long flag: tuned on dee (and the others), the model
    reads eve's 1s, which it never saw."""
    writers = load_class(SAMPLES)
    assert sorted(writers) == ["ada", "bo", "cy", "dee", "eve"]
    subset = {w: writers[w] for w in ("ada", "dee", "eve")}
    rows = leave_one_writer_out(subset, cfg=FinetuneConfig(per_epoch=400, mnist_test_subset=500))
    by = {r["writer"]: r for r in rows}
    assert set(by) == {"ada", "dee", "eve"} and by["eve"]["n"] == 200
    assert by["eve"]["before"] <= 0.92 and by["eve"]["after"] >= 0.96
    assert len(merge(list(subset.values())).data) == 600


def test_class_folder_errors(tmp_path):
    with pytest.raises(DigitsError, match="no such folder"):
        load_class(tmp_path / "nope")
    write_folder(WRITERS[0], tmp_path / "one" / "ada", per_digit=1)
    with pytest.raises(DigitsError, match="a subfolder per writer, found 1"):
        load_class(tmp_path / "one")


def test_the_bundled_samples_are_what_the_generator_makes(tmp_path):
    write_folder(WRITERS[4], tmp_path, per_digit=20)
    for digit in (1, 7):
        for name in ("eve-000.png", "eve-019.png"):
            assert (tmp_path / str(digit) / name).read_bytes() == (SAMPLES / "eve" / str(digit) / name).read_bytes()


def test_cli_finetune_writes_out_and_the_shipped_model_is_untouched(tmp_path):
    folder = tmp_path / "mine"
    write_folder(WRITERS[4], folder, per_digit=6)
    shipped = _sha(SHIPPED_CHECKPOINT)
    out = tmp_path / "tuned.pth"
    r = subprocess.run([sys.executable, "-m", "digitlib", "finetune", str(folder), "--fast", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "held-out pictures" in r.stdout and f"--checkpoint {out}" in r.stdout
    assert ", 1 epoch, " in r.stdout  # --fast: one short epoch
    load_model(out)
    assert _sha(SHIPPED_CHECKPOINT) == shipped
    r = subprocess.run([sys.executable, "-m", "digitlib", "finetune", str(folder), "--out", str(SHIPPED_CHECKPOINT)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "shipped with the course" in r.stderr
