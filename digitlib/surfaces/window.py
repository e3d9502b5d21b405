"""The drawing window (Tkinter): draw a digit, watch the CNN read it.

    python -m digitlib gui [--checkpoint P] [--collect FOLDER]     (or: python gui/draw_gui.py ...)

With --collect the window asks for digits 0-9 in turn and saves each drawing into
FOLDER/<digit>/ (Save: the button or Ctrl-S; Undo: Ctrl-Z), for `python -m digitlib finetune`.

The canvas on screen and a PIL picture are drawn in step (digitlib.pictures.strokes), so the model sees
exactly what was drawn, never a screen grab. Predictions run on a worker thread and are
debounced while drawing, so the window stays responsive.
"""
from __future__ import annotations

import sys
import time
import tkinter as tk
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from tkinter import ttk

from PIL import ImageTk

from digitlib.handwriting.collect import Collector
from digitlib.surfaces import view
from digitlib.device import inference_threads
from digitlib.pictures.strokes import StrokeRecorder
from digitlib.errors import DigitsError
from digitlib.predict import Prediction, Predictor

CANVAS = 280
DEBOUNCE_MS = 120      # predict this long after the pen stops moving
HINT = "Draw a digit"


class App:
    def __init__(self, root: tk.Tk, checkpoint: str | Path | None = None, collect: str | Path | None = None):
        self.root = root
        self.recorder = StrokeRecorder(size=CANVAS, width=18)
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.pending: Future | None = None
        self.debounce: str | None = None
        self.prediction: Prediction | None = None
        self.update_ms: list[float] = []  # how long each view update took, measured
        try:
            self.predictor: Predictor | None = Predictor(checkpoint)
            status = f"Using {self.predictor.describe()}"
            root.title(f"digits: draw and predict with {self.predictor.which}")  # "the class model", ...
        except DigitsError as e:
            self.predictor = None
            status = f"No model loaded: {e}"
            root.title("digits: draw and predict")
        self._build_canvas()
        self._build_controls()
        self._build_results()
        self.status = ttk.Label(root, text=status, anchor="w", wraplength=560)
        self.status.grid(row=2, column=0, columnspan=2, sticky="we", padx=8, pady=(0, 8))
        self.collector = Collector(collect) if collect is not None else None
        self.collect_note = ""
        if self.collector is not None:
            self._build_collect()
        root.bind("<Return>", lambda e: self.predict_now())
        root.bind("<Escape>", lambda e: self.clear())
        root.bind("<Delete>", lambda e: self.clear())
        root.protocol("WM_DELETE_WINDOW", self.close)
        self.refresh()

    # ---- building the window -------------------------------------------------------------
    def _build_canvas(self):
        self.canvas = tk.Canvas(self.root, width=CANVAS, height=CANVAS, bg="white", cursor="pencil",
                                highlightthickness=1, highlightbackground="#888")
        self.canvas.grid(row=0, column=0, padx=8, pady=8)
        self.canvas.bind("<ButtonPress-1>", self.on_press)
        self.canvas.bind("<B1-Motion>", self.on_move)
        self.canvas.bind("<ButtonRelease-1>", self.on_release)

    def _build_controls(self):
        bar = ttk.Frame(self.root)
        bar.grid(row=1, column=0, sticky="we", padx=8)
        ttk.Label(bar, text="Brush").pack(side="left")
        self.brush = tk.DoubleVar(value=self.recorder.width)
        ttk.Scale(bar, from_=6, to=40, variable=self.brush, length=110,
                  command=lambda v: setattr(self.recorder, "width", float(v))).pack(side="left", padx=4)
        ttk.Button(bar, text="Predict", command=self.predict_now).pack(side="left", padx=4)
        ttk.Button(bar, text="Clear", command=self.clear).pack(side="left")

    def _build_results(self):
        panel = ttk.Frame(self.root)
        panel.grid(row=0, column=1, rowspan=2, sticky="n", padx=8, pady=8)
        self.digit_label = ttk.Label(panel, text="", font=("Helvetica", 64, "bold"), width=3, anchor="center")
        self.digit_label.pack()
        self.confidence_label = ttk.Label(panel, text="", font=("Helvetica", 12))
        self.confidence_label.pack()
        self.bars = tk.Label(panel, bg="white")
        self.bars.pack(pady=6)
        ttk.Label(panel, text="What the model sees (28x28)").pack()
        self.preview = tk.Label(panel, bg="black")
        self.preview.pack()
        self.show_inside = tk.BooleanVar(value=False)
        ttk.Checkbutton(panel, text="Show the network's inside", variable=self.show_inside,
                        command=self.refresh).pack(pady=(8, 0))
        self.inside = tk.Label(self.root, bg="white")  # gridded only while shown

    def _build_collect(self):
        bar = ttk.Frame(self.root)
        bar.grid(row=3, column=0, columnspan=2, sticky="we", padx=8, pady=(0, 8))
        self.ask_label = ttk.Label(bar, text="", font=("Helvetica", 16, "bold"))
        self.ask_label.pack(side="left")
        self.save_button = ttk.Button(bar, text="Save", command=self.save)
        self.save_button.pack(side="left", padx=6)
        ttk.Button(bar, text="Undo last save", command=self.undo).pack(side="left")
        self.counts_label = ttk.Label(self.root, text="", anchor="w")
        self.counts_label.grid(row=4, column=0, columnspan=2, sticky="we", padx=8, pady=(0, 8))
        self.root.bind("<Control-s>", lambda e: self.save())
        self.root.bind("<Control-z>", lambda e: self.undo())

    # ---- collecting ---------------------------------------------------------------------------
    def save(self):
        try:
            path = self.collector.save(self.recorder.image)
        except DigitsError as e:
            self.collect_note = str(e)
        else:
            self.collect_note = f"saved {path.parent.name}/{path.name}"
            self.clear()
        self.refresh()

    def undo(self):
        path = self.collector.undo()
        self.collect_note = f"removed {path.parent.name}/{path.name}" if path else "nothing to undo"
        self.refresh()

    # ---- drawing ------------------------------------------------------------------------------
    def on_press(self, event):
        self.recorder.begin(event.x, event.y)
        r = self.recorder.width / 2
        self.canvas.create_oval(event.x - r, event.y - r, event.x + r, event.y + r, fill="black", outline="")
        self.schedule_prediction()

    def on_move(self, event):
        segment = self.recorder.extend(event.x, event.y)
        if segment:
            (x0, y0), (x1, y1) = segment
            self.canvas.create_line(x0, y0, x1, y1, width=self.recorder.width, fill="black",
                                    capstyle="round", joinstyle="round")
            self.schedule_prediction()

    def on_release(self, event):
        self.recorder.end()
        self.predict_now()

    def clear(self):
        self.recorder.clear()
        self.canvas.delete("all")
        self.prediction = None
        self.refresh()

    # ---- predicting ---------------------------------------------------------------------------
    def schedule_prediction(self):
        if self.debounce:
            self.root.after_cancel(self.debounce)
        self.debounce = self.root.after(DEBOUNCE_MS, self.predict_now)

    def predict_now(self):
        self.debounce = None
        if self.predictor is None or self.recorder.empty:
            self.refresh()
            return
        image = self.recorder.image.copy()  # the worker gets a snapshot, drawing goes on
        self.pending = self.executor.submit(self._read, image)
        self._poll(self.pending)

    def _read(self, image) -> Prediction:
        with inference_threads():  # quick even beside a training (see inference_threads)
            return self.predictor.predict(image)

    def _poll(self, future: Future):
        if future is not self.pending:
            return  # a newer prediction superseded this one
        if not future.done():
            self.root.after(10, self._poll, future)
            return
        self.pending = None
        self.prediction = None if self.recorder.empty else future.result()
        self.refresh()

    # ---- the one place the view is updated ----------------------------------------------------
    def refresh(self):
        began = time.perf_counter()
        p = self.prediction
        if self.predictor is None:
            self.digit_label.config(text="?")
            self.confidence_label.config(text="No model: run `make train`, then restart")
        elif p is None or p.digit is None:
            self.digit_label.config(text="")
            self.confidence_label.config(text=HINT if p is None else "Nothing drawn yet")
        else:  # a digit the model is not sure of is still shown, greyed
            self.digit_label.config(text=str(p.digit), foreground="black" if p.sure else "#999")
            self.confidence_label.config(text=p.verdict)
        shown = p if p is not None and p.digit is not None else None
        # keep references to the PhotoImages, or Tk drops them
        self.bars_image = ImageTk.PhotoImage(view.bars(shown))
        self.bars.config(image=self.bars_image)
        self.preview_image = ImageTk.PhotoImage(view.seen(shown))
        self.preview.config(image=self.preview_image)
        with inference_threads():
            stages = self.predictor.stages(shown) if self.show_inside.get() and shown is not None else {}
        if stages:
            self.inside_image = ImageTk.PhotoImage(view.inside_panel(stages))
            self.inside.config(image=self.inside_image)
            self.inside.grid(row=5, column=0, columnspan=2, padx=8, pady=(0, 8))
        else:
            self.inside.grid_remove()
        if self.collector is not None:
            d = self.collector.next_digit
            self.ask_label.config(text=f"Draw a {d}")
            self.save_button.config(text=f"Save as {d}")
            self.counts_label.config(text=f"In {self.collector.root}: {self.collector.summary()}   {self.collect_note}")
        self.update_ms.append(1000 * (time.perf_counter() - began))

    def close(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.root.destroy()


def run(checkpoint: str | Path | None = None, collect: str | Path | None = None) -> int:
    """Open the window and wait until it is closed; 1 with one line on stderr if it cannot open."""
    try:
        root = tk.Tk()
    except tk.TclError as e:
        print(f"error: cannot open a window ({e}); run it on a desktop, or under xvfb-run", file=sys.stderr)
        return 1
    try:
        App(root, checkpoint, collect)
    except DigitsError as e:
        root.destroy()
        print(f"error: {e}", file=sys.stderr)
        return 1
    root.mainloop()
    return 0
