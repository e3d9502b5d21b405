"""An honest "not sure": things that are not digits are flagged, digits are not."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from digitlib.synthetic import nondigits
from digitlib.config import DIGIT_CHECK
from digitlib.errors import DigitsError
from digitlib.surfaces.pad import DrawingPad
from digitlib.predict import Predictor
from digitlib.not_sure import DigitCheck

from .conftest import ROOT


def test_non_digits_it_never_trained_on_are_flagged(predictor):
    """Every kind the check never trained on, 20 of each (the bench reads 200: README): most are
    flagged, and none passes as a digit nearly always."""
    from digitlib.not_sure import UNSEEN_KINDS

    assert predictor.check is not None, f"{DIGIT_CHECK} is missing"
    flagged = {kind: np.mean([not predictor.predict(p).sure for p in nondigits.make(kind, 20, seed=11)])
               for kind in UNSEEN_KINDS}
    assert np.mean(list(flagged.values())) >= 0.8, flagged
    assert min(flagged.values()) >= 0.2, flagged


def test_plus_question_mark_and_a_filled_disc_are_flagged(predictor):
    """The three a user found passing as digits (+ read as 4, ? as 7, a filled disc as 0): + and ?
    in the fonts the check is measured on (never trained on), and a filled disc."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(5)
    pictures = [nondigits.letter(c, font, rng) for c in "+?" for font in nondigits.TEST_FONTS]
    disc = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(disc).ellipse([90, 100, 190, 190], fill=0)
    for picture in pictures + [disc]:
        p = predictor.predict(picture)
        assert p.digit is not None and not p.sure, p.top()


def test_a_blank_picture_is_nothing_drawn_not_doubted(predictor):
    """The README: a blank drawing is "nothing drawn", not a picture the check doubts."""
    p = predictor.predict(np.full((280, 280), 255, np.uint8))
    assert p.digit is None and p.sure and p.confidence == 0.0


def test_digits_are_rarely_flagged(predictor, mnist_test, rng):
    from digitlib.synthetic import restyled

    doubted = (~predictor.check.is_digit(mnist_test.images)).float().mean().item()
    assert doubted <= 0.0125  # the threshold doubts 1% of validation digits
    drawn = [predictor.predict(restyled.on_pad(mnist_test.images[i, 0].numpy(), rng)) for i in range(300)]
    assert np.mean([not p.sure for p in drawn]) <= 0.03


def test_without_a_check_everything_is_a_digit(shipped_checkpoint):
    p = Predictor(shipped_checkpoint, check=None)
    assert p.check is None and "no 'not sure' check" in p.describe()
    assert p.predict(nondigits.make("heart", 1, seed=0)[0]).sure


def test_a_model_without_a_threshold_is_not_a_check(shipped_checkpoint):
    with pytest.raises(DigitsError, match="not a digit check"):
        DigitCheck(shipped_checkpoint)


def test_predict_says_not_sure_in_text_and_json(tmp_path):
    heart = tmp_path / "heart.png"
    nondigits.make("heart", 1, seed=0)[0].save(heart)
    run = [sys.executable, "-m", "digitlib", "predict", str(heart)]
    text = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 0 and "not sure this is a digit" in text.stdout
    out = json.loads(subprocess.run(run + ["--json"], capture_output=True, text=True, cwd=ROOT).stdout)
    assert out["sure"] is False and isinstance(out["digit"], int)


def test_the_pad_greys_out_a_drawing_that_is_no_digit(predictor):
    pad = DrawingPad(predictor)
    for (x0, y0), (x1, y1) in (((60, 60), (220, 220)), ((220, 60), (60, 220)), ((60, 140), (220, 140))):
        pad.press(x0, y0)
        for t in np.linspace(0, 1, 12)[1:]:
            pad.move(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        pad.release()
    assert pad.prediction.sure is False
    assert 'data-sure="false"' in pad.result.value and "Not sure this is a digit" in pad.result.value


@pytest.mark.parametrize("damage", ["missing", "garbage", "no threshold"])
def test_a_missing_or_damaged_check_is_said_and_digits_are_still_read(shipped_checkpoint, tmp_path, capsys,
                                                                       monkeypatch, damage):
    from digitlib.cli import main

    check = tmp_path / "digit_check.pth"
    if damage == "garbage":
        check.write_bytes(b"PK\x03\x04 not a whole checkpoint")
    elif damage == "no threshold":
        check.write_bytes(shipped_checkpoint.read_bytes())
    said = "is missing" if damage == "missing" else "is off"
    p = Predictor(shipped_checkpoint, check=check)
    assert p.check is None and said in p.check_problem and said in p.describe()
    read = p.predict(nondigits.make("heart", 1, seed=0)[0])
    assert read.digit is not None and read.sure and "not checked" in read.verdict
    picture = tmp_path / "heart.png"
    nondigits.make("heart", 1, seed=0)[0].save(picture)
    monkeypatch.setattr(Predictor.__init__, "__defaults__", (None, "cpu", check))  # as if models/ had it
    assert main(["predict", str(picture), "--checkpoint", str(shipped_checkpoint), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["checked"] is False and err.count("\n") == 1 and "note: the 'not sure' check" in err


def test_the_check_trains_on_no_kind_it_is_measured_on_and_on_nothing_read_as_a_digit():
    """The measure is of kinds never trained on: no measured font, symbol, arrow, heart or smiley
    may slip into the training glyphs, nor anything with a digit's value."""
    import unicodedata

    from digitlib.not_sure import TRAIN_KINDS
    from digitlib.synthetic import symbols

    for c in symbols.GLYPHS:
        name = unicodedata.name(c)
        assert unicodedata.numeric(c, None) is None and c not in symbols.HELD_OUT_SYMBOLS, name
        assert not any(word in name for word in ("ARROW", "HEART", "SMILING", "FACE")), name
    trained_fonts = {kind.split(":", 1)[1] for kind in TRAIN_KINDS if ":" in kind} | set(symbols.GLYPH_FONTS)
    assert not trained_fonts & set(nondigits.TEST_FONTS)
    assert not set(TRAIN_KINDS) & (set(nondigits.TEST_SHAPES) | set(symbols.TEST_SHAPES))


def test_separate_marks_stand_apart():
    """Two to four marks with a free cell between any two: far apart, never the pieces of one digit."""
    from scipy import ndimage

    for picture in nondigits.make("marks", 60, seed=4):
        ink = np.asarray(picture) < 128
        labels, pieces = ndimage.label(ink)
        assert 2 <= pieces <= 4
        boxes = ndimage.find_objects(labels)
        ys, xs = np.nonzero(ink)
        extent = max(np.ptp(ys), np.ptp(xs))
        for i in range(pieces):
            for j in range(i):
                (ya, xa), (yb, xb) = boxes[i], boxes[j]
                gap = max(yb.start - ya.stop, ya.start - yb.stop, xb.start - xa.stop, xa.start - xb.stop)
                assert gap > 0.1 * extent


def test_the_threshold_doubts_no_group_of_digits_more_than_the_rate():
    """One threshold for every pen: the group the check likes least (here the 'thin' one) sets it."""
    from digitlib.not_sure import choose_threshold, top_probability

    class Sureness(torch.nn.Module):  # the brighter the picture, the surer of digit 0
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(20.0))

        def forward(self, x):
            return torch.cat([x.mean((1, 2, 3))[:, None] * self.scale, torch.zeros(len(x), 9)], 1)

    gen = torch.Generator().manual_seed(0)
    groups = {"as is": torch.rand(1000, 1, 28, 28, generator=gen) * 0.6 + 0.4,
              "thin": torch.rand(1000, 1, 28, 28, generator=gen) * 0.6}
    model = Sureness()
    threshold = choose_threshold(model, groups, 0.01)
    for name, digits in groups.items():
        assert (top_probability(model, digits) < threshold).float().mean() <= 0.01, name
    assert (top_probability(model, groups["thin"]) < threshold).float().mean() >= 0.005  # not needlessly low
