"""Any picture of one digit, as learners and teachers bring them: cut tight to the ink, tiny,
soft pens on transparent sheets, scans, chalk; and picture files that are rotated, animated
or huge. Each of these failed before (tight crops 49-38%, soft alpha "nothing drawn")."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitlib.synthetic import restyled
from digitlib.errors import DigitsError
from digitlib.pictures.files import open_picture

from .conftest import ROOT

N = 300


def _accuracy(predictor, mnist_test, make, n=N):
    rng = np.random.default_rng(1)
    return np.mean([predictor.predict(make(mnist_test.images[i, 0].numpy(), rng)).digit
                    == mnist_test.labels[i].item() for i in range(n)])


@pytest.mark.parametrize("name, make, floor", [
    ("tight crop 96x96, dark on light", lambda d, r: restyled.tight_crop(d, r, 96), 0.98),
    ("tight crop 96x96, light on dark", lambda d, r: restyled.tight_crop(d, r, 96, dark_on_light=False), 0.98),
    ("tight crop 16x16 (USPS-like)", lambda d, r: restyled.tight_crop(d, r, 16), 0.96),
    ("soft pen on a transparent sheet", restyled.on_transparent, 0.98),
    ("flat scan on grey paper", restyled.on_grey_scan, 0.98),
    ("chalk on a dark board", restyled.chalk, 0.98),
])
def test_pictures_of_every_kind_are_read(predictor, mnist_test, name, make, floor):
    assert _accuracy(predictor, mnist_test, make) >= floor, name


def test_a_soft_pen_that_never_reaches_half_alpha_is_not_blank(mnist_test):
    from digitlib.pictures.preprocess import preprocess

    rgba = restyled.on_transparent(mnist_test.images[0, 0].numpy(), np.random.default_rng(0))
    assert rgba[..., 3].max() < 128
    assert not preprocess(rgba).blank


def _save(tmp_path, name, array, **kw):
    path = tmp_path / name
    Image.fromarray(array).save(path, **kw)
    return path


def _six_upside_down(tmp_path, mnist_test):
    """A 6 photographed upside down by a phone: stored rotated, with EXIF saying so."""
    six = next(i for i in range(100) if mnist_test.labels[i] == 6)
    pad = (restyled.on_pad(mnist_test.images[six, 0].numpy(), np.random.default_rng(0)) * 255).astype(np.uint8)
    stored = Image.fromarray(pad).rotate(180).convert("RGB")
    exif = stored.getexif()
    exif[0x0112] = 3  # Orientation: rotate 180 to show
    path = tmp_path / "six.jpg"
    stored.save(path, exif=exif, quality=95)
    return path


def test_exif_rotation_is_applied(tmp_path, mnist_test, predictor):
    path = _six_upside_down(tmp_path, mnist_test)
    shown = np.asarray(open_picture(path).image.convert("L"), dtype=float)  # upright as opened, before any preprocessing
    with Image.open(path) as raw:
        stored = np.asarray(raw.convert("L"), dtype=float)
    assert np.abs(shown - np.rot90(stored, 2)).mean() < 3 < np.abs(shown - stored).mean()
    assert predictor.predict(open_picture(path).image).digit == 6


def test_exif_rotation_is_applied_once_by_whichever_opened_it(tmp_path, mnist_test, predictor):
    """open_picture turns a photo; preprocess turns only a PIL image still carrying its orientation
    (one a notebook opened with Image.open), so both read the same and nothing is turned twice."""
    from digitlib.pictures.files import needs_turning
    from digitlib.pictures.preprocess import preprocess

    path = _six_upside_down(tmp_path, mnist_test)
    opened = open_picture(path).image
    with Image.open(path) as raw:
        assert needs_turning(raw) and not needs_turning(opened)
        assert np.array_equal(preprocess(raw).image28, preprocess(opened).image28)
        assert predictor.predict(raw).digit == 6


def test_animated_gif_reads_the_first_frame_and_says_so(tmp_path):
    frames = [Image.new("L", (40, 40), c) for c in (255, 0)]
    path = tmp_path / "a.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert "first only" in open_picture(path).note


def test_huge_pictures_are_refused_cheaply_and_the_batch_goes_on(tmp_path, mnist_test):
    big = tmp_path / "big.png"
    Image.new("1", (20000, 20000), 1).save(big)  # 400 Mpx, a few hundred kB on disk
    good = _save(tmp_path, "good.png", (restyled.on_pad(mnist_test.images[0, 0].numpy(),
                                                       np.random.default_rng(0)) * 255).astype(np.uint8))
    with pytest.raises(DigitsError, match="picture too large"):
        open_picture(big)
    r = subprocess.run([sys.executable, "-m", "digitlib", "predict", str(big), str(good), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert [line for line in r.stderr.splitlines() if line.startswith("error")] == [
        line for line in r.stderr.splitlines() if "too large" in line]
    assert json.loads(r.stdout)["digit"] == mnist_test.labels[0].item()


def test_a_large_jpeg_is_shrunk_while_decoding(tmp_path, monkeypatch):
    import digitlib.pictures.files as images

    monkeypatch.setattr(images, "MAX_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "DRAFT_SIDE", 700)
    path = tmp_path / "big.jpg"
    Image.new("L", (3000, 3000), 255).save(path)
    picture = open_picture(path)
    assert max(picture.image.size) <= 1500 and "read at" in picture.note


def test_a_jpeg_over_pillows_limit_is_shrunk_and_the_limit_said_is_the_codes(tmp_path, monkeypatch):
    import digitlib.pictures.files as images

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)  # Pillow's bomb check: 2x this raises
    monkeypatch.setattr(images, "MAX_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "DRAFT_SIDE", 700)
    Image.new("L", (3000, 3000), 255).save(tmp_path / "big.jpg")
    picture = open_picture(tmp_path / "big.jpg")
    assert max(picture.image.size) <= 1500 and "read at" in picture.note
    Image.new("L", (3000, 3000), 255).save(tmp_path / "big.png")
    with pytest.raises(DigitsError, match=r"9 Mpx, the limit is 1 Mpx"):
        open_picture(tmp_path / "big.png")
    assert Image.MAX_IMAGE_PIXELS == 1_000_000  # Pillow's setting is given back


def test_a_large_picture_is_shrunk_once_decoded(tmp_path, monkeypatch):
    import digitlib.pictures.files as images

    monkeypatch.setattr(images, "DRAFT_SIDE", 500)
    Image.new("RGBA", (2100, 1400), (255, 255, 255, 0)).save(tmp_path / "big.png")
    assert open_picture(tmp_path / "big.png").image.size == (420, 280)  # reduced 5x, shape kept


def test_damaged_metadata_is_one_note_not_warnings(tmp_path):
    import warnings

    Image.new("L", (100, 100), 255).save(tmp_path / "x.jpg", exif=b"Exif\0\0II*\0\x08\0\0\0\x05\0\xff\xff\xff\xff")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        picture = open_picture(tmp_path / "x.jpg")
    assert warned == [] and "damaged metadata ignored" in picture.note
