"""Loaded by every pytest run in this folder, whatever paths it names (tests/conftest.py is not
loaded when only notebooks/ or solutions/ are named): how `make test`'s two workers share the work."""
import os

import pytest

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


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist (or without xdist installed) still runs
def pytest_xdist_make_scheduler(config, log):
    """The notebooks and solutions run in order in one worker (05-07 read the model 04 trains),
    each test file whole in one (its module fixtures made once). xdist's own loadgroup cannot say
    this with pytest 9.2, whose node ids it no longer edits."""
    if config.getoption("dist") != "load":  # an explicit --dist each, loadfile, ... is obeyed
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseInOrder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "the course" if path.endswith(".ipynb") else path

    return CourseInOrder(config, log)
