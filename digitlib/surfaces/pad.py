"""A drawing pad for Jupyter (ipycanvas): strokes are caught in Python and rasterised with
digitlib.pictures.strokes, exactly like the Tk GUI, then read by the model. Mouse, pen and touch all draw;
beside the pad the same bars and 28x28 view as the window (digitlib.surfaces.view), updated live while
drawing, and on request the feature maps inside the network.

With collect="mydigits" it also asks for digits 0-9 in turn and saves each drawing into
mydigits/<digit>/ (digitlib.handwriting.collect), with counts and an undo."""
from __future__ import annotations

import html
import io
import time
from pathlib import Path

import ipywidgets as widgets
from ipycanvas import Canvas, hold_canvas
from IPython.display import display

from digitlib.handwriting.collect import Collector
from digitlib.device import inference_threads
from digitlib.pictures.strokes import StrokeRecorder
from digitlib.errors import DigitsError
from digitlib.surfaces import view
from digitlib.predict import Prediction, Predictor


LIVE_EVERY_S = 0.15  # while the pen moves, predict at most this often: the kernel keeps up


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class DrawingPad:
    def __init__(self, predictor: Predictor | None = None, size: int = 280, width: float = 18,
                 collect: str | Path | None = None, inside: bool = False):
        self.predictor = predictor
        self.recorder = StrokeRecorder(size=size, width=width)
        self.prediction: Prediction | None = None
        self.last_live = 0.0
        self.update_ms: list[float] = []     # how long each view update took, measured
        self.canvas = self._make_canvas(size)
        self._make_views(width, inside)
        self.collector = Collector(collect) if collect is not None else None
        self.widget = widgets.VBox(self._rows())
        self.clear()
        self._show_collect()

    def _make_canvas(self, size: int) -> Canvas:
        """The drawing surface, wired to the pen: mouse and touch alike."""
        # a fixed size on the page: stretched by its row, the canvas would no longer match the strokes
        canvas = Canvas(width=size, height=size, layout=widgets.Layout(
            border="1px solid #888", width=f"{size + 2}px", height=f"{size + 2}px", flex="none"))
        canvas.on_mouse_down(self.press)
        canvas.on_mouse_move(self.move)
        canvas.on_mouse_up(self.release)
        canvas.on_mouse_out(self.release)
        canvas.on_touch_start(self.touch_start)
        canvas.on_touch_move(self.touch_move)
        canvas.on_touch_end(self.touch_end)
        canvas.on_touch_cancel(self.touch_end)
        return canvas

    def _make_views(self, width: float, inside: bool):
        """What is shown beside the drawing (the result, the bars, the 28x28 seen, the inside) and
        the controls of how it is drawn and shown (the brush, the inside's checkbox)."""
        self.result = widgets.HTML()
        self.bars = widgets.Image(format="png", layout=widgets.Layout(width="220px"))
        self.seen = widgets.Image(format="png", layout=widgets.Layout(width="112px"))
        self.inside = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self.brush = widgets.IntSlider(value=round(width), min=6, max=40, description="Brush",
                                       layout=widgets.Layout(width="260px"))
        self.brush.observe(lambda change: setattr(self.recorder, "width", float(change["new"])), "value")
        self.show_inside = widgets.Checkbox(value=inside, description="Show the network's inside", indent=False)
        self.show_inside.observe(lambda change: self._refresh(), "value")

    def _rows(self) -> list:
        """The pad's rows, top to bottom; when collecting, the digit asked for, Save and Undo too."""
        predict = widgets.Button(description="Predict", icon="check")
        clear = widgets.Button(description="Clear", icon="eraser")
        predict.on_click(lambda _: self.predict())
        clear.on_click(lambda _: self.clear())
        which = html.escape(self.predictor.which) if self.predictor is not None else "no model"
        self.model_label = widgets.HTML(f'<small class="digits-model">Reading with {which}</small>')  # "the class model", ...
        side = widgets.VBox([self.model_label, self.result, widgets.HBox([
            self.bars, widgets.VBox([widgets.HTML("<small>What the model sees (28x28)</small>"), self.seen])])])
        drawing = widgets.HBox([self.canvas, side], layout=widgets.Layout(align_items="flex-start"))
        rest = [widgets.HBox([predict, clear, self.brush]), self.show_inside, self.inside]
        if self.collector is None:
            return [drawing, *rest]
        self.ask = widgets.HTML()
        self.counts = widgets.HTML()
        self.save_button = widgets.Button(description="Save", icon="save", button_style="success")
        undo = widgets.Button(description="Undo last save", icon="undo")
        self.save_button.on_click(lambda _: self.save())
        undo.on_click(lambda _: self.undo())
        return [self.ask, drawing, widgets.HBox([self.save_button, undo, predict, clear]), self.counts, *rest]

    def _ipython_display_(self):
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
            if time.perf_counter() - self.last_live >= LIVE_EVERY_S:  # live, but throttled
                self.predict()

    def release(self, x: float = 0, y: float = 0):
        if self.recorder.pen_down:
            self.recorder.end()
            self.predict()

    # touch: ipycanvas sends every finger on the screen; the first one draws, others never do
    def touch_start(self, touches: list[tuple[float, float]]):
        if len(touches) == 1 and not self.recorder.pen_down:
            self.press(*touches[0])

    def touch_move(self, touches: list[tuple[float, float]]):
        if touches and self.recorder.pen_down:
            self.move(*touches[0])

    def touch_end(self, touches: list[tuple[float, float]]):
        self.release()  # any finger lifting ends the stroke: a second finger never continues it

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
        self._refresh()

    @property
    def image(self):
        """The drawing as a PIL picture (dark on white)."""
        return self.recorder.image

    @property
    def empty(self) -> bool:
        return self.recorder.empty

    def predict(self) -> Prediction | None:
        self.last_live = time.perf_counter()
        if self.predictor is None:
            self._show("No model loaded")
            return None
        with inference_threads():  # quick even beside a training (see inference_threads)
            self.prediction = self.predictor.predict(self.recorder.image)
        p = self.prediction
        if p.digit is None:
            self._show("Nothing drawn yet")
        else:
            colour = "inherit" if p.sure else "#999"
            self._show(f'<span class="digits-prediction" data-digit="{p.digit}" data-sure="{str(p.sure).lower()}" '
                       f'style="display:block;font-size:64px;line-height:1.2;font-weight:bold;color:{colour}">'
                       f'{p.digit}</span><span class="digits-verdict">{p.verdict}</span>', raw=True)
        self._refresh()
        return p

    def _refresh(self):
        """The one place the pictures beside the pad are updated (bars, 28x28, the inside)."""
        began = time.perf_counter()
        p = self.prediction if self.prediction is None or self.prediction.digit is not None else None
        self.bars.value = _png(view.bars(p))
        self.seen.value = _png(view.seen(p))
        with inference_threads():
            stages = self.predictor.stages(p) if self.show_inside.value and p is not None else {}
        self.inside.layout.display = None if stages else "none"
        if stages:
            picture = view.inside_panel(stages)
            self.inside.layout.width = f"{picture.width}px"  # pixel for pixel, not stretched
            self.inside.value = _png(picture)
        self.update_ms.append(1000 * (time.perf_counter() - began))

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
