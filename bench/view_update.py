"""How long one update of the drawing surfaces takes: prediction + bars + 28x28 + feature maps,
idle and with a training running in another process (as notebook 04 beside the pad).

    python bench/view_update.py [--rounds 10] [--idle-only]   (the window needs a display: xvfb-run ...)

The pad's figure is the kernel's side (what delays the next pen event); the window's is the Tk
main thread's. Goal: <= 50 ms in the pad, <= 30 ms in the window, with the inside shown; beside a
training, <= 2x the idle figure. The training beside runs as `train` and notebook 04 run it, at a
lower priority (digitlib.device.lower_priority), and for comparison at the same priority. Each is measured as the surfaces read (one intra-op thread,
digitlib.device.inference_threads) and, for comparison, with torch's default threads.
"""
import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch


from digitlib.surfaces.pad import DrawingPad
from digitlib.predict import Predictor
from digitlib.synthetic.writers import WRITERS

ROUNDS = 10
# A training like notebook 04's, with torch's default threads, until it is stopped; "ready" after its first step.
TRAINING = """
import os, sys, torch
from digitlib.device import lower_priority
if os.environ.get("NICE_TRAINING"):
    lower_priority()
from digitlib.models import DigitCNN
from digitlib.train import make_optimizer
from digitlib.config import TrainConfig
model = DigitCNN().train()
optimizer, _ = make_optimizer(model.parameters(), TrainConfig())
x, y = torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))
for step in range(10 ** 9):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    if step == 0:
        print("ready", flush=True)
"""


@contextlib.contextmanager
def training_beside(nice: bool):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, **({"NICE_TRAINING": "1"} if nice else {})}
    proc = subprocess.Popen([sys.executable, "-c", TRAINING], cwd=root, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "ready", "the training beside did not start"
        yield
    finally:
        proc.terminate()
        proc.wait()


@contextlib.contextmanager
def default_threads(gui=None):
    """As before the surfaces read with one thread: torch's default (every core)."""
    import digitlib.surfaces.pad

    saved = digitlib.surfaces.pad.inference_threads
    digitlib.surfaces.pad.inference_threads = contextlib.nullcontext
    if gui is not None:
        gui.inference_threads = contextlib.nullcontext
    try:
        yield
    finally:
        digitlib.surfaces.pad.inference_threads = saved
        if gui is not None:
            gui.inference_threads = saved


def strokes():
    rng = np.random.default_rng(0)
    return [WRITERS[k % len(WRITERS)].strokes(k % 10, rng) for k in range(ROUNDS)]


def time_pad(predictor, inside):
    pad = DrawingPad(predictor, inside=inside)
    times = []
    for digit in strokes():
        pad.clear()
        for stroke in digit:
            pad.press(*stroke[0])
            for point in stroke[1:]:
                pad.recorder.extend(*point)
                began = time.perf_counter()
                pad.predict()
                times.append(1000 * (time.perf_counter() - began))
            pad.release()
    return times


def load_gui():
    from digitlib.surfaces import window  # Tk only when the window is timed

    return window


def time_window(gui, predictor_path, inside):
    import tkinter as tk

    root = tk.Tk()
    app = gui.App(root, predictor_path)
    app.show_inside.set(inside)
    times = []
    for digit in strokes():
        app.clear()
        for stroke in digit:
            app.recorder.begin(*stroke[0])
            for point in stroke[1:]:
                app.recorder.extend(*point)
                began = time.perf_counter()
                app.prediction = app._read(app.recorder.image)  # the worker's part
                app.refresh()
                root.update_idletasks()
                times.append(1000 * (time.perf_counter() - began))
            app.recorder.end()
    app.close()
    return times


def measure(predictor, gui) -> dict[str, list[float]]:
    rows = {"pad (kernel side), inside hidden": time_pad(predictor, False),
            "pad (kernel side), inside shown": time_pad(predictor, True)}
    if gui is not None:
        rows["window (Tk thread + worker), inside hidden"] = time_window(gui, predictor.checkpoint, False)
        rows["window (Tk thread + worker), inside shown"] = time_window(gui, predictor.checkpoint, True)
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="digits drawn per surface")
    ap.add_argument("--idle-only", action="store_true", help="no training beside")
    args = ap.parse_args()
    ROUNDS = args.rounds
    predictor = Predictor()
    gui = load_gui() if os.environ.get("DISPLAY") else None
    load = "%.2f %.2f %.2f" % os.getloadavg()
    print(f"{predictor.describe()}; {os.cpu_count()} CPU cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads by default); load average {load}")
    if gui is None:
        print("(no display: the window was not measured; run under xvfb-run)")
    results = {}
    loads = ("idle", "training beside, lower priority (as train runs)", "training beside, same priority")
    for load in loads[:1 if args.idle_only else 3]:
        for threads in ("1 thread (as the surfaces read)", "default threads (as before)"):
            with (training_beside("lower" in load) if load != "idle" else contextlib.nullcontext()), \
                    (default_threads(gui) if threads.startswith("default") else contextlib.nullcontext()):
                results[load, threads] = measure(predictor, gui)
            print(f"measured {load}, {threads}; load average %.2f" % os.getloadavg()[0], file=sys.stderr)
    print("| surface | load | threads | updates | median ms | 95th percentile ms | busy / idle median |\n"
          "|---|---|---|---:|---:|---:|---:|")
    for (load, threads), rows in results.items():
        for name, times in rows.items():
            idle = np.median(results["idle", threads][name])
            print(f"| {name} | {load} | {threads} | {len(times)} | {np.median(times):.1f} | "
                  f"{np.percentile(times, 95):.1f} | {np.median(times) / idle:.1f}x |")
