"""The teacher's laptop check (digitlib.course.laptop) and fast_mode's per-kernel switch."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitlib.config import fast_mode
from digitlib.course import laptop

ADVICE = {"run full", "run fast in class (or pre-run full before class)", "pre-run before class"}


@pytest.fixture
def forget_fast_mode():
    yield
    fast_mode(None)  # whatever a test chose, DIGITS_FAST decides again


def test_the_check_measures_and_advises_every_notebook():
    out = io.StringIO()
    report = laptop.laptop_check(budget_s=1, out=out)
    text = out.getvalue()
    step_s = report["measured"]["step_s"]
    assert set(step_s) == {"cnn", "speed", "mlp"} and all(0 < s < 5 for s in step_s.values())
    assert 0 < report["measured"]["pad_s"] < 5
    rows = report["notebooks"]
    assert [r["name"] for r in rows] == [w.name for w in laptop.NOTEBOOKS] and len(rows) == 9
    for r in rows:
        assert r["advice"] in ADVICE
        assert 0 < r["fast_s"] <= r["full_s"]
        assert r["name"] in text and r["advice"] in text.split(r["name"], 1)[1].splitlines()[0]
    # notebook 04 trains 20 epochs on all the digits: far longer in full than in fast mode
    four = next(r for r in rows if r["name"].startswith("04 "))
    assert four["full_s"] > 10 * four["fast_s"]


def test_estimates_follow_the_measured_steps():
    quick = {k: v / 10 for k, v in laptop.REFERENCE_STEP_S.items()}
    slow = {k: v * 10 for k, v in laptop.REFERENCE_STEP_S.items()}
    for work in laptop.NOTEBOOKS:
        assert laptop.estimate(work, slow, False) > laptop.estimate(work, quick, False)
    # on the reference machine itself the full estimate of 04 is its measured ~5 minutes
    four = next(w for w in laptop.NOTEBOOKS if w.name.startswith("04 "))
    assert 240 < laptop.estimate(four, laptop.REFERENCE_STEP_S, False) < 360
    advice = {w.name: laptop.recommend(w, laptop.estimate(w, quick, False), laptop.estimate(w, quick, True))
              for w in laptop.NOTEBOOKS}
    assert set(advice.values()) == {"run full"}  # a machine 10x faster runs everything in full
    advice = {w.name: laptop.recommend(w, laptop.estimate(w, slow, False), laptop.estimate(w, slow, True))
              for w in laptop.NOTEBOOKS}
    assert advice["04 training"] == "pre-run before class"  # 10x slower: even fast mode is minutes
    assert advice["01 the data"] != "pre-run before class"


def test_runs_as_a_module():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "digitlib.course.laptop", "--budget", "1"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert all(w.name in done.stdout for w in laptop.NOTEBOOKS)


def test_fast_mode_can_be_switched_for_this_kernel(monkeypatch, forget_fast_mode):
    monkeypatch.setenv("DIGITS_FAST", "0")
    assert fast_mode() is False
    assert fast_mode(True) is True and fast_mode() is True  # overrides DIGITS_FAST=0
    monkeypatch.setenv("DIGITS_FAST", "1")
    assert fast_mode(False) is False and fast_mode() is False  # overrides DIGITS_FAST=1
    assert fast_mode(None) is True  # reset: DIGITS_FAST decides again
    monkeypatch.setenv("DIGITS_FAST", "0")
    assert fast_mode() is False
    with pytest.raises(TypeError):
        fast_mode("yes")
