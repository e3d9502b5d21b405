"""Teach a trained model someone's own handwriting, without making it forget MNIST.

Start from a trained model, hold out part of the writer's pictures to measure before and after,
and train a few short epochs on the rest *mixed with as many MNIST training digits*, augmented
as in training, at a small learning rate. The MNIST half is what keeps the
model reading everybody else's digits (without it the model drifts toward one hand).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from digitlib.checkpoint import load_model, save_checkpoint
# FINETUNED_CHECKPOINT is decided with the other places a learner writes (config.WORK_DIR); imported from here too
from digitlib.config import FINETUNED_CHECKPOINT, SHIPPED_CHECKPOINT, TrainConfig  # noqa: F401
from digitlib.data import MNISTTensors, load_mnist
from digitlib.device import SharedCores
from digitlib.errors import DigitsError
from digitlib.handwriting.folder import DigitFolder, load_folder
from digitlib.pictures.preprocess import READ, Steps
from digitlib.train import check_output_path, evaluate, exclusive, make_optimizer, train_one_epoch, run_digits

@dataclass
class FinetuneConfig:
    # Chosen by bench/finetune_choose.py on validation splits of five folders of 900 UCI pictures
    # (never their held-out quarter), forgetting read on the shipped model's MNIST validation digits.
    # The earlier 8 epochs at lr 0.0003 left the model reading only 96% of the pictures it trained
    # on: validation 96.5%; lr 0.003 for 16 epochs with 2 MNIST digits per own picture: 97.6%, as
    # 24 epochs with 3 in half the time, forgetting 0.14 points of MNIST validation (0.11 before).
    epochs: int = 16
    lr: float = 0.003            # constant, a third of the reference's first rate: adjust, not retrain
    holdout: float = 0.25        # share of each digit's pictures kept aside to measure
    per_epoch: int = 1000        # own pictures per epoch (repeated when there are fewer)
    mnist_per_own: int = 2       # MNIST training digits mixed in per own picture: what keeps MNIST read
    seed: int = 0
    mnist_test_subset: int | None = None  # None = all 10000 test digits for the before/after check
    device: str = "cpu"

    def fast(self) -> "FinetuneConfig":
        """Seconds instead of minutes, for a quick try or a test: one short epoch, MNIST checked on 2,000."""
        return replace(self, epochs=1, per_epoch=200, mnist_test_subset=2000)

    def recipe(self) -> TrainConfig:
        """The reference recipe's batch size, momentum, weight decay and augmentation, this lr."""
        return TrainConfig().but(lr=self.lr, epochs=self.epochs, step_size=max(1, self.epochs),
                       seed=self.seed, device=self.device)


@dataclass
class FinetuneResult:
    model: torch.nn.Module
    before: dict                 # {"own": accuracy on the held-out pictures, "mnist": MNIST test accuracy}
    after: dict
    n_train: int
    n_holdout: int
    seconds: float
    out: Path | None = None
    held_out: list[int] = field(default_factory=list)  # which of the folder's pictures were held out


def split_holdout(folder: DigitFolder, share: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Indices (train, holdout): `share` of each digit's pictures, at least one when it has two."""
    gen = torch.Generator().manual_seed(seed)
    train, held = [], []
    for d in range(10):
        idx = torch.nonzero(folder.data.labels == d).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)].tolist()
        k = 0 if len(idx) < 2 else max(1, round(share * len(idx)))
        held += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(held)


def finetune(own: DigitFolder | MNISTTensors, checkpoint: str | Path = SHIPPED_CHECKPOINT,
             cfg: FinetuneConfig | None = None, holdout: MNISTTensors | None = None,
             out: str | Path | None = None, progress: bool = True, verbose: bool = True,
             extra_meta: dict | None = None) -> FinetuneResult:
    """Fine-tune the model at checkpoint on own pictures; write it to out (if given), with
    extra_meta in the checkpoint beside what fine-tuning records.

    own is a loaded folder (part of it is held out, cfg.holdout) or ready tensors with a separate
    holdout (e.g. another writer's pictures, for leave-one-writer-out).
    """
    cfg = cfg or FinetuneConfig()
    if out is None:
        return _finetune(own, checkpoint, cfg, holdout, None, progress, verbose, extra_meta)
    out = check_output_path(out)
    # held from the start: a second fine-tune into the same file is refused before it trains
    with exclusive(out, "fine-tune"):
        return _finetune(own, checkpoint, cfg, holdout, out, progress, verbose, extra_meta)


def _finetune(own, checkpoint, cfg, holdout, out, progress, verbose, extra_meta=None) -> FinetuneResult:
    say = print if verbose else (lambda *a, **k: None)
    held_idx: list[int] = []
    if isinstance(own, DigitFolder):
        train_idx, held_idx = split_holdout(own, cfg.holdout, cfg.seed)
        own, holdout = own.data.take(train_idx), own.data.take(held_idx)
    if len(own) < 10:
        raise DigitsError(f"only {len(own)} pictures to learn from; collect at least a few of each digit")
    model, meta = load_model(checkpoint, device=cfg.device)
    mnist_test = load_mnist(False).subset(cfg.mnist_test_subset, seed=cfg.seed)
    before = _measure(model, mnist_test, holdout)
    n_holdout = 0 if holdout is None else len(holdout)
    say(f"fine-tuning {meta['arch']} from {checkpoint} on {len(own)} pictures "
        f"({n_holdout} held out), {cfg.epochs} epoch{'s' * (cfg.epochs != 1)}, lr {cfg.lr}")
    began = time.perf_counter()
    with torch.random.fork_rng():  # dropout's draws: seeded here, the caller's random state untouched
        torch.manual_seed(cfg.seed)
        _train(model, own, run_digits(TrainConfig.from_dict(meta.get("config") or {}))[0], cfg, progress, verbose)
    result = FinetuneResult(model.eval(), before, _measure(model, mnist_test, holdout), len(own), n_holdout,
                            time.perf_counter() - began, held_out=held_idx)
    for key, name in (("own", "your held-out pictures"), ("mnist", "MNIST test")):
        if key in before:
            say(f"{name}: {before[key]:.2%} before, {result.after[key]:.2%} after")
    if out is not None:
        _save(result, out, meta, cfg, checkpoint, extra_meta or {})
        say(f"saved {out} ({result.seconds:.0f}s of training)")
    return result


def _measure(model, mnist_test: MNISTTensors, holdout: MNISTTensors | None) -> dict:
    row = {"mnist": evaluate(model, mnist_test)["accuracy"]}
    if holdout is not None and len(holdout):
        row["own"] = evaluate(model, holdout)["accuracy"]
    return row


def _train(model, own: MNISTTensors, mnist: MNISTTensors, cfg: FinetuneConfig, progress: bool, verbose: bool) -> None:
    """cfg.epochs of the course's training loop on own pictures, each epoch mixed with fresh MNIST
    digits drawn from those the model trained on (its validation digits stay unseen)."""
    recipe = cfg.recipe()
    gen = torch.Generator().manual_seed(cfg.seed)
    optimizer, _ = make_optimizer(model.parameters(), recipe)
    repeats = -(-cfg.per_epoch // len(own))  # ceil: small folders are seen several times an epoch
    own = MNISTTensors(own.images.repeat(repeats, 1, 1, 1), own.labels.repeat(repeats))
    say = (tqdm.write if progress else print) if verbose else (lambda *a: None)
    with SharedCores() as cores:  # beside notebook 04's training, as fit does
        for epoch in range(1, cfg.epochs + 1):
            if cfg.device == "cpu":
                cores.share(say)
            pick = torch.randint(len(mnist), (len(own) * cfg.mnist_per_own,), generator=gen)
            mixed = MNISTTensors.concat([own, mnist.take(pick)]).to(cfg.device)
            row = train_one_epoch(model, mixed, optimizer, recipe, gen, progress, desc=f"fine-tune {epoch}")
            say(f"epoch {epoch}/{cfg.epochs}  train loss {row['train_loss']:.4f}  acc {row['train_accuracy']:.2%}")


def _save(result: FinetuneResult, out: Path, meta: dict, cfg: FinetuneConfig, checkpoint, extra: dict) -> None:
    save_checkpoint(out, result.model, meta["arch"], **extra, config=meta.get("config"), epoch=meta.get("epoch"),
                    test_accuracy=result.after["mnist"],
                    finetune={**asdict(cfg), "from": str(checkpoint), "before": result.before,
                              "after": result.after, "n_train": result.n_train, "n_holdout": result.n_holdout})
    result.out = out


def load_class(root: str | Path, steps: Steps = READ) -> dict[str, DigitFolder]:
    """A class folder, root/<writer>/<digit>/<picture>: every learner's folder, by writer, each
    picture made ready with these preprocessing steps (those of the model to tune)."""
    root = Path(root)
    if not root.is_dir():
        raise DigitsError(f"{root}: no such folder (expected {root}/<writer>/<digit>/<picture>)")
    writers = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(writers) < 2:
        raise DigitsError(f"{root}: a class folder needs a subfolder per writer, found {len(writers)}")
    return {w.name: load_folder(w, steps=steps) for w in writers}


def merge(folders: list[DigitFolder]) -> DigitFolder:
    """Several writers' folders as one. A picture given twice would be trained on and held out
    at once, making the held-out measure a lie: refused."""
    seen: set[Path] = set()
    for p in (p for f in folders for p in f.paths):
        if p.resolve() in seen:
            raise DigitsError(f"{p} is given twice (a folder named twice, or one inside another); "
                              f"give each folder once")
        seen.add(p.resolve())
    data = MNISTTensors.concat([f.data for f in folders])
    return DigitFolder(data, [p for f in folders for p in f.paths], [p for f in folders for p in f.skipped],
                       [w for f in folders for w in f.unreadable])


def leave_one_writer_out(writers: dict[str, DigitFolder], checkpoint: str | Path = SHIPPED_CHECKPOINT,
                         cfg: FinetuneConfig | None = None, progress: bool = False) -> list[dict]:
    """For each writer: fine-tune on everybody else, then read this writer's pictures, which the
    model has never seen. Answers "does a model tuned on the class read a new student's hand?"."""
    rows = []
    for name, others, folder in writer_folds(writers):
        r = finetune(others.data, checkpoint, cfg, holdout=folder.data, progress=progress, verbose=False)
        rows.append({"writer": name, "n": len(folder.data), "before": r.before["own"], "after": r.after["own"],
                     "mnist_before": r.before["mnist"], "mnist_after": r.after["mnist"], "seconds": r.seconds})
    return rows


def writer_folds(writers: dict[str, DigitFolder]):
    """(writer, everybody else's pictures as one folder, this writer's folder), for each writer."""
    for name, folder in writers.items():
        yield name, merge([f for w, f in writers.items() if w != name]), folder
