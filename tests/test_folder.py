"""A folder of your own digit pictures: loaded through the same preprocessing, measured by
`evaluate --data`, and every way the folder can be wrong named in one line."""
import json
import os
import shutil
import threading

import numpy as np
import pytest
from PIL import Image

from digitlib.synthetic import restyled
from digitlib.cli import main
from digitlib.errors import DigitsError
from digitlib.handwriting.folder import load_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist_test):
    root = tmp_path_factory.mktemp("mydigits")
    rng = np.random.default_rng(2)
    for i in range(40):
        digit = mnist_test.labels[i].item()
        (root / str(digit)).mkdir(exist_ok=True)
        pad = restyled.on_pad(mnist_test.images[i, 0].numpy(), rng)
        Image.fromarray((pad * 255).astype(np.uint8)).save(root / str(digit) / f"{i}.png")
    return root


def test_loads_as_the_tensors_the_trainer_uses(folder):
    f = load_folder(folder)
    assert f.data.images.shape == (40, 1, 28, 28) and f.data.images.max() <= 1
    assert [int(p.parent.name) for p in f.paths] == f.data.labels.tolist()


def test_evaluate_on_a_folder_per_digit_with_mistakes(folder, shipped_checkpoint, capsys):
    assert main(["evaluate", "--data", str(folder), "--checkpoint", str(shipped_checkpoint), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 40 and 0.9 <= out["accuracy"] <= 1
    assert sum(v["n"] for v in out["per_digit"].values()) == 40
    assert len(out["mistakes"]) == round(40 * (1 - out["accuracy"]))
    assert main(["evaluate", "--json", "--subset", "300", "--checkpoint", str(shipped_checkpoint)]) == 0
    mnist = json.loads(capsys.readouterr().out)
    assert mnist["n"] == 300 and mnist["accuracy"] == mnist["test_accuracy"] > 0.98


def _make_file_in_3(r):
    (r / "3").mkdir()
    (r / "3" / "notes.txt").write_text("hi")


def _make_blank_in_4(r):
    (r / "4").mkdir()
    Image.new("L", (50, 50), 255).save(r / "4" / "a.png")


def _make_nested_in_3(r):
    (r / "3" / "more").mkdir(parents=True)
    Image.new("L", (50, 50), 0).save(r / "3" / "more" / "x.png")


def _make_pipe_in_3(r):
    (r / "3").mkdir()
    os.mkfifo(r / "3" / "pipe.png")  # would wait forever for a writer if opened


@pytest.mark.parametrize("make, words", [
    (None, "no such folder"),
    (_make_nested_in_3, "3/more is a folder inside a digit's folder; move its pictures up into 3/"),
    (_make_pipe_in_3, "are not pictures (3/pipe.png)"),
    (lambda r: (r / "seven").mkdir(), "must be named 0-9 after the digit they hold, not 'seven'"),
    (_make_file_in_3, "are not pictures (3/notes.txt)"),
    (lambda r: (r / "3").mkdir(), "no pictures found"),
    (_make_blank_in_4, "every picture in it is blank"),
])
def test_a_wrong_folder_is_one_clear_line(tmp_path, make, words, capsys):
    root = tmp_path / "mydigits"
    if make is not None:
        root.mkdir()
        make(root)
    with pytest.raises(DigitsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_folder(root)
    assert main(["evaluate", "--data", str(root)]) == 1
    assert words in capsys.readouterr().err


def test_subset_of_a_folder_names_the_right_files(folder, tmp_path, capsys):
    import torch

    from digitlib.checkpoint import save_checkpoint
    from digitlib.models import DigitCNN

    torch.manual_seed(0)
    untrained = save_checkpoint(tmp_path / "untrained.pth", DigitCNN(), "DigitCNN")  # wrong on most
    assert main(["evaluate", "--data", str(folder), "--subset", "25", "--json", "--checkpoint", str(untrained)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 25 and len(out["mistakes"]) >= 5
    for m in out["mistakes"]:  # each mistake names the picture it was made on
        assert int(m["file"].split("/")[-2]) == m["digit"]


def test_a_subset_larger_than_the_folder_counts_what_was_read(folder, shipped_checkpoint, capsys):
    assert main(["evaluate", "--data", str(folder), "--subset", "5000", "--checkpoint", str(shipped_checkpoint)]) == 0
    assert "of 40 pictures read right" in capsys.readouterr().out


def test_one_damaged_picture_is_named_and_the_others_are_read(folder, shipped_checkpoint, tmp_path, capsys):
    root = shutil.copytree(folder, tmp_path / "mine")
    (root / "3" / "bad.png").write_bytes(Image.open(next((root / "3").iterdir())).tobytes()[:100])
    assert main(["evaluate", "--data", str(root), "--json", "--checkpoint", str(shipped_checkpoint)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 40 and len(out["unreadable"]) == 1 and "3/bad.png: cannot read it" in out["unreadable"][0]
    assert main(["evaluate", "--data", str(root), "--checkpoint", str(shipped_checkpoint)]) == 0
    assert "3/bad.png: cannot read it as an image" in capsys.readouterr().out


def _end_wait(pipe):
    try:
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))  # fails at once when nobody is reading
    except OSError:
        pass


def test_predict_refuses_a_pipe_and_reads_the_pictures_after_it(folder, shipped_checkpoint, tmp_path, capsys):
    pipe, good = tmp_path / "pipe.png", next((folder / "7").iterdir())
    os.mkfifo(pipe)
    # if the reader did open the pipe, a writer arriving after a while ends its wait (no hung test)
    threading.Timer(5, _end_wait, [pipe]).start()
    assert main(["predict", str(pipe), str(good), "--checkpoint", str(shipped_checkpoint)]) == 1
    out, err = capsys.readouterr()
    assert "pipe.png: is not a regular file" in err and out.startswith(f"{good}: 7 ")

