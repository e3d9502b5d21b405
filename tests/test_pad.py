"""The notebook pad's Python side, headless: pen events in, the same picture as the GUI's, a prediction out."""
import numpy as np

from digitlib.pictures.strokes import rasterize
from digitlib.surfaces.pad import DrawingPad


def _draw_one(pad):
    # a "1": one vertical stroke, delivered as mouse events
    pad.press(140, 40)
    for y in range(50, 241, 15):
        pad.move(142, y)
    pad.release(142, 240)


def test_pen_events_make_the_same_picture_as_the_rasteriser(predictor):
    pad = DrawingPad(predictor)
    assert pad.empty and "Draw a digit" in pad.result.value
    _draw_one(pad)
    assert not pad.empty and pad.recorder.strokes == [[(140, 40), *((142, y) for y in range(50, 241, 15))]]
    expected = rasterize(pad.recorder.strokes, 280, pad.recorder.width)
    assert np.array_equal(np.asarray(pad.image), np.asarray(expected))


def test_pen_up_predicts_and_shows_it(predictor):
    pad = DrawingPad(predictor)
    _draw_one(pad)
    assert pad.prediction is not None and pad.prediction.digit == 1
    assert 'class="digits-prediction" data-digit="1"' in pad.result.value
    pad.move(10, 10)  # moving with the pen up draws nothing
    assert len(pad.recorder.strokes) == 1


def test_clear_and_blank(predictor):
    pad = DrawingPad(predictor)
    _draw_one(pad)
    pad.clear()
    assert pad.empty and pad.prediction is None and np.asarray(pad.image).min() == 255
    assert pad.predict().digit is None and "Nothing drawn" in pad.result.value


def test_without_a_model_it_says_so():
    pad = DrawingPad(None)
    _draw_one(pad)
    assert pad.prediction is None and "No model" in pad.result.value


def test_predicts_live_while_drawing_but_throttled(predictor, monkeypatch):
    import digitlib.surfaces.pad as padmod

    clock = [100.0]
    monkeypatch.setattr(padmod.time, "perf_counter", lambda: clock[0])
    pad = DrawingPad(predictor)
    pad.press(140, 40)
    pad.move(142, 60)                       # the first move predicts at once
    assert pad.prediction is not None
    first = pad.prediction
    clock[0] += 0.05
    pad.move(142, 120)                      # 50 ms later: too soon, the kernel is spared
    assert pad.prediction is first
    clock[0] += padmod.LIVE_EVERY_S
    pad.move(142, 200)                      # later: predicted again, the pen still down
    assert pad.prediction is not first and pad.recorder.pen_down


def test_touch_draws_with_the_first_finger_only(predictor):
    pad = DrawingPad(predictor)
    pad.touch_start([(140, 40)])
    for y in range(50, 241, 15):
        pad.touch_move([(142, y)])
    pad.touch_start([(142, 240), (20, 20)])  # a second finger lands: it starts nothing
    pad.touch_move([(142, 245), (60, 60)])
    pad.touch_end([(60, 60)])                # one finger lifts: the stroke ends
    pad.touch_move([(200, 200)])             # the remaining finger does not draw
    assert len(pad.recorder.strokes) == 1 and all(x >= 140 for x, _ in pad.recorder.strokes[0])
    assert pad.prediction.digit == 1
    assert np.asarray(pad.image)[10:70, 0:70].min() == 255


def test_shows_the_bars_the_28x28_and_the_inside_like_the_window(predictor):
    from PIL import Image
    import io

    pad = DrawingPad(predictor)
    _draw_one(pad)
    assert Image.open(io.BytesIO(pad.bars.value)).size == (220, 160)
    assert Image.open(io.BytesIO(pad.seen.value)).size == (112, 112)
    assert pad.inside.layout.display == "none"
    pad.show_inside.value = True             # the checkbox
    inside = Image.open(io.BytesIO(pad.inside.value))
    assert pad.inside.layout.display is None and inside.width > 300
    pad.brush.value = 30
    assert pad.recorder.width == 30
    pad.clear()
    assert pad.inside.layout.display == "none"


def test_reads_with_one_thread_and_gives_it_back(several_threads, predictor, monkeypatch):
    """One intra-op thread keeps a drawing quick beside a training (digitlib.device.inference_threads)."""
    import torch

    pad, seen, threads = DrawingPad(predictor, inside=True), [], torch.get_num_threads()
    for method in ("predict", "stages"):
        original = getattr(predictor, method)
        monkeypatch.setattr(predictor, method, lambda *a, _o=original: seen.append(torch.get_num_threads()) or _o(*a))
    _draw_one(pad)
    assert seen and set(seen) == {1} and torch.get_num_threads() == threads


def test_the_canvas_events_reach_the_pen(predictor):
    """The wiring itself, through ipycanvas's entry point for the browser's messages: leaving
    the canvas or a cancelled touch ends the stroke, as lifting the pen does."""
    pad = DrawingPad(predictor)

    def send(event, **content):
        pad.canvas._handle_frontend_event(None, {"event": event, **content}, None)

    send("mouse_down", x=140, y=40)
    for y in range(50, 241, 15):
        send("mouse_move", x=142, y=y)
    send("mouse_out", x=142, y=250)  # the pen leaves the pad while still pressed
    assert not pad.recorder.pen_down and pad.prediction.digit == 1
    send("mouse_move", x=20, y=20)  # back over the pad, button up: nothing drawn
    assert len(pad.recorder.strokes) == 1
    send("touch_start", touches=[{"x": 60, "y": 60}])
    send("touch_move", touches=[{"x": 60, "y": 90}])
    send("touch_cancel", touches=[])  # the browser takes the touch back (a scroll, a call)
    assert not pad.recorder.pen_down and len(pad.recorder.strokes) == 2
    send("mouse_up", x=0, y=0)
    assert len(pad.recorder.strokes) == 2
