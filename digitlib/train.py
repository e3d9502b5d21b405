"""The training loop: plain PyTorch you can read top to bottom.

The data sit in memory as one tensor; each step slices a batch, augments it on tensors,
normalises it and takes an SGD step. After every epoch we measure the test set and keep
the best model; a "last" checkpoint after every epoch makes ``--resume`` possible.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .augment import random_affine
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .data import MNISTTensors, load_mnist, normalize
from .errors import DigitsError
from .models import build_model


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def last_path(best_path: str | Path) -> Path:
    """Where the resumable end-of-epoch state lives, next to the best checkpoint."""
    p = Path(best_path)
    return p.with_name(p.stem + ".last.pth")


def make_optimizer(params, cfg: TrainConfig):
    """The recipe's SGD and its StepLR schedule, built in this one place."""
    optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)


@torch.no_grad()
def batched_logits(model: nn.Module, data: MNISTTensors, batch_size: int = 1000,
                   device: torch.device | str | None = None):
    """Yield (logits, labels) batch by batch, the model in eval mode, inputs normalised as in training."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    for i in range(0, len(data), batch_size):
        x = normalize(data.images[i:i + batch_size].to(device))
        yield model(x.contiguous(memory_format=torch.channels_last)), data.labels[i:i + batch_size].to(device)


def evaluate(model: nn.Module, data: MNISTTensors, batch_size: int = 1000,
             device: torch.device | str | None = None) -> dict:
    """Mean cross-entropy loss and accuracy (0..1) of model on data."""
    total_loss, correct = 0.0, 0
    for logits, y in batched_logits(model, data, batch_size, device):
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return {"loss": total_loss / len(data), "accuracy": correct / len(data)}


@dataclass
class FitResult:
    model: nn.Module
    history: list[dict] = field(default_factory=list)
    best_accuracy: float = 0.0
    best_epoch: int = 0
    checkpoint: Path | None = None
    seconds: float = 0.0


def fit(config: TrainConfig | None = None, train: MNISTTensors | None = None,
        test: MNISTTensors | None = None, resume: bool = False, progress: bool = True,
        verbose: bool = True) -> FitResult:
    cfg = config or TrainConfig()
    device = pick_device(cfg.device)
    say = print if verbose else (lambda *a, **k: None)
    say(f"training {cfg.arch} on {device}, config:\n{cfg.describe()}")

    train = (train or load_mnist(True)).subset(cfg.train_subset, seed=cfg.seed)
    test = (test or load_mnist(False)).subset(cfg.test_subset, seed=cfg.seed)
    # Keep the whole set on the device: on a GPU this removes every host-to-device copy.
    train = MNISTTensors(train.images.to(device), train.labels.to(device))
    test = MNISTTensors(test.images.to(device), test.labels.to(device))

    torch.manual_seed(cfg.seed)  # weight init and dropout
    gen = torch.Generator().manual_seed(cfg.seed)  # shuffling and augmentation
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model = build_model(cfg.arch).to(device, memory_format=memory_format)
    optimizer, scheduler = make_optimizer(model.parameters(), cfg)
    result = FitResult(model=model, checkpoint=Path(cfg.out))
    start_epoch = 1

    if resume:
        state = _load_last(cfg)
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        result.history = list(state["history"])
        result.best_accuracy, result.best_epoch = state["best_accuracy"], state["best_epoch"]
        start_epoch = state["epoch"] + 1
        say(f"resuming after epoch {state['epoch']} (best so far {result.best_accuracy:.2%})")

    n, bs = len(train), cfg.batch_size
    began = time.perf_counter()
    epochs = tqdm(range(start_epoch, cfg.epochs + 1), desc="epochs", disable=not progress,
                  initial=start_epoch - 1, total=cfg.epochs)
    for epoch in epochs:
        t0 = time.perf_counter()
        model.train()
        lr = optimizer.param_groups[0]["lr"]
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        perm = torch.randperm(n, generator=gen).to(device)
        # one refresh a second: in a notebook every refresh is a widget message to the browser
        steps = tqdm(range(0, n - 1, bs), desc=f"epoch {epoch}", leave=False, disable=not progress,
                     mininterval=1.0)
        for i in steps:
            idx = perm[i:i + bs]
            if len(idx) < 2:  # BatchNorm needs two examples to compute a variance
                continue
            x, y = train.images[idx], train.labels[idx]
            if cfg.augment:
                x = random_affine(x, cfg.degrees, cfg.translate, generator=gen, mode=cfg.interpolation)
            x = normalize(x).contiguous(memory_format=memory_format)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(idx)
            correct += (logits.argmax(1) == y).sum()
        scheduler.step()

        metrics = evaluate(model, test, device=device)
        row = {"epoch": epoch, "lr": lr, "train_loss": loss_sum.item() / n,
               "train_accuracy": correct.item() / n, "test_loss": metrics["loss"],
               "test_accuracy": metrics["accuracy"], "seconds": time.perf_counter() - t0}
        result.history.append(row)
        improved = row["test_accuracy"] > result.best_accuracy
        if improved:
            result.best_accuracy, result.best_epoch = row["test_accuracy"], epoch
            save_checkpoint(cfg.out, model, cfg.arch, config=cfg.as_dict(), epoch=epoch,
                            test_accuracy=row["test_accuracy"], history=result.history)
        _save_last(cfg, model, optimizer, scheduler, gen, result, epoch)
        msg = (f"epoch {epoch:>2}/{cfg.epochs}  lr {lr:.4g}  train loss {row['train_loss']:.4f} "
               f"acc {row['train_accuracy']:.2%}  |  test loss {row['test_loss']:.4f} "
               f"acc {row['test_accuracy']:.2%}  {row['seconds']:.1f}s{'  * best, saved' if improved else ''}")
        if verbose:
            tqdm.write(msg) if progress else print(msg)

    result.seconds = time.perf_counter() - began
    say(f"best test accuracy {result.best_accuracy:.2%} at epoch {result.best_epoch}, "
        f"saved to {cfg.out} ({result.seconds:.0f}s)")
    return result


def _save_last(cfg, model, optimizer, scheduler, gen, result, epoch) -> None:
    save_checkpoint(last_path(cfg.out), model, cfg.arch, config=cfg.as_dict(), epoch=epoch,
                    test_accuracy=result.history[-1]["test_accuracy"], history=result.history,
                    optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                    generator=gen.get_state(), torch_rng=torch.get_rng_state(),
                    best_accuracy=result.best_accuracy, best_epoch=result.best_epoch)


def _load_last(cfg: TrainConfig) -> dict:
    path = last_path(cfg.out)
    if not path.exists():
        raise DigitsError(f"nothing to resume: {path} does not exist (train without --resume first)")
    state = load_checkpoint(path)
    if state["arch"] != cfg.arch:
        raise DigitsError(f"cannot resume: {path} holds a {state['arch']}, not a {cfg.arch}")
    if state["epoch"] >= cfg.epochs:
        raise DigitsError(f"nothing to resume: {path} already finished {state['epoch']} of {cfg.epochs} epochs")
    return state
