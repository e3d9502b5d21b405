import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from digitlib.synthetic import restyled
from digitlib.train import probabilities
from digitlib.data import normalize
from digitlib.pictures.preprocess import preprocess, to_gray


def _accuracy(predictor, mnist_test, make, n, rng):
    right = 0
    for i in range(n):
        pred = predictor.predict(make(mnist_test.images[i, 0].numpy(), rng))
        right += pred.digit == mnist_test.labels[i].item()
    return right / n


def test_output_is_mnist_shaped(rng, mnist_test):
    p = preprocess(restyled.on_pad(mnist_test.images[0, 0].numpy(), rng))
    assert p.tensor.shape == (1, 1, 28, 28) and not p.blank and p.inverted
    img = p.image28
    rows, cols = np.nonzero(img.any(1))[0], np.nonzero(img.any(0))[0]
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21  # fits the 20x20 box
    ys, xs = np.indices(img.shape)
    assert (ys * img).sum() / img.sum() == pytest.approx(14, abs=0.6)  # centre of mass at the centre
    assert (xs * img).sum() / img.sum() == pytest.approx(14, abs=0.6)
    assert torch.allclose(p.tensor, normalize(torch.from_numpy(img))[None, None])
    assert set(p.steps) >= {"input", "ink", "crop", "fit20", "centered", "normalized"}


@pytest.mark.parametrize("blank", [np.full((280, 280), 255, np.uint8), np.zeros((50, 80), np.uint8),
                                   np.full((100, 100), 0.6, np.float32)])
def test_blank_is_nothing_drawn(blank, predictor):
    p = preprocess(blank)
    assert p.blank and p.tensor is None
    assert predictor.predict(blank).digit is None


def test_polarity_and_formats_give_the_same_input(rng, mnist_test):
    pad = restyled.on_pad(mnist_test.images[3, 0].numpy(), rng)
    u8 = (pad * 255).astype(np.uint8)
    rgb = Image.fromarray(u8).convert("RGB")
    rgba = Image.fromarray(u8).convert("RGBA")
    transparent = np.zeros((280, 280, 4), np.uint8)
    transparent[..., 3] = 255 - u8  # black strokes on a transparent sheet
    light_on_dark = 255 - u8
    ref = preprocess(u8).image28
    for other in (rgb, rgba, transparent, light_on_dark, pad):
        assert np.abs(preprocess(other).image28 - ref).max() < 0.02


@pytest.mark.parametrize("paper, ink", [(0.4, 0.1), (0.6, 0.95)])
def test_polarity_follows_the_ink_not_the_paper(rng, mnist_test, paper, ink):
    """Pencil on dark grey paper is dark ink although the paper is darker than mid-grey;
    chalk on light grey is light ink although the paper is lighter than mid-grey."""
    pad = restyled.on_pad(mnist_test.images[3, 0].numpy(), rng)  # 1 = paper, 0 = ink
    ref = preprocess(pad).image28
    grey = paper + (ink - paper) * (1 - pad)
    p = preprocess(grey)
    assert p.inverted == (ink < paper)
    assert np.abs(p.image28 - ref).max() < 0.05


def test_rejects_what_is_not_an_image():
    with pytest.raises(ValueError, match="expected a 2-D image"):
        to_gray(np.zeros((4, 4, 4, 4)))


def test_mnist_digits_survive_preprocessing(predictor, mnist_test, rng):
    # an MNIST digit is already "preprocessed"; running it through again must not hurt much
    assert _accuracy(predictor, mnist_test, lambda d, r: d, 300, rng) >= 0.98


def test_drawn_anywhere_at_any_size(predictor, mnist_test, rng):
    assert _accuracy(predictor, mnist_test, restyled.on_pad, 300, rng) >= 0.98


@pytest.mark.parametrize("stroke", [0.5, 2.0])
def test_thin_and_thick_pens(predictor, mnist_test, rng, stroke):
    acc = _accuracy(predictor, mnist_test, lambda d, r: restyled.on_pad(d, r, stroke=stroke), 200, rng)
    assert acc >= 0.97


def test_a_fat_stroke_keeps_its_core():
    """A zero drawn with a very thick brush: its ring must come out solid, not hollow
    (taking the core of a fat stroke for paper would hollow it out)."""
    pad = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(pad).ellipse((50, 30, 230, 250), outline=0, width=50)
    image28 = preprocess(pad).image28
    ring = image28[14, :]  # the middle row crosses the ring twice, with the hole between
    ink = np.nonzero(ring > 0.5)[0]
    left, right = ink[ink < 14], ink[ink > 14]
    assert len(left) and len(right), ring
    # each crossing is one solid run, and the hole between them stays dark
    assert np.all(ring[left.min():left.max() + 1] > 0.5) and np.all(ring[right.min():right.max() + 1] > 0.5), ring
    assert ring[left.max() + 2:right.min() - 1].max() < 0.2, ring  # past the anti-aliased edges


def test_photographed_on_grey_paper_beats_bounding_box_only(predictor, mnist_test, rng):
    photos = [restyled.as_photo(mnist_test.images[i, 0].numpy(), rng) for i in range(200)]
    labels = mnist_test.labels[:200].tolist()
    ours = np.mean([predictor.predict(p).digit == y for p, y in zip(photos, labels)])

    def bbox_only(photo):  # the origin's pipeline: invert, crop the non-background box, scale, pad
        g = 255 - photo.astype(np.float32)
        ys, xs = np.nonzero(g > g.mean())
        crop = Image.fromarray(g[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
        s = 20 / max(crop.size)
        crop = np.asarray(crop.resize((max(1, round(crop.size[0] * s)), max(1, round(crop.size[1] * s)))))
        out = np.zeros((28, 28), np.float32)
        out[4:4 + crop.shape[0], 4:4 + crop.shape[1]] = crop / 255
        return torch.from_numpy(out)[None, None]

    base = np.mean([probabilities(predictor.model, bbox_only(p)).argmax().item() == y for p, y in zip(photos, labels)])
    assert ours >= 0.97 and ours > base + 0.2


def test_every_model_reads_strokes_as_they_come():
    """Evening out the stroke width put the reference recipe's model below the plain pipeline on
    other writers' digits (preprocess.READ): no model reads with it, whatever pens it saw."""
    from digitlib.pictures.preprocess import READ, steps_for

    for meta in ({"config": {"pen": 1.0}}, {"config": {"pen": 0.0}}, {}):  # {}: an older checkpoint
        assert steps_for(meta) == READ and READ.stroke is False and READ.polarity and READ.paper


def test_plain_is_the_textbook_recipe():
    """PLAIN thresholds at 20% above the median and evens nothing: a faint halo is paper, and a
    digit's stroke keeps the width it came with."""
    from digitlib.pictures.preprocess import PLAIN, preprocess

    page = np.full((60, 60), 0.9, np.float32)
    page[10:50, 28:33] = 0.0            # a thick dark bar: the ink
    page[10:50, 24:28] = 0.8            # a faint halo beside it: 0.1 of the contrast, below 20%
    plain = preprocess(page, PLAIN)
    assert plain.inverted and not plain.blank
    assert plain.steps["crop"].shape == (40, 5)  # the halo is not ink
