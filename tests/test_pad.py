"""The notebook pad's Python side, headless: pen events in, the same picture as the GUI's, a prediction out."""
import numpy as np

from digitlib.draw import rasterize
from digitlib.pad import DrawingPad


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
    assert not pad.empty and len(pad.recorder.strokes) == 1
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
