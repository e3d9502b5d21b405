"""An honest "not sure": things that are not digits are flagged, digits are not."""
import json
import subprocess
import sys

import numpy as np
import pytest

from digitlib.synthetic import nondigits
from digitlib.config import DIGIT_CHECK
from digitlib.errors import DigitsError
from digitlib.surfaces.pad import DrawingPad
from digitlib.predict import Predictor
from digitlib.not_sure import DigitCheck

from .conftest import ROOT


def test_non_digits_it_never_trained_on_are_flagged(predictor):
    """Every kind the check never trained on, 20 of each (the bench reads 200: README), and five
    kinds it catches well, 40 each. The check before the logsumexp score and longer training
    flagged about 84% of them and let three smileys in four through."""
    from digitlib.not_sure import UNSEEN_KINDS

    assert predictor.check is not None, f"{DIGIT_CHECK} is missing"
    flagged = {kind: np.mean([not predictor.predict(p).sure for p in nondigits.make(kind, 20, seed=11)])
               for kind in UNSEEN_KINDS}
    assert np.mean(list(flagged.values())) >= 0.90, flagged  # 92.4% with the shipped check; the goal is 95%
    for kind in ("letters:STIXGeneral.ttf", "letters:cmss10.ttf", "arrow", "heart", "smiley"):
        read = [predictor.predict(p) for p in nondigits.make(kind, 40, seed=11)]
        assert np.mean([not p.sure for p in read]) >= 0.85, kind


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
    assert doubted <= 0.01  # the threshold doubts 0.75% of validation digits
    drawn = [predictor.predict(restyled.on_pad(mnist_test.images[i, 0].numpy(), rng)) for i in range(300)]
    assert np.mean([not p.sure for p in drawn]) <= 0.02


@pytest.mark.parametrize("pen", [0.5, 2.0])
def test_digits_drawn_with_a_thin_or_a_thick_pen_are_rarely_doubted(predictor, mnist_test, pen):
    """Issue 18 asks for at most 1% of drawn digits doubted. On 2,000 test digits the bench does
    not draw (1000-2999), the shipped check doubts 1.20% of thin-pen and 1.35% of thick-pen
    digits; the check before the score hinges and thinner pens doubted 2.85% and 2.15%."""
    from digitlib.pictures.preprocess import to_tensors
    from digitlib.synthetic import restyled

    rng = np.random.default_rng(7)
    drawn = to_tensors([restyled.on_pad(mnist_test.images[i, 0].numpy(), rng, stroke=pen)
                        for i in range(1000, 3000)], predictor.steps)
    doubted = int((~predictor.check.is_digit(drawn)).sum())
    assert doubted <= 35, f"{doubted} of 2,000 doubted"  # 1.75%


def test_without_a_check_everything_is_a_digit(shipped_checkpoint):
    p = Predictor(shipped_checkpoint, check=None)
    assert p.check is None and "no 'not sure' check" in p.describe()
    assert p.predict(nondigits.make("heart", 1, seed=0)[0]).sure


def test_a_model_without_a_threshold_is_not_a_check(shipped_checkpoint):
    with pytest.raises(DigitsError, match="not a digit check"):
        DigitCheck(shipped_checkpoint)


def test_a_check_from_an_older_release_is_refused_not_misread(shipped_checkpoint, tmp_path):
    """An older check's threshold (about 0.2) is on the top probability: read against logsumexp
    scores (digits score about 15, the threshold is about 2.4) it would doubt nothing. It is
    refused in one line instead, saying how to get the right one."""
    from digitlib.checkpoint import load_model, save_checkpoint

    model, meta = load_model(shipped_checkpoint)
    old = save_checkpoint(tmp_path / "old_check.pth", model, meta["arch"], reject={"threshold": 0.204})
    with pytest.raises(DigitsError, match="from another release.*git checkout -- models/digit_check.pth"):
        DigitCheck(old)


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


@pytest.mark.parametrize("damage", ["missing", "garbage", "no threshold", "another release"])
def test_a_missing_or_damaged_check_is_said_and_digits_are_still_read(shipped_checkpoint, tmp_path, capsys,
                                                                       monkeypatch, damage):
    from digitlib.cli import main

    check = tmp_path / "digit_check.pth"
    if damage == "garbage":
        check.write_bytes(b"PK\x03\x04 not a whole checkpoint")
    elif damage == "no threshold":
        check.write_bytes(shipped_checkpoint.read_bytes())
    elif damage == "another release":  # a threshold on the top probability
        from digitlib.checkpoint import load_model, save_checkpoint

        model, meta = load_model(shipped_checkpoint)
        save_checkpoint(check, model, meta["arch"], reject={"threshold": 0.204})
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


def test_the_check_trains_on_no_kind_it_is_measured_on():
    from digitlib.not_sure import TRAIN_KINDS, UNSEEN_KINDS

    assert not set(TRAIN_KINDS) & set(UNSEEN_KINDS)
    assert not any(font in kind for kind in TRAIN_KINDS for font in nondigits.TEST_FONTS)
    chosen_on = nondigits.VALIDATION_FONTS + nondigits.VALIDATION_SYSTEM_FONTS  # the recipe's validation
    assert not set(chosen_on) & set(nondigits.TRAIN_FONTS + nondigits.TEST_FONTS)
