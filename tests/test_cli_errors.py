"""Every way a careless or unlucky user can call the CLI wrongly: one line on stderr, a non-zero
exit code, no traceback, and nothing written. Table-driven, run in-process (fast)."""
import pytest
import torch

from digitlib.cli import main
from digitlib.train import exclusive


def run(capsys, *args):
    try:
        rc = main([str(a) for a in args])
    except SystemExit as e:  # argparse's refusals
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line(err: str) -> str:
    """The one error line; progress bars and the "using <model>" note may come before it."""
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and "Traceback" not in err and err.rstrip().endswith(errors[0]), err
    return errors[0]


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    return {"OUT": tmp_path / "m.pth", "DIR": tmp_path / "folder", "UNDER_FILE": tmp_path / "a_file.txt" / "m.pth"}


CASES = [  # arguments ("OUT", "DIR"... are filled in), expected exit code, words of the one line
    (["train", "--epochs", "0"], 2, "--epochs: must be a whole number of at least 1, not '0'"),
    (["train", "--epochs", "-1"], 2, "must be a whole number of at least 1, not '-1'"),
    (["train", "--epochs", "two"], 2, "must be a whole number"),
    (["train", "--batch-size", "-1"], 2, "--batch-size: must be a whole number of at least 2"),
    (["train", "--batch-size", "0"], 2, "--batch-size: must be a whole number of at least 2"),
    (["train", "--lr", "nan"], 2, "--lr: must be a positive number, not 'nan'"),
    (["train", "--lr", "inf"], 2, "--lr: must be a positive number"),
    (["train", "--lr", "0"], 2, "--lr: must be a positive number"),
    (["train", "--lr", "-0.1"], 2, "--lr: must be a positive number"),
    (["train", "--seed", "-3"], 2, "--seed: must be a whole number of at least 0"),
    (["train", "--out", ""], 1, "the output path is empty"),
    (["train", "--out", "DIR"], 1, "is a folder; give a file name inside it"),
    (["train", "--out", "UNDER_FILE"], 1, "cannot write the checkpoint into"),
    (["train", "--device", "bogus", "--out", "OUT"], 1, "unknown device 'bogus'"),
    (["train", "--device", "tpu", "--out", "OUT"], 1, "device 'tpu'"),
    (["train", "--resume", "--out", "OUT"], 1, "nothing to resume"),
    (["evaluate", "--subset", "0"], 2, "--subset: must be a whole number of at least 1, not '0'"),
    (["evaluate", "--subset", "-5"], 2, "--subset: must be a whole number of at least 1, not '-5'"),
    (["evaluate", "--checkpoint", "DIR"], 1, "is a folder, not a file"),
    (["evaluate", "--checkpoint", "OUT"], 1, "not found"),
    (["predict", "DIR"], 1, "is a folder, not an image file"),
    (["predict"], 2, "the following arguments are required: IMG"),
    (["bogus"], 2, "invalid choice: 'bogus'"),
]
if not torch.cuda.is_available():
    CASES.append((["train", "--device", "cuda", "--out", "OUT"], 1, "has no CUDA GPU"))


@pytest.mark.parametrize("args, code, words", CASES, ids=[" ".join(c[0]) or "none" for c in CASES])
def test_bad_calls_get_one_line(capsys, paths, args, code, words):
    rc, _, err = run(capsys, *[paths.get(a, a) for a in args])
    assert rc == code
    line = one_line(err)
    assert line.startswith("error: ") and words in line
    assert not paths["OUT"].exists()  # nothing was saved


def test_diverged_run_saves_nothing(capsys, tmp_path):
    out = tmp_path / "m.pth"
    rc, stdout, err = run(capsys, "train", "--fast", "--epochs", "1", "--lr", "1e6", "--out", out)
    assert rc == 1 and "training diverged in epoch 1" in one_line(err) and "nothing from it was saved" in err
    assert "saved" not in stdout.split("config:")[-1].replace("nothing from it was saved", "")
    assert not out.exists()


def test_a_second_training_to_the_same_file_is_refused(capsys, tmp_path):
    out = tmp_path / "m.pth"
    with exclusive(out):  # as if another process were training into it right now
        rc, _, err = run(capsys, "train", "--fast", "--epochs", "1", "--out", out)
    assert rc == 1 and "is already writing" in one_line(err)
    assert not out.exists()
