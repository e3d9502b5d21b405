import numpy as np
from PIL import ImageDraw

from digitlib.pictures.strokes import StrokeRecorder, draw_segment, rasterize


def test_fast_strokes_have_no_gaps():
    # two mouse events 150 px apart must still give one continuous line
    img = np.asarray(rasterize([[(20, 100), (170, 100)]], size=200, width=10))
    assert (img[100, 20:171] == 0).all()
    assert img[100, 190] == 255 and img[60, 100] == 255


def test_round_caps_and_dots():
    img = np.asarray(rasterize([[(50, 50)]], size=100, width=20))
    ink = img < 128
    assert ink[50, 50] and ink[50, 59] and ink[59, 50]
    assert 250 < ink.sum() < 380  # about a disc of radius 10 (314 px)


def test_recorder_matches_rasterize():
    rec = StrokeRecorder(size=120, width=8)
    rec.begin(10, 10)
    for p in [(30, 40), (60, 45), (90, 100)]:
        rec.extend(*p)
    rec.end()
    assert rec.extend(5, 5) is None  # moves with the pen up draw nothing
    rec.begin(100, 10)
    rec.extend(100, 60)
    assert np.array_equal(np.asarray(rec.image), np.asarray(rasterize(rec.strokes, 120, 8)))
    rec.clear()
    assert rec.empty and np.asarray(rec.image).min() == 255


def test_segment_width_follows_the_brush():
    from PIL import Image
    widths = []
    for w in (4, 16):
        img = Image.new("L", (100, 100), 255)
        draw_segment(ImageDraw.Draw(img), (10, 50), (90, 50), w)
        widths.append((np.asarray(img)[:, 50] == 0).sum())
    assert abs(widths[0] - 4) <= 1 and abs(widths[1] - 16) <= 1


def test_dots_and_lines_lie_where_the_pen_was():
    """The same strokes must give the model the same picture wherever they were drawn: a pen
    offset by a pixel or two would still pass the tests above (they compare the code with itself)."""
    dot = np.asarray(rasterize([[(30, 40)]], size=100, width=12)) < 128
    ys, xs = np.nonzero(dot)
    assert (xs.mean(), ys.mean()) == (30, 40)  # centred on the point ...
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (24, 36, 34, 46)  # ... 12 px across
    line = np.asarray(rasterize([[(20, 60), (80, 60)]], size=100, width=10)) < 128
    ys, xs = np.nonzero(line)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (15, 85, 55, 65)  # round caps 5 px beyond each end
