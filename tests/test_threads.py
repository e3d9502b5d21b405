"""Reading digits with one intra-op thread (digitlib.device.inference_threads): scoped to the block
and to the command, window or pad that asks for it; a training in the same process keeps every core.
Trainings running at once share the cores (digitlib.device.SharedCores)."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

from digitlib.synthetic import restyled
from digitlib.cli import main
from digitlib.device import inference_threads


def test_inference_threads_is_scoped(several_threads):
    before = torch.get_num_threads()
    with inference_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError), inference_threads(1):
        raise ValueError
    assert torch.get_num_threads() == before


def test_cli_reads_with_one_thread_and_gives_it_back(several_threads, tmp_path, shipped_checkpoint, mnist_test, monkeypatch, capsys):
    import digitlib.predict
    import digitlib.train

    picture = tmp_path / "a.png"
    Image.fromarray((restyled.on_pad(mnist_test.images[0, 0].numpy(), np.random.default_rng(0)) * 255)
                    .astype(np.uint8)).save(picture)
    seen, threads = [], torch.get_num_threads()
    for owner, name in ((digitlib.predict, "probabilities"), (digitlib.train, "evaluate")):
        original = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _o=original: seen.append(torch.get_num_threads()) or _o(*a))
    assert main(["predict", str(picture), "--checkpoint", str(shipped_checkpoint)]) == 0
    assert main(["evaluate", "--subset", "10", "--checkpoint", str(shipped_checkpoint)]) == 0
    assert seen == [1, 1] and torch.get_num_threads() == threads


def test_only_a_training_program_lowers_its_priority_and_tunes_malloc(tmp_path, capsys):
    """python -m digitlib train gives way to a pad or window beside it (os.nice); the same command
    called from Python (a notebook, these tests) leaves the process as it was."""
    import os
    import subprocess
    import sys

    out = tmp_path / "m.pth"
    before = os.nice(0)
    assert main(["train", "--fast", "--epochs", "1", "--out", str(out)]) == 0
    assert os.nice(0) == before
    code = ("import os, digitlib.cli as c; n = os.nice(0); "
            f"c.main(['train', '--fast', '--epochs', '1', '--out', {str(out)!r}], own_process=True); "
            "print('raised by', os.nice(0) - n)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stdout.strip().endswith("raised by 10"), r.stderr[-500:]


def test_trainings_at_once_share_the_cores_and_hand_them_back(tmp_path, monkeypatch):
    """k trainings take cores // k threads each; a mark left by a process that has ended counts for
    nothing and is removed; leaving gives back the threads the process had."""
    import subprocess
    import sys

    import digitlib.device as device
    from digitlib.device import SharedCores

    monkeypatch.setattr(device, "_cores", lambda: 4)
    before = torch.get_num_threads()
    others = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(3)]
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    try:
        torch.set_num_threads(4)
        with SharedCores(tmp_path) as cores:
            assert (tmp_path / str(os.getpid())).exists()
            assert cores.adjust() == 4 and torch.get_num_threads() == 4   # alone: as it was
            (tmp_path / ended.stdout.strip()).touch()                      # a training killed long ago
            (tmp_path / str(others[0].pid)).touch()
            assert cores.adjust() == 2 and torch.get_num_threads() == 2   # two trainings: half each
            assert not (tmp_path / ended.stdout.strip()).exists()
            for p in others[1:]:
                (tmp_path / str(p.pid)).touch()
            assert cores.adjust() == 1 and cores.running == 3
            for p in others:
                p.kill()
                p.wait()
            assert cores.adjust() == 4                                     # they ended: every core again
        assert torch.get_num_threads() == 4 and not (tmp_path / str(os.getpid())).exists()
    finally:
        for p in others:
            p.kill()
        torch.set_num_threads(before)


@pytest.fixture
def beside_one_training(tmp_path, monkeypatch):
    """A 2-core machine (as far as digitlib.device knows) with one other training running:
    a live process with its mark in a trainings folder of this test's own. This process has 2 threads."""
    import subprocess
    import sys

    import digitlib.device as device

    monkeypatch.setattr(device, "TRAININGS", tmp_path / "trainings")
    monkeypatch.setattr(device, "_cores", lambda: 2)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        (tmp_path / "trainings").mkdir()
        (tmp_path / "trainings" / str(other.pid)).touch()
        yield
    finally:
        other.kill()
        torch.set_num_threads(before)


SHARING = "1 other training on this machine now: this one uses 1 of 2 threads"


def test_fit_says_when_it_shares_the_cores(beside_one_training, tmp_path, capsys):
    from digitlib.config import TrainConfig
    from digitlib.train import fit

    cfg = TrainConfig().fast().but(epochs=1, train_subset=500, test_subset=200, out=str(tmp_path / "m.pth"))
    fit(cfg, progress=False)
    assert SHARING in capsys.readouterr().out
    assert torch.get_num_threads() == 2


def test_finetune_shares_the_cores_too(beside_one_training, monkeypatch, capsys, mnist_test):
    """Notebook 07's fine-tuning beside notebook 04's training: each takes half, and says so."""
    import digitlib.handwriting.finetune as ft

    seen, original = [], ft.train_one_epoch
    monkeypatch.setattr(ft, "train_one_epoch", lambda *a, **k: seen.append(torch.get_num_threads()) or original(*a, **k))
    cfg = ft.FinetuneConfig(epochs=2, per_epoch=40, mnist_per_own=1, mnist_test_subset=100)
    ft.finetune(mnist_test.take(slice(0, 40)), cfg=cfg, holdout=mnist_test.take(slice(40, 60)), progress=False)
    assert SHARING in capsys.readouterr().out
    assert seen == [1, 1] and torch.get_num_threads() == 2
