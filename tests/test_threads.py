"""Reading digits with one intra-op thread (digitlib.device.inference_threads): scoped to the block
and to the command, window or pad that asks for it; a training in the same process keeps every core."""
import numpy as np
import pytest
import torch
from PIL import Image

from digitlib.synthetic import restyled
from digitlib.cli import main
from digitlib.device import inference_threads


def test_inference_threads_is_scoped():
    before = torch.get_num_threads()
    with inference_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError), inference_threads(1):
        raise ValueError
    assert torch.get_num_threads() == before


def test_cli_reads_with_one_thread_and_gives_it_back(tmp_path, shipped_checkpoint, mnist_test, monkeypatch, capsys):
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
