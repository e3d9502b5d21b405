"""How fast does each recipe learn? Seeds x recipes, each one whole `python -m digitlib train`
process timed from start to exit (Python, torch and MNIST loading included).

For each run: wall seconds, time to 99.0% and 99.5% test accuracy (the process's elapsed time
at the end of the first epoch that reached it), and the result's test accuracy: the final
model for the speed recipe (nothing chooses it), the best epoch on test for the reference (the
origin's rule). The test set is only measured here; it chooses nothing in the speed recipe.
With --val-size N each run holds out N training digits and the table shows their accuracy too:
that is how the speed recipe's settings were chosen.

Usage: python bench/speedrun.py [--recipes speed,reference] [--seeds 0,1,2,3,4]
                                [--reference-seeds 0,1,2] [--val-size 0] [--plot PNG]
       python bench/speedrun.py --ablation [--seeds 0,1,2]  # each ingredient removed, all data,
                                                            # judged on 10,000 validation digits
Writes checkpoints/speedrun/ (git ignores checkpoints/).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from digitlib.checkpoint import load_checkpoint
from digitlib.config import CHECKPOINTS
from digitlib.train import last_path

OUT = CHECKPOINTS / "speedrun"  # the checkpoints/ training writes: the course folder, or yours on a server


def run(recipe: str, seed: int, val_size: int) -> dict:
    out = OUT / f"{recipe}_seed{seed}.pth"
    cmd = [sys.executable, "-m", "digitlib", "train", "--recipe", recipe, "--seed", str(seed),
           "--out", str(out), "--val-size", str(val_size)]
    began = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    history = load_checkpoint(last_path(out))["history"]  # every epoch, whichever was kept
    kept = load_checkpoint(out)
    # elapsed at the end of epoch e = the process's wall time minus the epochs that came after it
    seconds = [r["seconds"] for r in history]
    elapsed = [wall - sum(seconds[i + 1:]) for i in range(len(history))]

    def time_to(goal):
        return next((t for t, r in zip(elapsed, history) if r["test_accuracy"] >= goal), None)

    return {"recipe": recipe, "seed": seed, "wall": wall, "epochs": len(history),
            "seconds_per_epoch": statistics.median(seconds), "time_to_99.0": time_to(0.99),
            "time_to_99.5": time_to(0.995), "test": kept["test_accuracy"],
            "val": history[kept["epoch"] - 1].get("val_accuracy"),
            "curve": [(t, r["test_accuracy"]) for t, r in zip(elapsed, history)]}


def summary(rows: list[dict]) -> str:
    def ms(xs, fmt):
        xs = [x for x in xs if x is not None]
        if not xs:
            return "never"
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        return f"{fmt(statistics.mean(xs))} ± {fmt(sd)}"
    pct, sec = (lambda x: f"{x:.2%}"), (lambda x: f"{x:.1f} s")
    lines = ["| recipe | runs | test accuracy (mean ± std) | worst | runs ≥ 99.5% | wall (mean ± std) | "
             "s/epoch | time to 99.0% | time to 99.5% (runs reaching it) |", "|---" * 9 + "|"]
    for recipe in dict.fromkeys(r["recipe"] for r in rows):
        rs = [r for r in rows if r["recipe"] == recipe]
        reached = [r["time_to_99.5"] for r in rs if r["time_to_99.5"] is not None]
        lines.append(
            f"| {recipe} | {len(rs)} | {ms([r['test'] for r in rs], pct)} | {min(r['test'] for r in rs):.2%} | "
            f"{sum(r['test'] >= 0.995 for r in rs)} of {len(rs)} | {ms([r['wall'] for r in rs], sec)} | "
            f"{statistics.median(r['seconds_per_epoch'] for r in rs):.1f} | "
            f"{ms([r['time_to_99.0'] for r in rs], sec)} | {ms(reached, sec)} ({len(reached)} of {len(rs)}) |")
        if rs[0]["val"] is not None:
            lines.append(f"|  validation ({recipe}) | | {ms([r['val'] for r in rs], pct)} | | | | | | |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = {"speed": "tab:orange", "reference": "tab:blue"}
    for recipe in dict.fromkeys(r["recipe"] for r in rows):
        for i, r in enumerate(x for x in rows if x["recipe"] == recipe):
            t, acc = zip(*r["curve"])
            ax.plot(t, [100 * a for a in acc], "o-", ms=3, alpha=0.7, color=colours.get(recipe),
                    label=recipe if i == 0 else None)
    ax.axhline(99.5, color="grey", ls="--", lw=1)
    ax.axvline(60, color="grey", ls=":", lw=1)
    ax.set(xlabel="seconds since the process started", ylabel="test accuracy (%)", ylim=(98.5, 99.8),
           title="Test accuracy against wall-clock time, every seed (2-core CPU)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def ablation(seeds: list[int]) -> None:
    from digitlib.course.speed import ablation as run_ablation
    from digitlib.course.speed import interleaved_speeds

    # 10,000 validation digits: with 5,000, one seed's accuracy moved by ~0.1 point, as much as
    # the differences measured
    rows = run_ablation(seeds=seeds, val_size=10000, out=str(OUT / "ablation.pth"))
    (OUT / "ablation.json").write_text(json.dumps(rows, indent=1))
    base = [r for r in rows if r["variant"] == rows[0]["variant"]]
    base_val = statistics.mean(r["val_accuracy"] for r in base)
    base_s = statistics.mean(r["seconds"] for r in base)
    print(f"| removed (speed recipe with ...) | validation accuracy, mean of {len(seeds)} | change | "
          f"training s | time vs all |\n|---|---:|---:|---:|---:|")
    for variant in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == variant]
        val, sec = statistics.mean(r["val_accuracy"] for r in rs), statistics.mean(r["seconds"] for r in rs)
        print(f"| {variant} | {val:.2%} | {100 * (val - base_val):+.2f} | {sec:.1f} | {sec / base_s:.2f}x |")
    # the runs above, timed one after another, drift with the machine; the network's own speed,
    # measured in turns, is the fair comparison of time
    from dataclasses import replace

    from digitlib.config import RECIPES
    from digitlib.models import DigitCNN, SpeedCNN
    speed = RECIPES["speed"]
    fast = interleaved_speeds({
        "speed recipe": (SpeedCNN, speed),
        "BatchNorm+ReLU before pooling": (lambda: SpeedCNN(pool_first=False), speed),
        "conv1 with 24 maps": (lambda: SpeedCNN(conv1=24), speed),
        "conv2 with 36 maps": (lambda: SpeedCNN(conv2=36), speed),
        "dropout 0.5": (lambda: SpeedCNN(dropout=0.5), speed),
        "batch 64": (SpeedCNN, replace(speed, batch_size=64)),
        "the reference network, batch 128": (DigitCNN, speed),
    })
    print("\n| network, measured in turns (median of 4) | training images/s | vs speed recipe |\n|---|---:|---:|")
    for name, ips in fast.items():
        print(f"| {name} | {ips:,.0f} | {ips / fast['speed recipe']:.2f}x |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", default="speed,reference")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--reference-seeds", default="0,1,2", help="the reference takes ~4 min a run")
    ap.add_argument("--val-size", type=int, default=0)
    ap.add_argument("--plot", type=Path, default=OUT / "speedrun.png")
    ap.add_argument("--ablation", action="store_true", help="the ablation table instead of the race")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.ablation:
        return ablation([int(s) for s in args.seeds.split(",")])
    rows = []
    for recipe in args.recipes.split(","):
        seeds = args.reference_seeds if recipe == "reference" else args.seeds
        for seed in map(int, seeds.split(",")):
            rows.append(run(recipe, seed, args.val_size))
            r = rows[-1]
            print(f"{recipe:>9} seed {seed}: test {r['test']:.2%}  wall {r['wall']:.1f} s  "
                  f"({r['epochs']} epochs, {r['seconds_per_epoch']:.1f} s each)  to 99.0% {r['time_to_99.0']}  "
                  f"to 99.5% {r['time_to_99.5']}" + (f"  val {r['val']:.2%}" if r["val"] is not None else ""),
                  flush=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=1))
    print(summary(rows))
    plot(rows, args.plot)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
