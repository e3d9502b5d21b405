"""A drawing pad for Jupyter (ipycanvas): strokes are caught in Python and rasterised with
digitlib.draw, exactly like the Tk GUI, then read by the model.

With collect="mydigits" it also asks for digits 0-9 in turn and saves each drawing into
mydigits/<digit>/ (digitlib.collect), with counts and an undo."""
from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets
from ipycanvas import Canvas, hold_canvas

from .collect import Collector
from .draw import StrokeRecorder
from .errors import DigitsError
from .predict import Prediction, Predictor


class DrawingPad:
    def __init__(self, predictor: Predictor | None = None, size: int = 280, width: float = 18,
                 collect: str | Path | None = None):
        self.predictor = predictor
        self.recorder = StrokeRecorder(size=size, width=width)
        self.prediction: Prediction | None = None
        self.canvas = Canvas(width=size, height=size, layout=widgets.Layout(border="1px solid #888"))
        self.canvas.on_mouse_down(self.press)
        self.canvas.on_mouse_move(self.move)
        self.canvas.on_mouse_up(self.release)
        self.canvas.on_mouse_out(self.release)
        self.result = widgets.HTML()
        predict = widgets.Button(description="Predict", icon="check")
        clear = widgets.Button(description="Clear", icon="eraser")
        predict.on_click(lambda _: self.predict())
        clear.on_click(lambda _: self.clear())
        rows = [widgets.HBox([self.canvas, self.result]), widgets.HBox([predict, clear])]
        self.collector = Collector(collect) if collect is not None else None
        if self.collector is not None:
            self.ask = widgets.HTML()
            self.counts = widgets.HTML()
            self.save_button = widgets.Button(description="Save", icon="save", button_style="success")
            undo = widgets.Button(description="Undo last save", icon="undo")
            self.save_button.on_click(lambda _: self.save())
            undo.on_click(lambda _: self.undo())
            rows = [self.ask, *rows[:1], widgets.HBox([self.save_button, undo, predict, clear]), self.counts]
        self.widget = widgets.VBox(rows)
        self.clear()
        self._show_collect()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # pen events (also callable directly, which is how the tests draw)
    def press(self, x: float, y: float):
        self.recorder.begin(x, y)
        r = self.recorder.width / 2
        self.canvas.fill_circle(x, y, r)

    def move(self, x: float, y: float):
        segment = self.recorder.extend(x, y)
        if segment:
            (x0, y0), (x1, y1) = segment
            with hold_canvas():
                self.canvas.line_width = self.recorder.width
                self.canvas.stroke_line(x0, y0, x1, y1)

    def release(self, x: float = 0, y: float = 0):
        if self.recorder.pen_down:
            self.recorder.end()
            self.predict()

    def clear(self):
        self.recorder.clear()
        self.prediction = None
        with hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = "white"
            self.canvas.fill_rect(0, 0, self.recorder.size, self.recorder.size)
            self.canvas.fill_style = "black"
            self.canvas.stroke_style = "black"
            self.canvas.line_cap = "round"
        self._show("Draw a digit")

    @property
    def image(self):
        """The drawing as a PIL picture (dark on white)."""
        return self.recorder.image

    @property
    def empty(self) -> bool:
        return self.recorder.empty

    def predict(self) -> Prediction | None:
        if self.predictor is None:
            self._show("No model loaded")
            return None
        self.prediction = self.predictor.predict(self.recorder.image)
        p = self.prediction
        if p.digit is None:
            self._show("Nothing drawn yet")
        else:
            top = "<br>".join(f"{d}: {prob:.1%}" for d, prob in p.top(3))
            self._show(f'<span class="digits-prediction" data-digit="{p.digit}" style="display:block;font-size:64px;'
                       f'line-height:1.2;font-weight:bold">{p.digit}</span><br>{p.confidence:.1%} sure<br><small>{top}</small>',
                       raw=True)
        return p

    # collect mode ------------------------------------------------------------------------------
    def save(self) -> Path | None:
        """Save the drawing as the digit asked for, then clear the pad for the next one."""
        try:
            path = self.collector.save(self.image)
        except DigitsError as e:
            self._show_collect(str(e))
            return None
        self.clear()
        self._show_collect(f"saved {path.parent.name}/{path.name}")
        return path

    def undo(self) -> Path | None:
        path = self.collector.undo()
        self._show_collect(f"removed {path.parent.name}/{path.name}" if path else "nothing to undo")
        return path

    def _show_collect(self, note: str = ""):
        if self.collector is None:
            return
        d = self.collector.next_digit
        self.ask.value = (f'<b class="digits-ask" data-digit="{d}" style="font-size:20px">Draw a {d}</b>'
                          f'<span style="padding-left:12px;color:#666">{html.escape(note)}</span>')
        self.save_button.description = f"Save as {d}"
        self.counts.value = (f'<span class="digits-counts" style="white-space:pre-wrap">In {html.escape(str(self.collector.root))}: '
                             f'{html.escape(self.collector.summary())}</span>')

    def _show(self, text: str, raw: bool = False):
        body = text if raw else html.escape(text)
        self.result.value = f'<div style="padding:0 16px;min-width:140px">{body}</div>'
