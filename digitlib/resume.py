"""The state an interrupted training leaves beside its checkpoint (<out>.last.pth), and reading
it back for ``train --resume``. A damaged state file is one line naming it, never a traceback."""
from __future__ import annotations

from pathlib import Path

import torch

from digitlib.checkpoint import load_checkpoint, save_checkpoint
from digitlib.config import TrainConfig
from digitlib.errors import DigitsError

# What a resumable state must hold, and of which type: checked before anything is restored.
STATE_TYPES = {"config": dict, "optimizer": dict, "scheduler": dict, "generator": torch.Tensor,
               "torch_rng": torch.Tensor, "history": list, "best_accuracy": (int, float), "best_epoch": int,
               "epoch": int}


def last_path(best_path: str | Path) -> Path:
    """Where the resumable end-of-epoch state lives, next to the best checkpoint."""
    p = Path(best_path)
    return p.with_name(p.stem + ".last.pth")


def staging_path(best_path: str | Path) -> Path:
    """Where a run keeps its best model while an earlier model at best_path is kept (see train.fit)."""
    p = Path(best_path)
    return p.with_name(p.stem + ".this_run.pth")


def resume_config(best_path: str | Path) -> TrainConfig:
    """The settings of the interrupted run whose best checkpoint is best_path: --resume uses
    them all, so a resumed run is the run that was started, not a new one with defaults."""
    state = read_last(best_path)
    try:
        return TrainConfig.from_dict({**state["config"], "out": str(best_path)}).validate()
    except (TypeError, ValueError) as e:  # settings of the wrong type: the file was damaged or crafted
        raise DigitsError(f"cannot resume: {last_path(best_path)} is damaged (its settings: {e})") from None


def save_last(cfg, model, optimizer, scheduler, gen, result, epoch) -> None:
    save_checkpoint(last_path(cfg.out), model, cfg.arch, config=cfg.as_dict(), epoch=epoch,
                    test_accuracy=result.history[-1]["test_accuracy"], history=result.history,
                    optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                    generator=gen.get_state(), torch_rng=torch.get_rng_state(),
                    best_accuracy=result.best_accuracy, best_epoch=result.best_epoch, started=result.started,
                    previous=result.previous)


def read_last(best_path: str | Path) -> dict:
    path = last_path(best_path)
    if not path.exists():
        raise DigitsError(f"nothing to resume: no finished epoch was saved for {best_path} "
                          f"(train without --resume to start)")
    state = load_checkpoint(path)
    for key, kind in STATE_TYPES.items():
        if key not in state:
            raise DigitsError(f"cannot resume: {path} lacks the training state {key!r}")
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise DigitsError(f"cannot resume: {path} is damaged (its {key!r} is a {type(state[key]).__name__})")
    return state


def load_last(cfg: TrainConfig) -> dict:
    path = last_path(cfg.out)
    state = read_last(cfg.out)
    if state["arch"] != cfg.arch:
        raise DigitsError(f"cannot resume: {path} holds a {state['arch']}, not a {cfg.arch}")
    if not 1 <= state["epoch"] < cfg.epochs:
        raise DigitsError(f"nothing to resume: {path} already finished {state['epoch']} of {cfg.epochs} epochs"
                          if state["epoch"] >= cfg.epochs else f"cannot resume: {path} is damaged "
                          f"(epoch {state['epoch']})")
    # the run's best is beside an earlier model (staging) until it beats it or the run ends, then at out
    if state["best_epoch"] and not (staging_path(cfg.out).is_file() or Path(cfg.out).is_file()):
        raise DigitsError(f"cannot resume: the best checkpoint {cfg.out} of this run is gone; "
                          f"start again without --resume")
    return state


def restore(state: dict, path: Path, model, optimizer, scheduler, gen: torch.Generator) -> None:
    """Put the saved weights, optimizer, schedule and random streams back; a damaged part
    (wrong shapes, a bad random state...) is one line naming the file."""
    try:
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
    except (RuntimeError, ValueError, TypeError, KeyError, IndexError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DigitsError(f"cannot resume: {path} is damaged ({first[:200]})") from None
