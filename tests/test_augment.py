import pytest
import torch
import torchvision.transforms.v2.functional as TF
from torchvision.transforms import InterpolationMode, RandomAffine

from digitlib.augment import AffineParams, apply_affine, random_affine, sample_affine_params


@pytest.mark.parametrize("mode,interp", [("nearest", InterpolationMode.NEAREST),
                                         ("bilinear", InterpolationMode.BILINEAR)])
def test_matches_torchvision_for_the_same_parameters(mnist_test, mode, interp):
    x = mnist_test.images[:32]
    params = sample_affine_params(32, generator=torch.Generator().manual_seed(1))
    ours = apply_affine(x, params, mode)
    for i in range(32):
        ref = TF.affine(x[i], angle=params.angles[i].item(), translate=params.translations[i].tolist(),
                        scale=1.0, shear=[0.0, 0.0], interpolation=interp)
        assert (ours[i] - ref).abs().max() < 1e-4


def test_parameters_follow_the_reference_law():
    p = sample_affine_params(20000, generator=torch.Generator().manual_seed(0))
    assert p.angles.abs().max() <= 15 and p.angles.min() < -14.9 and p.angles.max() > 14.9
    assert abs(p.angles.mean()) < 0.2 and p.angles.std() == pytest.approx(30 / 12 ** 0.5, rel=0.02)
    # torchvision: uniform in +-10% of 28 px = +-2.8, rounded to whole pixels
    assert set(p.translations.unique().tolist()) == {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    tv = [RandomAffine.get_params([-15.0, 15.0], [0.1, 0.1], None, None, [28, 28])[1] for _ in range(20000)]
    tv_counts = torch.bincount(torch.tensor([t[0] for t in tv]) + 3, minlength=7).float() / 20000
    ours = torch.bincount(p.translations[:, 0].long() + 3, minlength=7).float() / 20000
    assert torch.allclose(ours, tv_counts, atol=0.015)


def test_each_image_gets_its_own_transform(mnist_test):
    x = mnist_test.images[:1].repeat(8, 1, 1, 1)
    out = random_affine(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert len({round(o.sum().item() * 1000 + o[0, 10].sum().item(), 3) for o in out}) == 8


def test_zero_transform_is_identity(mnist_test):
    x = mnist_test.images[:4]
    p = AffineParams(torch.zeros(4), torch.zeros(4, 2))
    assert torch.allclose(apply_affine(x, p), x, atol=1e-5)


def test_random_pen_thickens_blurs_or_keeps_each_image_and_strength_zero_changes_nothing():
    from digitlib.augment import random_pen
    from digitlib.data import load_mnist

    x = load_mnist(False).images[:300]
    same = random_pen(x, 0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(same, x)
    out = random_pen(x, 1.0, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1 + 1e-6
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    thicker = out.flatten(1).sum(1) > x.flatten(1).sum(1) + 1
    # about a third of each kind: kept as they are, made thicker, made blurrier (more, fainter ink)
    assert 0.2 < (~changed).float().mean() < 0.45 and thicker.float().mean() > 0.4


def test_random_elastic_bends_strokes_but_keeps_the_digit_and_alpha_zero_is_identity():
    from digitlib.augment import random_elastic
    from digitlib.data import load_mnist

    x = load_mnist(False).images[:50]
    assert torch.allclose(random_elastic(x, 0.0), x, atol=1e-5)
    bent = random_elastic(x, 20.0, generator=torch.Generator().manual_seed(0))
    moved = (bent - x).abs().flatten(1).mean(1)
    assert (moved > 0.01).all()  # every image bends ...
    ink_ratio = bent.flatten(1).sum(1) / x.flatten(1).sum(1)
    assert ((ink_ratio > 0.7) & (ink_ratio < 1.3)).all()  # ... without losing or doubling its ink


def test_random_coarse_blurs_half_the_digits_in_place_and_strength_zero_changes_nothing():
    from digitlib.augment import random_coarse
    from digitlib.data import load_mnist

    x = load_mnist(False).images[:300]
    assert torch.equal(random_coarse(x, 0.0, generator=torch.Generator().manual_seed(0)), x)
    out = random_coarse(x, 1.0, generator=torch.Generator().manual_seed(0))
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    assert 0.35 < changed.float().mean() < 0.65 and out.shape == x.shape
    a, b = x[changed], out[changed]
    # seen through a coarser grid: smoother (less change from pixel to pixel), as strong, in place
    roughness = lambda im: (im[..., 1:] - im[..., :-1]).abs().flatten(1).sum(1) / im.flatten(1).sum(1)
    assert (roughness(b) < roughness(a)).float().mean() > 0.95
    # strength 1 goes down to 8 px a side (some lose half their roughness or more); 0.5 to 18 px
    assert (roughness(b) / roughness(a) < 0.5).float().mean() > 0.05
    milder = random_coarse(x, 0.5, generator=torch.Generator().manual_seed(0))
    kept = (milder - x).abs().flatten(1).amax(1) > 1e-6
    assert (roughness(milder[kept]) / roughness(x[kept]) >= 0.5).all()
    assert torch.allclose(b.flatten(1).amax(1), torch.ones(len(b)))
    ys = torch.arange(28.0)[:, None]
    centre = lambda im: (im[:, 0] * ys).flatten(1).sum(1) / im[:, 0].flatten(1).sum(1)
    assert (centre(b) - centre(a)).abs().max() < 1.0


@pytest.mark.parametrize("law", ["random_affine", "random_pen", "random_thin", "random_coarse", "random_elastic"])
def test_the_generator_alone_decides_each_draw(mnist_test, law):
    """Training seeds one generator for shuffling and augmenting (and --resume restores it): a law
    that drew from torch's global random state instead would make runs and resumes differ."""
    import digitlib.augment as augment

    draw, x = getattr(augment, law), mnist_test.images[:16]
    torch.manual_seed(0)
    first = draw(x, generator=torch.Generator().manual_seed(5))
    torch.manual_seed(1)
    state = torch.random.get_rng_state()
    again = draw(x, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, again)  # the same generator, whatever the global state: the same draw
    assert torch.equal(torch.random.get_rng_state(), state)  # and the global state is not drawn from
    assert not torch.equal(first, draw(x, generator=torch.Generator().manual_seed(6)))


def test_random_thin_cuts_the_grey_edge_of_a_quarter_of_the_strokes_and_keeps_them_at_full_strength():
    from digitlib.augment import random_thin
    from digitlib.data import load_mnist

    x = load_mnist(False).images[:400]
    out = random_thin(x, 0.6, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1 + 1e-6
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    assert 0.15 < changed.float().mean() < 0.35  # about a quarter
    ink_before, ink_after = (x[changed] > 0.05).flatten(1).sum(1), (out[changed] > 0.05).flatten(1).sum(1)
    assert (ink_after < ink_before).float().mean() > 0.9  # thinner strokes
    assert torch.allclose(out[changed].flatten(1).amax(1), torch.ones(int(changed.sum())))  # still black ink
