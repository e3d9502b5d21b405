"""How long one update of the drawing surfaces takes: prediction + bars + 28x28 + feature maps.

    python bench/view_update.py           (the window part needs a display: xvfb-run python ...)

The pad's figure is the kernel's side (what delays the next pen event); the window's is the Tk
main thread's. Goal: <= 50 ms in the pad, <= 30 ms in the window, with the inside shown.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitlib.pad import DrawingPad  # noqa: E402
from digitlib.predict import Predictor  # noqa: E402
from digitlib.writers import WRITERS  # noqa: E402

ROUNDS = 10


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


def time_window(predictor_path, inside):
    import importlib.util
    import tkinter as tk

    spec = importlib.util.spec_from_file_location("draw_gui", Path(__file__).resolve().parent.parent / "gui" / "draw_gui.py")
    gui = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gui)
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
                app.prediction = app.predictor.predict(app.recorder.image)  # the worker's part
                app.refresh()
                root.update_idletasks()
                times.append(1000 * (time.perf_counter() - began))
            app.recorder.end()
    app.close()
    return times


def report(name, times):
    print(f"| {name} | {len(times)} | {np.median(times):.1f} | {np.percentile(times, 95):.1f} |")


if __name__ == "__main__":
    torch.set_num_threads(torch.get_num_threads())
    predictor = Predictor()
    print(f"{predictor.describe()}; {os.cpu_count()} CPU cores, torch {torch.__version__}")
    print("| surface | updates | median ms | 95th percentile ms |\n|---|---:|---:|---:|")
    report("pad (kernel side), inside hidden", time_pad(predictor, False))
    report("pad (kernel side), inside shown", time_pad(predictor, True))
    if os.environ.get("DISPLAY"):
        report("window (Tk thread + worker), inside hidden", time_window(predictor.checkpoint, False))
        report("window (Tk thread + worker), inside shown", time_window(predictor.checkpoint, True))
    else:
        print("(no display: the window was not measured; run under xvfb-run)")
