"""How fast can it learn? The measuring tools of notebook 08 and bench/speedrun.py: the speed
recipe's ablation, where a training step's time goes layer by layer, and the arithmetic limit
of the machine (FLOPs per image against what the CPU can do)."""
from __future__ import annotations

import statistics
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from digitlib.config import RECIPES, TrainConfig
from digitlib.models import SpeedCNN
from digitlib.train import fit, make_optimizer

# Each of the speed recipe's ingredients, taken away in turn: (what it becomes, how).
# A change of network is a function returning the model; a change of recipe, the fields to replace.
ABLATIONS = {
    "speed recipe (all ingredients)": {},
    "each digit read once (no shift votes)": {"model": lambda: SpeedCNN(shift_votes=False)},
    "BatchNorm+ReLU before pooling (the reference's order)": {"model": lambda: SpeedCNN(pool_first=False)},
    "conv1 with 24 maps (the reference's)": {"model": lambda: SpeedCNN(conv1=24)},
    "conv2 with 36 maps (the reference's)": {"model": lambda: SpeedCNN(conv2=36)},
    "dropout 0.5 (the reference's)": {"model": lambda: SpeedCNN(dropout=0.5)},
    "StepLR at lr 0.01 (the reference's schedule)": {"schedule": "step", "lr": 0.01, "nesterov": False},
    "rotations of ±15° (the reference's)": {"degrees": 15.0},
    "batch 64 (the reference's)": {"batch_size": 64},
}


def ablation(names=None, seeds=(0,), **overrides) -> list[dict]:
    """Train the speed recipe with each ingredient of `names` removed, once per seed.

    overrides go into every run's TrainConfig (e.g. train_subset, epochs, val_size, out);
    returns one row per run: variant, seed, seconds, validation and test accuracy. The caller's
    random state is left as it was."""
    rows = []
    for name in names or ABLATIONS:
        change = dict(ABLATIONS[name])
        make_model = change.pop("model", None)
        for seed in seeds:
            cfg = replace(RECIPES["speed"], **change, **overrides, seed=seed)
            with torch.random.fork_rng():  # seeded here, restored on the way out
                torch.manual_seed(seed)  # a variant's network starts from the weights fit() would draw
                result = fit(cfg, model=make_model() if make_model else None, progress=False, verbose=False)
            last = result.history[-1]
            rows.append({"variant": name, "seed": seed, "seconds": sum(r["seconds"] for r in result.history),
                         "val_accuracy": last.get("val_accuracy"), "test_accuracy": last["test_accuracy"]})
    return rows


def _inner_calls(seconds: float) -> int:
    """How many calls one reading must span so that the clock's tick and the scheduler's slices
    (several ms on some laptops) are small beside it: about 10 ms a reading, 1 to 20 calls (each
    call keeps its feature maps until its backward pass)."""
    return max(1, min(20, int(0.01 / max(seconds, 1e-6))))


def measure_layer_times(model: nn.Module, batch_size: int = 128, repeats: int = 20) -> list[dict]:
    """Milliseconds of forward and backward per layer for one training batch (median of repeats).

    Each layer runs alone on the input it sees in the network, so the backward time is that
    layer's own share (its gradient for its input and its weights). A reading times several calls
    in a row (about 10 ms in all) and divides: a layer that takes 0.1 ms is not lost in a clock
    or a scheduler that moves in steps of milliseconds."""
    model = model.train().to(memory_format=torch.channels_last)
    x = torch.randn(batch_size, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    x = x.contiguous(memory_format=torch.channels_last)
    layers = [(f"features.{n}", m) for n, m in model.features.named_children()] + \
             [(f"classifier.{n}", m) for n, m in model.classifier.named_children()]
    rows = []
    with torch.random.fork_rng():  # dropout draws from the caller's random state: restored on the way out
        for name, layer in layers:
            x = x.detach().requires_grad_(name != "features.conv1")  # the picture itself needs no gradient
            t0 = time.perf_counter()
            y = layer(x)
            y.backward(torch.ones_like(y))  # a first call sets things up, and sizes the readings
            calls = _inner_calls(time.perf_counter() - t0)
            fwd, bwd = [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                ys = [layer(x) for _ in range(calls)]
                t1 = time.perf_counter()
                for y in ys:
                    y.backward(torch.ones_like(y))
                t2 = time.perf_counter()
                fwd.append((t1 - t0) / calls)
                bwd.append((t2 - t1) / calls)
            rows.append({"layer": name, "forward_ms": 1000 * statistics.median(fwd),
                         "backward_ms": 1000 * statistics.median(bwd), "output": tuple(y.shape[1:])})
            x = y
    return rows


def interleaved_layer_times(models: dict, rounds: int = 3, batch_size: int = 128,
                            repeats: int = 5) -> tuple[dict[str, list[dict]], dict[str, list[list[dict]]]]:
    """measure_layer_times for every model of models (name: maker), in turns, rounds times, so
    that a busy moment of the machine hits every model alike.

    Returns (per model, its rows with each layer's median over the rounds; per model, the rows
    of every round): the rounds' spread shows how much the machine moved (layer_ms sums them)."""
    seen = {name: [] for name in models}
    for _ in range(rounds):
        for name, make_model in models.items():
            seen[name].append(measure_layer_times(make_model(), batch_size, repeats))
    merged = {name: [{"layer": r["layer"], "output": r["output"],
                      "forward_ms": statistics.median(run[i]["forward_ms"] for run in runs),
                      "backward_ms": statistics.median(run[i]["backward_ms"] for run in runs)}
                     for i, r in enumerate(runs[0])]
              for name, runs in seen.items()}
    return merged, seen


def layer_ms(rows: list[dict], kinds: tuple[str, ...] = ()) -> float:
    """Forward plus backward ms of the rows whose layer name (after the dot) starts with one of
    kinds ("bn", "relu", ...); of all rows when kinds is empty."""
    return sum(r["forward_ms"] + r["backward_ms"] for r in rows
               if not kinds or r["layer"].split(".")[1].startswith(tuple(kinds)))


def clearly(a, b, margin: float = 0.05) -> int:
    """Is a clearly larger than b? Both are lists of readings of a time or a speed, taken in turns.

    +1 when every reading of a is above every reading of b and their medians differ by more than
    margin (a fraction), -1 the other way round, 0 when the readings overlap or the medians are
    closer than margin: then the difference is within the machine's noise and nothing is claimed."""
    a, b = list(a), list(b)
    ma, mb = statistics.median(a), statistics.median(b)
    if min(a) > max(b) and ma > mb * (1 + margin):
        return 1
    if max(a) < min(b) and mb > ma * (1 + margin):
        return -1
    return 0


def luck_points(accuracy: float, n: int) -> float:
    """Two standard errors of an accuracy measured on n digits, in points: two runs' accuracies
    closer than this can swap places with another seed or another sample of digits."""
    return 200 * (accuracy * (1 - accuracy) / n) ** 0.5


def compared(a, b, larger: str, smaller: str, level: str = "within noise of", margin: float = 0.05) -> str:
    """The word for a against b, from clearly(): larger, smaller, or level."""
    return {1: larger, -1: smaller, 0: level}[clearly(a, b, margin)]


def flops_per_image(model: nn.Module) -> int:
    """Multiply-adds x 2 of one forward pass through the convolutions and linear layers (the
    rest, BatchNorm, ReLU, pooling, is a few operations per number and is left out)."""
    total = []

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            total.append(output[0].numel() * per_output * 2)
        elif isinstance(module, nn.Linear):
            total.append(module.in_features * module.out_features * 2)

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    return sum(total)


def matmul_gflops(size: int = 1024, seconds: float = 1.0) -> float:
    """What this CPU does at its best: a large float32 matrix product, in billions of FLOPs per
    second. A practical peak (the datasheet's is higher still), measured, not assumed."""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(size, size, generator=gen), torch.randn(size, size, generator=gen)
    a @ b  # warm up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    return 2 * size ** 3 * n / (time.perf_counter() - t0) / 1e9


def training_images_per_second(model: nn.Module, cfg: TrainConfig | None = None, steps: int = 30) -> float:
    """Training steps (forward, backward, the recipe's SGD step) on one ready-made batch: the
    network's own speed, data loading and augmentation aside. bench/benchmark.py's ceiling."""
    cfg = cfg or RECIPES["speed"]
    model = model.train().to(memory_format=torch.channels_last)
    opt, _ = make_optimizer(model.parameters(), cfg, steps_per_epoch=steps + 5)  # the recipe's own SGD
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(cfg.batch_size, 1, 28, 28, generator=gen).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (cfg.batch_size,), generator=gen)
    with torch.random.fork_rng():  # dropout draws from the caller's random state: restored on the way out
        for i in range(steps + 5):
            if i == 5:
                t0 = time.perf_counter()  # the first steps set things up
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
    return steps * cfg.batch_size / (time.perf_counter() - t0)


def interleaved_readings(variants: dict, rounds: int = 4, steps: int = 60) -> dict[str, list[float]]:
    """Training images/s of each (model maker, TrainConfig) variant, measured in turns, rounds
    times: a slow minute of a shared machine hits every variant alike (runs timed one after
    another drift by more than the differences measured). One list of readings per variant."""
    seen = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (make_model, cfg) in variants.items():
            seen[name].append(training_images_per_second(make_model(), cfg, steps))
    return seen


def interleaved_speeds(variants: dict, rounds: int = 4, steps: int = 60) -> dict[str, float]:
    """Median training images/s of each (model maker, TrainConfig) variant, measured in turns
    (interleaved_readings)."""
    return {name: statistics.median(v) for name, v in interleaved_readings(variants, rounds, steps).items()}


def ablation_variants(names=None) -> dict:
    """ABLATIONS as (model maker, TrainConfig) pairs for interleaved_readings: a training step of
    each, network and recipe, without the data (augmentation's angle costs nothing per step)."""
    out = {}
    for name in names or ABLATIONS:
        change = dict(ABLATIONS[name])
        make_model = change.pop("model", SpeedCNN)
        out[name] = (make_model, replace(RECIPES["speed"], **change))
    return out
