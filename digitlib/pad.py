"""A drawing pad for Jupyter (ipycanvas): strokes are caught in Python and rasterised with
digitlib.draw, exactly like the Tk GUI, then read by the model."""
from __future__ import annotations

import html

import ipywidgets as widgets
from ipycanvas import Canvas, hold_canvas

from .draw import StrokeRecorder
from .predict import Prediction, Predictor


class DrawingPad:
    def __init__(self, predictor: Predictor | None = None, size: int = 280, width: float = 18):
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
        self.widget = widgets.VBox([widgets.HBox([self.canvas, self.result]), widgets.HBox([predict, clear])])
        self.clear()

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

    def _show(self, text: str, raw: bool = False):
        body = text if raw else html.escape(text)
        self.result.value = f'<div style="padding:0 16px;min-width:140px">{body}</div>'
