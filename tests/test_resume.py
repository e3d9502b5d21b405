"""Ctrl-C at any point of a run, then the hint it prints: the resumed run is the run that was
started (same settings, same numbers), and the shipped model is never touched."""
import os
import shlex
import shutil
import signal
import subprocess
import sys

import pytest
import torch

from digitlib import train as train_module
from digitlib.checkpoint import load_checkpoint
from digitlib.cli import main
from digitlib.train import last_path

from .conftest import ROOT, default_ctrl_c

RUN = ["train", "--fast", "--epochs", "3", "--seed", "5"]  # not the defaults: resume must remember them


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "m.pth"
    assert main([*RUN, "--out", str(out)]) == 0
    return load_checkpoint(last_path(out))


def interrupt_in_epoch(monkeypatch, epoch):
    real, calls = train_module.train_one_epoch, {"n": 0}

    def fake(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise KeyboardInterrupt  # the learner presses Ctrl-C during this epoch
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "train_one_epoch", fake)


@pytest.mark.parametrize("epoch", [1, 2, 3])
def test_interrupt_then_resume_is_the_same_run(tmp_path, monkeypatch, capsys, uninterrupted, epoch):
    out = tmp_path / "m.pth"
    with monkeypatch.context() as m:
        interrupt_in_epoch(m, epoch)
        assert main([*RUN, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    if epoch == 1:  # nothing finished: no hint that would fail
        assert "nothing of this run was saved" in err and "--resume" not in err and not out.exists()
        return
    hint = err.strip().splitlines()[-1]
    assert hint.startswith(f"interrupted; continue with: {shlex.quote(sys.executable)} -m digitlib train --resume")
    assert main(["train", "--resume", "--out", str(out)]) == 0  # no other flag: all from the saved run
    resumed = load_checkpoint(last_path(out))
    assert resumed["config"]["seed"] == 5 and resumed["config"]["train_subset"] == 6000
    assert [r["train_loss"] for r in resumed["history"]] == [r["train_loss"] for r in uninterrupted["history"]]
    for k, v in uninterrupted["state_dict"].items():
        assert torch.equal(resumed["state_dict"][k], v), k


def interrupted_in_epoch_2(tmp_path, monkeypatch, capsys):
    out = tmp_path / "m.pth"
    with monkeypatch.context() as m:
        interrupt_in_epoch(m, 2)
        assert main([*RUN, "--out", str(out)]) == 130
    capsys.readouterr()
    return out


def test_a_new_run_interrupted_early_offers_no_hint_to_an_older_runs_state(tmp_path, monkeypatch, capsys):
    out = interrupted_in_epoch_2(tmp_path, monkeypatch, capsys)  # an older run (seed 5) left its state
    with monkeypatch.context() as m:
        interrupt_in_epoch(m, 1)  # a different run into the same --out, stopped before it saved
        assert main(["train", "--fast", "--epochs", "2", "--seed", "9", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "nothing of this run was saved" in err and "--resume" not in err
    with monkeypatch.context() as m:
        interrupt_in_epoch(m, 1)  # --resume names the run it continues: the older one
        assert main(["train", "--resume", "--out", str(out)]) == 130
    said = capsys.readouterr()
    assert "resuming the run started " in said.out and "3 epochs, 6000 training digits) after epoch 1" in said.out
    assert "continue with:" in said.err  # that run's state, still resumable


DAMAGE = {  # a .last.pth whose parts are of the right container but wrong inside
    "optimizer type": lambda s: s.update(optimizer="x"),
    "optimizer groups": lambda s: s.update(optimizer={"state": {}, "param_groups": []}),
    "generator": lambda s: s.update(generator=torch.zeros(3, dtype=torch.uint8)),
    "torch rng": lambda s: s.update(torch_rng=torch.zeros(3)),
    "settings": lambda s: s["config"].update(epochs="three"),
    "epoch": lambda s: s.update(epoch=0),
    "weights": lambda s: s["state_dict"].update({k: v[:1] for k, v in s["state_dict"].items() if v.dim()}),
}


@pytest.fixture(scope="module")
def stopped_in_epoch_2(tmp_path_factory):
    out = tmp_path_factory.mktemp("stopped") / "m.pth"
    with pytest.MonkeyPatch.context() as m:
        interrupt_in_epoch(m, 2)
        assert main([*RUN, "--out", str(out)]) == 130
    return out


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_state_file_is_one_line_on_resume(tmp_path, capsys, stopped_in_epoch_2, damage):
    out = tmp_path / "m.pth"
    for src in (stopped_in_epoch_2, last_path(stopped_in_epoch_2)):
        shutil.copy(src, tmp_path / src.name)
    capsys.readouterr()
    state = torch.load(last_path(out), weights_only=True)
    DAMAGE[damage](state)
    torch.save(state, last_path(out))
    assert main(["train", "--resume", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: cannot resume: {last_path(out)} is damaged"), err


def test_resume_refuses_flags_that_disagree(tmp_path, monkeypatch, capsys):
    out = interrupted_in_epoch_2(tmp_path, monkeypatch, capsys)
    assert main(["train", "--resume", "--epochs", "20", "--out", str(out)]) == 1
    assert "--epochs 20 disagrees with the run being resumed (epochs 3)" in capsys.readouterr().err
    assert main(["train", "--resume", "--seed", "5", "--fast", "--out", str(out)]) == 0  # agreeing is fine


def test_resume_after_the_best_file_was_deleted_is_refused(tmp_path, monkeypatch, capsys):
    out = interrupted_in_epoch_2(tmp_path, monkeypatch, capsys)
    out.unlink()
    assert main(["train", "--resume", "--out", str(out)]) == 1
    assert "the best checkpoint" in capsys.readouterr().err and not out.exists()


def test_real_ctrl_c_prints_a_hint_that_works_as_printed(tmp_path):
    out = tmp_path / "m.pth"
    proc = subprocess.Popen([sys.executable, "-m", "digitlib", *RUN, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_ctrl_c)
    seen = []
    for line in proc.stdout:  # wait until epoch 1 is saved, then press Ctrl-C
        seen.append(line)
        if line.startswith("epoch  1/3"):
            proc.send_signal(signal.SIGINT)
            break
    out_rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, ("".join(seen) + out_rest)[-1500:] + err[-1500:]
    hint = err.strip().splitlines()[-1].split("continue with: ", 1)[1]
    again = subprocess.run(shlex.split(hint), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert load_checkpoint(last_path(out))["epoch"] == 3


def test_saved_files_are_readable_by_others(tmp_path, uninterrupted):
    from digitlib.checkpoint import save_checkpoint
    from digitlib.models import MLP

    old = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / "m.pth", MLP(), "MLP")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o044 == 0o044  # group and others may read, as for any file


def test_an_interrupted_new_run_never_replaces_the_model_already_there(tmp_path, monkeypatch, capsys, uninterrupted):
    """Exercise 04.3 says "interrupt training": the 99.5% model of the last class must survive a
    new run stopped after epoch 1, and the new run takes its place only once it has finished."""
    out = tmp_path / "m.pth"
    assert main([*RUN, "--out", str(out)]) == 0
    earlier = out.read_bytes()
    with monkeypatch.context() as m:  # a much worse run: one epoch on a few digits, stopped in epoch 2
        interrupt_in_epoch(m, 2)
        assert main(["train", "--fast", "--epochs", "3", "--seed", "6", "--lr", "0.0001", "--out", str(out)]) == 130
    said = capsys.readouterr().out
    assert "stays there until this run's best beats it or the run finishes" in said
    assert out.read_bytes() == earlier and (tmp_path / "m.this_run.pth").is_file()
    assert main(["train", "--resume", "--out", str(out)]) == 0  # finished: now it is the model
    assert out.read_bytes() != earlier and not (tmp_path / "m.this_run.pth").exists()
    assert load_checkpoint(out)["config"]["seed"] == 6


def test_a_finished_run_that_replaced_an_earlier_model_can_be_extended(tmp_path, capsys):
    """solutions/04: a 1-epoch run into a path that already holds a model, then the same run
    resumed for 2 epochs: the finished run's best took the earlier model's place, and --resume
    must find it there."""
    out = tmp_path / "m.pth"
    assert main([*RUN, "--epochs", "1", "--out", str(out)]) == 0
    assert main([*RUN, "--epochs", "1", "--seed", "6", "--out", str(out)]) == 0  # finished: replaced the first
    assert not (tmp_path / "m.this_run.pth").exists()
    from digitlib.train import fit, resume_config

    cfg = resume_config(out).but(epochs=2)
    result = fit(cfg, resume=True, progress=False, verbose=False)
    assert [r["epoch"] for r in result.history] == [1, 2] and load_checkpoint(out)["config"]["seed"] == 6
