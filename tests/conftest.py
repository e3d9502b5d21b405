import importlib.util
import os
import select
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from digitlib.config import SHIPPED_CHECKPOINT, TrainConfig
from digitlib.data import load_mnist

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


# `make test` runs two workers (pytest -n 2). Each takes its share of the cores, it and what it
# starts (notebook kernels, commands): two workers each running every core's threads wait on
# threads the other holds, and a count that changed between two runs would change their floats
# (a resumed training must equal an uninterrupted one).
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    import torch

    from digitlib.device import _cores  # the cores this process may use (a container may allow fewer)
    _share = str(max(1, _cores() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    os.environ.update(OMP_NUM_THREADS=_share, MKL_NUM_THREADS=_share)
    torch.set_num_threads(int(_share))


if importlib.util.find_spec("xdist"):
    def pytest_xdist_make_scheduler(config, log):
        """`make test`'s two workers: the notebooks and solutions run in order in one of them (05-07
        read the model 04 trains), each test file whole in one (its fixtures made once). xdist's
        own loadgroup cannot say this with pytest 9.2, whose node ids it no longer edits."""
        from xdist.scheduler import LoadScopeScheduling

        class CourseInOrder(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                path = nodeid.split("::", 1)[0]
                return "the course" if path.endswith(".ipynb") else path

        return CourseInOrder(config, log)


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
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write_end,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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
        pytest.fail(f"Xvfb did not start: {proc.communicate()[1][-500:]}")
    display = f":{number}"
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    proc.terminate()
    proc.wait()
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old

