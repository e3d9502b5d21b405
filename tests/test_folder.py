"""A folder of your own digit pictures: loaded through the same preprocessing, measured by
`evaluate --data`, and every way the folder can be wrong named in one line."""
import json

import numpy as np
import pytest
from PIL import Image

from digitlib import samples
from digitlib.cli import main
from digitlib.errors import DigitsError
from digitlib.folder import load_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist_test):
    root = tmp_path_factory.mktemp("mydigits")
    rng = np.random.default_rng(2)
    for i in range(40):
        digit = mnist_test.labels[i].item()
        (root / str(digit)).mkdir(exist_ok=True)
        pad = samples.on_pad(mnist_test.images[i, 0].numpy(), rng)
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


@pytest.mark.parametrize("make, words", [
    (None, "no such folder"),
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
