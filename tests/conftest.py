import os
import shutil
import subprocess
import time
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
    display = ":87"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if proc.poll() is not None or Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
            break
        time.sleep(0.1)
    if proc.poll() is not None or not Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
        proc.kill()
        pytest.fail(f"Xvfb did not start on {display}: {proc.communicate()[1][-500:]}")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    proc.terminate()
    proc.wait()
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
