"""CI never goes green without the GUI and browser tests: where CI is set, a system tool that
cannot be installed is a failure (scripts/system-deps.sh and the test fixtures alike); a learner
without root still gets a skip with the apt line."""
import subprocess

import pytest

from .conftest import ROOT, missing_system_tool


def _fake_bin(tmp_path, uid):
    """A PATH where Xvfb and Chromium are missing, `id -u` says uid and apt-get fails (offline)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name, body in (("id", f"echo {uid}"), ("apt-get", "exit 100")):
        (bin_ / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_ / name).chmod(0o755)
    return str(bin_)


@pytest.mark.parametrize("uid", [0, 1000], ids=["root-apt-fails", "no-root"])
@pytest.mark.parametrize("ci", ["", "true"], ids=["learner", "CI"])
def test_system_deps_fails_under_ci_and_says_the_apt_line_otherwise(tmp_path, uid, ci):
    env = {"PATH": _fake_bin(tmp_path, uid), **({"CI": ci} if ci else {})}
    r = subprocess.run(["/bin/bash", str(ROOT / "scripts" / "system-deps.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    said = r.stdout + r.stderr
    assert "sudo apt-get install xvfb chromium chromium-driver" in said
    if ci:
        assert r.returncode == 1 and r.stderr.startswith("error: ")
    else:
        assert r.returncode == 0 and "will be skipped" in r.stdout


def _outcome(message):
    try:
        missing_system_tool(message)
    except (pytest.fail.Exception, pytest.skip.Exception) as e:  # caught, so a skip cannot pass as a pass
        return type(e), str(e)
    return None, ""


def test_a_missing_tool_fails_under_ci_and_skips_for_a_learner(monkeypatch):
    monkeypatch.setenv("CI", "true")
    kind, said = _outcome("Xvfb is not installed")
    assert kind is pytest.fail.Exception and "CI is set" in said
    monkeypatch.delenv("CI")
    kind, said = _outcome("Xvfb is not installed")
    assert kind is pytest.skip.Exception and "Xvfb is not installed" in said
