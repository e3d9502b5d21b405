"""The training loop: plain PyTorch you can read top to bottom.

The data sit in memory as one tensor; each step slices a batch, augments it on tensors,
normalises it and takes an SGD step. After every epoch we measure the test set and keep
the best model (or, with keep="last", simply the latest); a "last" checkpoint after every
epoch makes ``--resume`` possible.
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from digitlib.augment import random_affine, random_coarse, random_elastic, random_pen, random_thin
from digitlib.checkpoint import load_checkpoint, save_checkpoint
from digitlib.config import TrainConfig
from digitlib.data import NOT_A_DIGIT, MNISTTensors, load_mnist, normalize
from digitlib.device import SharedCores, pick_device
from digitlib.errors import DigitsError
from digitlib.models import build_model, infer
from digitlib.outputs import check_output_path, exclusive  # noqa: F401 (callers import them from here)
from digitlib.resume import last_path, load_last, restore, resume_config, save_last, staging_path  # noqa: F401


def make_optimizer(params, cfg: TrainConfig, steps_per_epoch: int | None = None):
    """The recipe's SGD and its schedule, built in this one place. StepLR is stepped once an
    epoch; one-cycle once a batch, so it needs to know how many batches an epoch has."""
    optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                                weight_decay=cfg.weight_decay)
    if cfg.schedule == "step":
        return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    if not steps_per_epoch:
        raise ValueError("the one-cycle schedule needs steps_per_epoch")
    return optimizer, torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch, pct_start=cfg.warmup,
        anneal_strategy="linear", cycle_momentum=False, div_factor=10, final_div_factor=100)


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """How many batches train_one_epoch takes from n_train digits: its range of batch starts
    stops before a last batch of one (BatchNorm needs two)."""
    return len(range(0, n_train - 1, batch_size))


@torch.no_grad()
def batched_logits(model: nn.Module, data: MNISTTensors, batch_size: int = 256,
                   device: torch.device | str | None = None, votes: bool = True):
    """Yield (logits, labels) batch by batch, the model in eval mode, inputs normalised as in training.
    votes=False reads each digit once even with a model that votes (models.infer): 9x cheaper."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    for i in range(0, len(data), batch_size):
        x = normalize(data.images[i:i + batch_size].to(device)).contiguous(memory_format=torch.channels_last)
        yield infer(model, x) if votes else model(x), data.labels[i:i + batch_size].to(device)


def evaluate(model: nn.Module, data: MNISTTensors, batch_size: int = 256,
             device: torch.device | str | None = None, votes: bool = True) -> dict:
    """Mean cross-entropy loss and accuracy (0..1) of model on data."""
    total_loss, correct = 0.0, 0
    for logits, y in batched_logits(model, data, batch_size, device, votes):
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return {"loss": total_loss / len(data), "accuracy": correct / len(data)}


def logits_of(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The model's ten logits (N, 10), on the CPU, for images (N, 1, 28, 28) in [0, 1]."""
    unlabelled = MNISTTensors(images, torch.zeros(len(images), dtype=torch.long))
    return torch.cat([logits.cpu() for logits, _ in batched_logits(model, unlabelled, batch_size)])


def probabilities(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The softmax over the ten digits (N, 10), on the CPU, for images (N, 1, 28, 28) in [0, 1]:
    the one place the course turns a model's logits into probabilities."""
    return logits_of(model, images, batch_size).softmax(1)


@dataclass
class FitResult:
    model: nn.Module
    history: list[dict] = field(default_factory=list)
    best_accuracy: float = 0.0   # on the set that picks the best epoch (selected_on)
    best_epoch: int = 0
    selected_on: str = "test"
    checkpoint: Path | None = None
    seconds: float = 0.0
    started: str = ""            # when the run began (kept across resumes): names the run --resume continues
    # The test accuracy of a model that was at the checkpoint path before this run: it stays there
    # until this run's best beats it or the run finishes (an interrupted run never replaces it).
    previous: float | None = None


def split_validation(train: MNISTTensors, size: int, seed: int) -> tuple[MNISTTensors, MNISTTensors | None]:
    """(training set without the validation digits, validation set): `size` digits drawn at
    random (seeded), or (train, None) when size is 0."""
    if size == 0:
        return train, None
    if size > len(train) - 2:
        raise DigitsError(f"val_size {size} leaves too few of the {len(train)} training digits to train on")
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed + 1))
    return train.take(perm[size:]), train.take(perm[:size])


def run_digits(cfg: TrainConfig, train: MNISTTensors | None = None) -> tuple[MNISTTensors, MNISTTensors | None]:
    """(the digits a run with these settings learns from, its validation digits or None). Fine-tuning
    mixes in only the first, so forgetting can still be read honestly on the second."""
    return split_validation((train or load_mnist(True)).subset(cfg.train_subset, seed=cfg.seed), cfg.val_size, cfg.seed)


def digit_loss(logits: torch.Tensor, y: torch.Tensor, cfg: TrainConfig) -> torch.Tensor:
    """Cross-entropy on the digits. Pictures labelled NOT_A_DIGIT (-1), only in the "not sure"
    check's training, are pushed toward a flat softmax instead (every digit 10%); cfg.score_weight
    adds hinges on how loudly each answers (TrainConfig)."""
    if not cfg.outlier_weight:
        return F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
    digit = y != NOT_A_DIGIT
    loss = logits.new_zeros(())
    if digit.any():
        loss = loss + F.cross_entropy(logits[digit], y[digit], label_smoothing=cfg.label_smoothing)
    if not digit.all():
        loss = loss - cfg.outlier_weight * F.log_softmax(logits[~digit], 1).mean()
    # A flat softmax says nothing of how loud the logits are: a doubted digit could score just like a
    # non-digit. The hinges push the two scores apart, so a threshold between them doubts fewer
    # digits; each picture's hinge counts as one of the batch, like its cross-entropy.
    if cfg.score_weight:
        score = logits.logsumexp(1)
        hinge = ((F.relu(cfg.score_floor - score[digit]) ** 2).sum()
                 + (F.relu(score[~digit] - cfg.score_ceiling) ** 2).sum())
        loss = loss + cfg.score_weight * hinge / len(y)
    return loss


def train_one_epoch(model: nn.Module, train: MNISTTensors, optimizer, cfg: TrainConfig,
                    gen: torch.Generator, progress: bool = True, desc: str = "epoch",
                    batch_scheduler=None) -> dict:
    """One pass over the shuffled training set: slice a batch, augment, normalise, forward,
    loss, backward, step. Returns the epoch's mean loss and accuracy on what it trained on.
    A batch_scheduler (one-cycle) moves the learning rate after every step."""
    device = train.images.device
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model.train()
    if cfg.outlier_weight:  # BatchNorm keeps the digits' statistics: half of what it sees is not digits
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
    n, bs = len(train), cfg.batch_size
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    perm = torch.randperm(n, generator=gen).to(device)
    # one refresh a second: in a notebook every refresh is a widget message to the browser
    steps = tqdm(range(0, n - 1, bs), desc=desc, leave=False, disable=not progress, mininterval=1.0)
    for step, i in enumerate(steps):
        idx = perm[i:i + bs]
        if len(idx) < 2:  # BatchNorm needs two examples to compute a variance
            continue
        x, y = train.images[idx], train.labels[idx]
        if cfg.augment:
            x = random_affine(x, cfg.degrees, cfg.translate, generator=gen, mode=cfg.interpolation)
            if cfg.pen:
                x = random_pen(x, cfg.pen, generator=gen)
            if cfg.thin:
                x = random_thin(x, cfg.thin, generator=gen)
            if cfg.coarse:
                x = random_coarse(x, cfg.coarse, generator=gen)
            if cfg.elastic:
                x = random_elastic(x, cfg.elastic, generator=gen)
        x = normalize(x).contiguous(memory_format=memory_format)
        logits = model(x)
        loss = digit_loss(logits, y, cfg)
        if step % 50 == 0 and not math.isfinite(loss.item()):  # a check now and then costs nothing
            raise Diverged(loss.item())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        loss_sum += loss.detach() * len(idx)
        correct += (logits.argmax(1) == y).sum()
    train_loss = loss_sum.item() / n
    if not math.isfinite(train_loss):
        raise Diverged(train_loss)
    return {"train_loss": train_loss, "train_accuracy": correct.item() / n}


class Diverged(Exception):
    """The loss stopped being a number: nothing learnt from here on is worth saving."""


def fit(config: TrainConfig | None = None, train: MNISTTensors | None = None,
        test: MNISTTensors | None = None, resume: bool = False, progress: bool = True,
        verbose: bool = True, model: nn.Module | None = None) -> FitResult:
    """Train cfg.arch (or a model you built) with the recipe in cfg, keep the best checkpoint
    at cfg.out.

    With resume=True the run continues from the last finished epoch of the run saved at
    cfg.out (use ``resume_config`` to get that run's settings).
    """
    cfg = (config or TrainConfig()).validate()
    if model is not None and resume:
        raise DigitsError("resume rebuilds the model from the checkpoint; leave out model=")
    if model is not None:  # a model you built: its class name goes into the log and the checkpoint
        cfg = cfg.but(arch=type(model).__name__)
    device = pick_device(cfg.device)
    out = check_output_path(cfg.out)
    # cfg.seed decides the weights and dropout here; the caller's own random state is left as it was
    with exclusive(out, "training"), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), \
            SharedCores() as cores:
        torch.manual_seed(cfg.seed)
        return _fit(cfg, device, out, train, test, resume, progress, verbose, model, cores)


@dataclass
class _Run:
    """Everything one training run works with, built once by _start."""
    cfg: TrainConfig
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    gen: torch.Generator      # shuffling and augmentation
    train: MNISTTensors
    val: MNISTTensors | None
    test: MNISTTensors
    result: FitResult
    say: object


def _fit(cfg, device, out, train, test, resume, progress, verbose, model=None, cores=None) -> FitResult:
    run = _start(cfg, device, out, train, test, verbose, model)
    first = _resume(run) + 1 if resume else 1
    began = time.perf_counter()
    for epoch in tqdm(range(first, cfg.epochs + 1), desc="epochs", disable=not progress,
                      initial=first - 1, total=cfg.epochs):
        if cores is not None and device.type == "cpu":
            cores.share(run.say)
        row = _train_and_measure(run, epoch, progress)
        improved = _keep(run, row)
        save_last(cfg, run.model, run.optimizer, run.scheduler, run.gen, run.result, epoch)
        if verbose:
            line = _epoch_line(run, row, improved)
            tqdm.write(line) if progress else print(line)
            sys.stdout.flush()  # `train | tee log` and a watching parent see each epoch as it ends
    run.result.seconds = time.perf_counter() - began
    if run.result.previous is not None and staging_path(out).is_file():  # finished: its best takes the place
        os.replace(staging_path(out), out)
    _say_result(run)
    return run.result


def _start(cfg, device, out, train, test, verbose, model) -> _Run:
    """The data on the device, the model, its optimizer and schedule, an empty result."""
    say = print if verbose else (lambda *a, **k: None)
    say(f"training {cfg.arch} on {device}, config:\n{cfg.describe()}")
    train, val = run_digits(cfg, train)
    test = (test or load_mnist(False)).subset(cfg.test_subset, seed=cfg.seed)
    # Keep the whole set on the device: on a GPU this removes every host-to-device copy.
    train, test, val = train.to(device), test.to(device), val.to(device) if val is not None else None
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model = (model if model is not None else build_model(cfg.arch)).to(device, memory_format=memory_format)
    if cfg.shift_votes is not None:
        model.shift_votes = cfg.shift_votes
    optimizer, scheduler = make_optimizer(model.parameters(), cfg, steps_per_epoch(len(train), cfg.batch_size))
    pick = "last" if cfg.keep == "last" else "val" if val is not None else "test"
    result = FitResult(model=model, checkpoint=out, selected_on=pick, started=time.strftime("%Y-%m-%d %H:%M:%S"),
                       previous=_previous_accuracy(out))
    if result.previous is not None:
        say(f"{out} already holds a model ({result.previous:.2%} test accuracy): it stays there until this run's "
            f"best beats it or the run finishes; until then this run's best is kept in {staging_path(out).name}")
    return _Run(cfg, model, optimizer, scheduler, torch.Generator().manual_seed(cfg.seed), train, val, test,
                result, say)


def _previous_accuracy(out: Path) -> float | None:
    """The test accuracy of a model already at out (0.0 if it records none), None when there is none."""
    if not out.is_file():
        return None
    try:
        accuracy = load_checkpoint(out).get("test_accuracy")
    except DigitsError:  # a damaged file is nothing worth keeping
        return None
    return float(accuracy) if isinstance(accuracy, float) else 0.0


def _resume(run: _Run) -> int:
    """Put the interrupted run saved at cfg.out back in place; the last epoch it finished."""
    cfg, result = run.cfg, run.result
    state = load_last(cfg)
    restore(state, last_path(cfg.out), run.model, run.optimizer, run.scheduler, run.gen)
    result.history = list(state["history"])
    result.best_accuracy, result.best_epoch = state["best_accuracy"], state["best_epoch"]
    previous = state.get("previous")  # still kept only while this run's best waits beside it
    result.previous = previous if isinstance(previous, float) and staging_path(cfg.out).is_file() else None
    result.started = state.get("started") or "at an unknown time"
    subset = f"{cfg.train_subset} training digits" if cfg.train_subset else "all training digits"
    run.say(f"resuming the run started {result.started} ({cfg.recipe} recipe, {cfg.arch}, {cfg.epochs} epochs, "
            f"{subset}) after epoch {state['epoch']} (best so far {result.best_accuracy:.2%})")
    return state["epoch"]


def _train_and_measure(run: _Run, epoch: int, progress: bool) -> dict:
    """One epoch of training, then the test (and validation) set: one row of the history."""
    cfg, t0 = run.cfg, time.perf_counter()
    lr = run.optimizer.param_groups[0]["lr"]
    per_batch = cfg.schedule == "onecycle"
    try:
        row = train_one_epoch(run.model, run.train, run.optimizer, cfg, run.gen, progress, desc=f"epoch {epoch}",
                              batch_scheduler=run.scheduler if per_batch else None)
    except Diverged as e:
        best = run.result.best_epoch
        kept = (f"; {run.result.checkpoint} still holds the earlier model" if run.result.previous is not None
                else f"; {run.result.checkpoint} still holds epoch {best}" if best else "")
        raise DigitsError(f"training diverged in epoch {epoch}: the loss became {e.args[0]} "
                          f"(learning rate {lr:g} too high?); nothing from it was saved{kept}") from None
    if not per_batch:
        run.scheduler.step()
    # Before the last epoch a reading is progress: a model that votes reads each digit once
    # then (9x cheaper). The last epoch's reading is the model as it will be used.
    votes = epoch == cfg.epochs
    test = evaluate(run.model, run.test, votes=votes)
    row = {"epoch": epoch, "lr": lr, **row, "test_loss": test["loss"], "test_accuracy": test["accuracy"]}
    if run.val is not None:
        val = evaluate(run.model, run.val, votes=votes)
        row.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
    row["seconds"] = time.perf_counter() - t0
    run.result.history.append(row)
    return row


def _keep(run: _Run, row: dict) -> bool:
    """Save the model if this epoch is the one to keep (the best so far, or simply the last)."""
    result, pick = run.result, run.result.selected_on
    if pick == "last":  # every epoch replaces the saved model: no set chooses anything
        score = row.get("val_accuracy", row["test_accuracy"])
    else:
        score = row[f"{pick}_accuracy"]
        if score <= result.best_accuracy:
            return False
    result.best_accuracy, result.best_epoch = score, row["epoch"]
    if result.previous is not None and row["test_accuracy"] > result.previous:
        result.previous = None  # beaten: from now on this run writes the checkpoint itself
    target = result.checkpoint if result.previous is None else staging_path(result.checkpoint)
    save_checkpoint(target, run.model, run.cfg.arch, config=run.cfg.as_dict(), epoch=row["epoch"],
                    test_accuracy=row["test_accuracy"], history=result.history)
    if target == result.checkpoint:
        staging_path(target).unlink(missing_ok=True)
    return True


def _epoch_line(run: _Run, row: dict, improved: bool) -> str:
    val = f"  |  val acc {row['val_accuracy']:.2%}" if "val_accuracy" in row else ""
    saved = ("  saved" if run.result.selected_on == "last" else "  * best, saved") if improved else ""
    if improved and run.result.previous is not None:
        saved += f" (beside the earlier model, in {staging_path(run.result.checkpoint).name})"
    return (f"epoch {row['epoch']:>2}/{run.cfg.epochs}  lr {row['lr']:.4g}  train loss {row['train_loss']:.4f} "
            f"acc {row['train_accuracy']:.2%}  |  test loss {row['test_loss']:.4f} "
            f"acc {row['test_accuracy']:.2%}{val}  {row['seconds']:.1f}s{saved}")


def _say_result(run: _Run) -> None:
    r = run.result
    if r.selected_on == "last":
        run.say(f"final model (epoch {r.best_epoch}, chosen by no set): test accuracy "
                f"{r.history[-1]['test_accuracy']:.2%}, saved to {r.checkpoint} ({r.seconds:.0f}s)")
    else:
        run.say(f"best {r.selected_on} accuracy {r.best_accuracy:.2%} at epoch {r.best_epoch}, "
                f"saved to {r.checkpoint} ({r.seconds:.0f}s)")
