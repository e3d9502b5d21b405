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
