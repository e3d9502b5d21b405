"""A class on one server, with a real JupyterHub: the repo's classroom config serves 2 learner
accounts at once (bench/classroom.py --fast), each trains in one kernel while reading digits in
another, cannot read another's home nor change the course, keeps its edited notebook when its
server restarts, and the bench leaves no account, home or process behind. As root on Linux; skipped elsewhere, a failure under CI."""
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys

import psutil

from .conftest import ROOT, missing_system_tool

PROXY = ROOT / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def test_two_learners_work_at_once_apart_and_leave_nothing_behind():
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        missing_system_tool("the classroom bench makes user accounts: it needs Linux and root")
    if importlib.util.find_spec("jupyterhub") is None:
        missing_system_tool("jupyterhub is not installed (pip install -e '.[test]')")
    if not PROXY.exists() and not shutil.which("configurable-http-proxy"):
        missing_system_tool("configurable-http-proxy is missing (make classroom-deps; it needs npm)")
    # a copy of the course in /tmp: the checkout may sit where other users cannot enter (a home)
    r = subprocess.run([sys.executable, "bench/classroom.py", "--learners", "2", "--fast", "--copy-course"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    said = r.stdout + r.stderr[-3000:]
    assert r.stdout.strip(), said
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["learners"] == 2 and result["ok"] == 2, said
    assert result["isolated"] is True, said
    assert result["logged_in"] is True, said  # PAM, group membership: the config's own login
    assert result["edits_kept"] is True, said  # a learner's edited notebook survives a restart
    assert result["threads"] == 1, said
    assert result["p95_predict_ms"] > 0 and result["train_s"] > 0 and result["mb_per_learner"] > 0, said
    assert result["cleaned"] is True, said
    assert r.returncode == 0, said
    # and, looked at from here: no account, home or process of theirs left
    for name, uid in result["accounts"].items():
        try:
            pwd.getpwnam(name)
            raise AssertionError(f"account {name} left behind")
        except KeyError:
            pass
        assert not os.path.exists(f"/home/{name}")
        assert not [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
