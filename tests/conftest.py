import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from digitlib.config import SHIPPED_CHECKPOINT, TrainConfig
from digitlib.data import load_mnist

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


def default_ctrl_c():
    """preexec_fn for a child that a test sends Ctrl-C: a learner's terminal delivers it, but a
    test runner started in the background may have told its children to ignore it."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def missing_system_tool(message: str):
    """A tool apt installs is missing: a learner without root gets a skip that says what to
    install, but CI (where scripts/system-deps.sh installs it) fails, so it never goes green
    without its GUI and browser tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def mnist_test():
    return load_mnist(False)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A quickly trained CNN (small subset, 1 epoch): enough to exercise the machinery."""
    from digitlib.train import fit

    out = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    cfg = TrainConfig(epochs=1, train_subset=3000, test_subset=500, out=str(out))
    fit(cfg, progress=False, verbose=False)
    return out


@pytest.fixture(scope="session")
def shipped_checkpoint():
    if not SHIPPED_CHECKPOINT.exists():
        pytest.fail(f"the shipped checkpoint {SHIPPED_CHECKPOINT} is missing")
    return SHIPPED_CHECKPOINT


@pytest.fixture(scope="session")
def predictor(shipped_checkpoint):
    from digitlib.predict import Predictor

    return Predictor(shipped_checkpoint)


@pytest.fixture
def several_threads():
    """At least two intra-op threads for this test, as on a learner's laptop: a test that checks
    threads are handed back cannot see it with one (what each `make test` worker has)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(max(2, before))
    yield torch.get_num_threads()
    torch.set_num_threads(before)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def xdisplay():
    """A virtual X display for the Tk tests, started here so `make test` needs nothing else."""
    if os.environ.get("DISPLAY") and not os.environ.get("DIGITS_FORCE_XVFB"):
        yield os.environ["DISPLAY"]
        return
    if not shutil.which("Xvfb"):
        missing_system_tool("Xvfb is not installed (sudo apt-get install xvfb)")
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients, so
    # two test workers (pytest -n 2) or a stale Xvfb never collide on a fixed number.
    read_end, write_end = os.pipe()
    said = tempfile.TemporaryFile()  # not a pipe: warnings nobody reads could fill it and stop Xvfb
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=said)
    os.close(write_end)
    number = b""
    # read to the end: Xvfb writes the number, then a newline, then closes its end; closing ours
    # between the two writes would kill it with SIGPIPE
    while select.select([read_end], [], [], 30)[0] and (chunk := os.read(read_end, 16)):
        number += chunk
    os.close(read_end)
    number = number.decode().strip()
    if not number.isdigit():
        proc.kill()
        proc.wait()
        said.seek(0)
        pytest.fail(f"Xvfb did not start: {said.read().decode(errors='replace')[-500:]}")
    display = f":{number}"
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    proc.terminate()
    proc.wait()
    said.close()
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old

