"""A one-minute check of a laptop for the teacher: how long each notebook will take on it.

    python -m digitlib.course.laptop            # about a minute
    python -m digitlib.course.laptop --budget 20

It measures this machine (a few training steps of the reference CNN, of the speed recipe and of
the MLP, one reading of the drawing pad, the free memory) and estimates each notebook's time in
full and in fast mode from the training steps the notebook takes. Those step counts are read off
the configs the notebooks use (NOTEBOOKS below: each line says where its numbers come from). The
rest of a notebook (imports, test-set readings, plots) is not timed here: it is the notebook's
measured time on the course's 2-core reference machine (README) less its training, scaled by how
much faster or slower this machine trains. So the estimates are estimates: expect them within
a factor of about 1.5, and trust a real run over them.

The recommendation per notebook: run it in full during class, run it in fast mode
(`FAST = fast_mode(True)` in its first cell, or DIGITS_FAST=1 for all), or run it in full
before class (results stay in the notebook, its models in checkpoints/).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass

import torch

from digitlib.config import RECIPES, SHIPPED_CHECKPOINT, TrainConfig
from digitlib.data import MNISTTensors, load_mnist
from digitlib.device import pick_device
from digitlib.models import MLP, DigitCNN, SpeedCNN
from digitlib.train import make_optimizer, steps_per_epoch, train_one_epoch

# What one training step costs on the course's reference machine (2 cores, no GPU): the
# reference recipe's 20 epochs of 938 steps took 249.5 s with its test readings (README), the
# speed recipe's 7 x 469 steps 49.9 s; an MLP step took a tenth of a CNN's (2.9 against 28.7 ms,
# one thread of a shared machine, this module's own measurement).
REFERENCE_STEP_S = {"cnn": 0.0125, "speed": 0.0145, "mlp": 0.0013}


def _steps(n_train: int, epochs: int, batch_size: int = 64, runs: int = 1) -> int:
    return steps_per_epoch(n_train, batch_size) * epochs * runs


@dataclass(frozen=True)
class Workload:
    """One notebook: its training steps by kind (cnn: the reference CNN's, batch 64; speed: the
    speed recipe's, batch 128; mlp: the MLP's, batch 64), in full and in fast mode, and the
    seconds the rest of it took on the reference machine. Full: README's time less the training.
    Fast: a third of that, at least 5 s, for a notebook whose fast mode also shrinks its readings
    and plots; the full figure for one whose fast mode changes little (01, 05, 06). Checked on
    this module's own (shared, 1-thread) machine, at a measured step of 28.7 ms, against fast
    runs of 01, 02 and 04: 22, 17 and 38 s measured, 32, 17 and 55 s estimated."""
    name: str
    full: dict
    fast: dict
    rest_full_s: float
    wait_s: float = 180  # how long a class can watch it run (the teaching guide's plan)
    same_rest_when_fast: bool = False

    @property
    def rest_fast_s(self) -> float:
        return self.rest_full_s if self.same_rest_when_fast else max(5.0, self.rest_full_s / 3)


NOTEBOOKS = [
    Workload("01 the data", {}, {}, 14, same_rest_when_fast=True),
    # base: 2 epochs of 60,000 (fast: 1 of 6,000), no augmentation: the MLP, DigitCNN and yours
    Workload("02 fully connected vs CNN", {"mlp": _steps(60000, 2), "cnn": _steps(60000, 2, runs=2)},
             {"mlp": _steps(6000, 1), "cnn": _steps(6000, 1, runs=2)}, 14),
    # with and without augmentation: 6 epochs of 10,000 (fast: 2 of 3,000)
    Workload("03 augmentation", {"cnn": _steps(10000, 6, runs=2)}, {"cnn": _steps(3000, 2, runs=2)}, 35),
    # the step by hand twice (10,000; fast 2,000), the recipe (20 x 60,000; fast 2 x 6,000),
    # validation vs test (6 x 15,000; fast 4 x 5,000); the class talks while it trains. Its rest
    # includes the DataLoader comparison (three passes each way over 60,000 digits: ~20 s)
    Workload("04 training",
             {"cnn": _steps(10000, 1, runs=2) + _steps(60000, 20) + _steps(15000, 6)},
             {"cnn": _steps(2000, 1, runs=2) + _steps(6000, 2) + _steps(5000, 4)}, 50, wait_s=480),
    # 4 MLP runs and 9 CNN runs of 5 x 10,000 (fast: MLP 2 x 5 + 2 x 2, CNN 9 x 2, of 3,000),
    # dropout's 2 runs of 12 x 2,000 (fast 6 x 500)
    Workload("04b every part, measured",
             {"mlp": _steps(10000, 5, runs=4), "cnn": _steps(10000, 5, runs=9) + _steps(2000, 12, runs=2)},
             {"mlp": _steps(3000, 5, runs=2) + _steps(3000, 2, runs=2),
              "cnn": _steps(3000, 2, runs=9) + _steps(500, 6, runs=2)}, 51),
    Workload("05 inside the model", {}, {}, 11, same_rest_when_fast=True),
    Workload("06 draw and predict", {}, {}, 13, same_rest_when_fast=True),
    # fine-tuning 16 epochs: eve's 150 pictures x 7 + twice as many MNIST, then 5 writers left out, each
    # tuned on the other 800 x 2 + 3,200 MNIST (fast: 4 x 1,800, then 3 writers 16 x 1,200)
    Workload("07 your own handwriting", {"cnn": _steps(3150, 16) + _steps(4800, 16, runs=5)},
             {"cnn": _steps(1800, 4) + _steps(1200, 16, runs=3)}, 68),
    # the race (reference 5 x 60,000, speed 7 x 60,000; fast 2 x 6,000 each), the ablation's 9
    # variants on 20,000 (4 epochs; fast 1 of 5,000), the exercise's own run, the timings
    Workload("08 how fast can it learn",
             {"cnn": _steps(60000, 5), "speed": _steps(60000, 7, 128) + _steps(20000, 4, 128, runs=10)},
             {"cnn": _steps(6000, 2), "speed": _steps(6000, 2, 128) + _steps(5000, 1, 128, runs=10)}, 60,
             wait_s=360),
]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def step_seconds(make_model, cfg: TrainConfig, digits: MNISTTensors, share_s: float, device: torch.device) -> float:
    """Seconds of one training step as train_one_epoch takes it (slice, augment, normalise,
    forward, backward, SGD): the median of three timings of as many steps as fit in share_s
    (at least 3 each), after 2 to warm up."""
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model = make_model().to(device, memory_format=memory_format)
    optimizer, _ = make_optimizer(model.parameters(), cfg, steps_per_epoch=1000)
    gen = torch.Generator().manual_seed(0)
    bs = cfg.batch_size

    def run(steps: int) -> float:
        part = digits.take(slice(0, steps * bs + 1)).to(device)
        _sync(device)
        t0 = time.perf_counter()
        train_one_epoch(model, part, optimizer, cfg, gen, progress=False)
        _sync(device)
        return (time.perf_counter() - t0) / steps

    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        first = run(2)
        steps = int(max(3, min(200, share_s / 3 / max(first, 1e-4), (len(digits) - 1) // bs)))
        return statistics.median(run(steps) for _ in range(3))  # a busy moment spoils one of three, not the answer


def pad_seconds(repeats: int = 5) -> float:
    """Median seconds for the drawing pad to read one picture: a 280x280 drawing, the shipped
    model and its "not sure" check, on the CPU as the pad does."""
    from PIL import Image

    from digitlib.predict import Predictor

    predictor = Predictor(SHIPPED_CHECKPOINT)
    digit = load_mnist(False).images[0, 0]
    picture = Image.fromarray((255 * digit).byte().numpy()).resize((280, 280))
    predictor.predict(picture)  # the first reading sets things up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predictor.predict(picture)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def free_memory_gb() -> float | None:
    """Memory free for new programs now, in GB (None where it cannot be read)."""
    try:
        import psutil
        return psutil.virtual_memory().available / 1e9
    except ImportError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def estimate(work: Workload, step_s: dict, fast: bool) -> float:
    """Seconds one notebook should take on this machine: its training steps at the measured
    step times, plus the rest scaled by how this machine trains against the reference machine."""
    steps = work.fast if fast else work.full
    scale = step_s["cnn"] / REFERENCE_STEP_S["cnn"]
    rest = work.rest_fast_s if fast else work.rest_full_s
    return sum(n * step_s[kind] for kind, n in steps.items()) + rest * scale


def recommend(work: Workload, full_s: float, fast_s: float) -> str:
    if full_s <= work.wait_s:
        return "run full"
    if fast_s <= min(90.0, work.wait_s):
        return "run fast in class (or pre-run full before class)"
    return "pre-run before class"


def _clock(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def laptop_check(budget_s: float = 40.0, out=None) -> dict:
    """Measure this machine in about budget_s seconds (plus loading; well under a minute with
    the default), print what it found and, per notebook, estimated full- and fast-mode times with
    a recommendation. Returns {"measured": {...}, "notebooks": [{name, full_s, fast_s, advice}]}."""
    out = out or sys.stdout
    say = lambda *a: print(*a, file=out, flush=True)  # noqa: E731
    device = pick_device("auto")
    say(f"Measuring this machine ({device}, {torch.get_num_threads()} torch threads; "
        f"about {budget_s:.0f} s)...")
    digits = load_mnist(True).take(slice(0, 200 * 128 + 1))
    reference, speed = RECIPES["reference"], RECIPES["speed"]
    share = budget_s / 4
    step_s = {
        "cnn": step_seconds(DigitCNN, reference, digits, share, device),
        "speed": step_seconds(SpeedCNN, speed, digits, share, device),
        "mlp": step_seconds(MLP, reference.but(augment=False), digits, share / 4, device),
    }
    pad_s = pad_seconds(repeats=max(3, min(20, int(budget_s))))
    memory = free_memory_gb()
    measured = {"step_s": step_s, "pad_s": pad_s, "free_memory_gb": memory, "device": str(device)}
    ratio = REFERENCE_STEP_S["cnn"] / step_s["cnn"]
    say(f"  reference CNN, one training step (64 digits, augmented): {1000 * step_s['cnn']:.1f} ms "
        f"({ratio:.1f}x the speed of the course's 2-core reference machine)")
    say(f"  speed recipe, one training step (128 digits):           {1000 * step_s['speed']:.1f} ms")
    say(f"  MLP, one training step (64 digits):                     {1000 * step_s['mlp']:.1f} ms")
    say(f"  the drawing pad reads one picture in                    {1000 * pad_s:.0f} ms")
    say(f"  free memory: {memory:.1f} GB" if memory is not None else "  free memory: unknown")
    rows = []
    say("\nEstimates (from the steps each notebook trains; a real run may differ by half again):")
    say(f"  {'notebook':<28}{'full':>9}{'fast':>9}  advice")
    for work in NOTEBOOKS:
        full_s, fast_s = estimate(work, step_s, False), estimate(work, step_s, True)
        advice = recommend(work, full_s, fast_s)
        rows.append({"name": work.name, "full_s": full_s, "fast_s": fast_s, "advice": advice})
        say(f"  {work.name:<28}{_clock(full_s):>9}{_clock(fast_s):>9}  {advice}")
    say("\nFast mode for one notebook: FAST = fast_mode(True) in its first cell; for all: DIGITS_FAST=1 make lab.")
    if pad_s > 0.25:
        say(f"The pad takes {1000 * pad_s:.0f} ms a picture: it will feel slow; close other programs.")
    if memory is not None and memory < 2:
        say(f"Only {memory:.1f} GB of memory is free: close other programs before class.")
    return {"measured": measured, "notebooks": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitlib.course.laptop", description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=40.0, help="seconds to spend measuring (default 40)")
    args = parser.parse_args(argv)
    laptop_check(args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
