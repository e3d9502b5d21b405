"""Random augmentation, done for a whole batch at once on tensors.

The law is torchvision's ``RandomAffine(degrees=15, translate=(0.1, 0.1))`` as the origin
recipe used it: per image an angle uniform in [-15, 15] degrees and a shift uniform in
[-10%, 10%] of width and height, rounded to whole pixels (torchvision rounds too). Instead
of one PIL call per image we build every image's sampling grid at once and resample the
batch with one ``grid_sample``: the same result, without per-sample Python.

More laws make a model for other people's pictures rather than MNIST's alone: ``random_pen``
(thicker and blurrier strokes than MNIST's one pen) and ``random_coarse`` (a small picture shown
big), which the shipped model's recipe uses; ``random_thin`` (thinner strokes), which the "not
sure" check's uses; and ``random_elastic`` (Simard et al., 2003: the wobble of another hand).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class AffineParams:
    angles: torch.Tensor        # (N,) degrees, positive = counter-clockwise, as in torchvision
    translations: torch.Tensor  # (N, 2) whole pixels (dx right, dy down)


def sample_affine_params(n: int, size: int = 28, degrees: float = 15.0, translate: float = 0.1,
                         generator: torch.Generator | None = None) -> AffineParams:
    angles = (torch.rand(n, generator=generator) * 2 - 1) * degrees
    max_shift = translate * size
    shifts = torch.round((torch.rand(n, 2, generator=generator) * 2 - 1) * max_shift)
    return AffineParams(angles, shifts)


def apply_affine(images: torch.Tensor, params: AffineParams, mode: str = "bilinear") -> torch.Tensor:
    """Rotate about the centre, then shift, each image of (N, C, H, W) by its own parameters.

    Pixels that come from outside the image are 0 (black), like torchvision's default fill.
    """
    n, _, h, w = images.shape
    a = torch.deg2rad(params.angles.to(images))
    cos, sin = torch.cos(a), torch.sin(a)
    # affine_grid maps each *output* position to where it samples the *input*, in coordinates
    # where the image spans [-1, 1]; that is the inverse transform: un-shift, then un-rotate.
    # The y axis points down, so turning the picture counter-clockwise on screen means
    # sampling from a clockwise-turned position: the signs below are the inverse rotation.
    tx = params.translations[:, 0].to(images) * 2 / w
    ty = params.translations[:, 1].to(images) * 2 / h
    theta = torch.stack([
        torch.stack([cos, sin * h / w, -(cos * tx + sin * ty * h / w)], dim=1),
        torch.stack([-sin * w / h, cos, -(-sin * w / h * tx + cos * ty)], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode=mode, padding_mode="zeros", align_corners=False)


def random_affine(images: torch.Tensor, degrees: float = 15.0, translate: float = 0.1,
                  generator: torch.Generator | None = None, mode: str = "bilinear") -> torch.Tensor:
    """A fresh random rotation and shift for every image of the batch."""
    params = sample_affine_params(len(images), images.shape[-1], degrees, translate, generator)
    return apply_affine(images, params, mode)


def random_pen(images: torch.Tensor, strength: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Another pen for every image of (N, 1, H, W) in [0, 1]: a third of them thicker (part of
    a 3x3 dilation), a third blurrier (a Gaussian of up to 1 px, then back to full strength),
    a third as they are; strength in [0, 1] scales how far each goes."""
    n = len(images)
    kind = torch.randint(0, 3, (n,), generator=generator).to(images.device)
    amount = (torch.rand(n, generator=generator).to(images) * strength)[:, None, None, None]
    thick = images + amount * (F.max_pool2d(images, 3, 1, 1) - images)
    blurred = _blur(images, 1.0)
    blurred = images + amount * (_full_strength(blurred) - images)
    pick = kind[:, None, None, None]
    return torch.where(pick == 0, thick, torch.where(pick == 1, blurred, images))


def random_thin(images: torch.Tensor, strength: float = 0.6,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A quarter of the images of (N, 1, H, W) in [0, 1] drawn with a thinner pen: the grey edge
    of each stroke, below a random level up to strength, cut off, the rest back to full strength
    (like restyled.on_pad's thin pen, which cuts a drawing's grey edge off at 280 px). A picture
    no brighter than its cut comes out blank: rare, as strokes here reach full strength."""
    n = len(images)
    pick = (torch.rand(n, generator=generator) < 0.25)[:, None, None, None].to(images.device)
    cut = (torch.rand(n, generator=generator) * strength)[:, None, None, None].to(images)
    thin = _full_strength(((images - cut) / (1 - cut)).clamp(0, 1))
    return torch.where(pick, thin, images)


def random_coarse(images: torch.Tensor, strength: float = 1.0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Half of the images of (N, 1, H, W) seen through a coarser grid, as a small picture blown up
    is: averaged down to between H and H - strength * (H - 8) pixels a side, then back up
    bilinearly and to full strength again. A model trained only on sharp 28x28 digits reads a
    blurry 8x8 one poorly."""
    n, _, h, w = images.shape
    half = torch.rand(n, generator=generator) < 0.5
    sizes = (h - torch.rand(n, generator=generator) * strength * (h - 8)).round().long()
    coarse = half & (sizes < h)
    out = images.clone()
    for size in sizes[coarse].unique().tolist():  # one resize per grid size, at most H - 7 of them
        pick = (coarse & (sizes == size)).nonzero().squeeze(1).to(images.device)
        small = F.interpolate(images[pick], size=(size, size), mode="area")
        big = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
        out[pick] = _full_strength(big)
    return out


def _full_strength(images: torch.Tensor) -> torch.Tensor:
    """Each image scaled so its brightest pixel is 1 again: blurring spreads the ink thinner."""
    return images / images.amax((2, 3), keepdim=True).clamp_min(1e-6)


def _blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    x = torch.arange(-2, 3, dtype=images.dtype, device=images.device)
    k = torch.exp(-x ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    images = F.conv2d(images, k.view(1, 1, 1, 5), padding=(0, 2))
    return F.conv2d(images, k.view(1, 1, 5, 1), padding=(2, 0))


def random_elastic(images: torch.Tensor, alpha: float = 34.0, sigma: float = 4.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Simard's elastic distortion for every image of (N, C, H, W): a random displacement field,
    smoothed by a Gaussian of sigma pixels and scaled by alpha pixels, bends the strokes."""
    n, _, h, w = images.shape
    field = torch.rand(n, 2, h, w, generator=generator).to(images) * 2 - 1
    radius = int(2 * sigma)
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    k = torch.exp(-x ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    field = F.conv2d(field.reshape(-1, 1, h, w), k.view(1, 1, 1, -1), padding=(0, radius))
    field = F.conv2d(field, k.view(1, 1, -1, 1), padding=(radius, 0)).reshape(n, 2, h, w) * alpha
    ys, xs = torch.meshgrid(torch.arange(h, dtype=images.dtype, device=images.device),
                            torch.arange(w, dtype=images.dtype, device=images.device), indexing="ij")
    # grid_sample wants where each output pixel samples from, in [-1, 1] (pixel centres)
    gx = (xs + field[:, 0] + 0.5) * 2 / w - 1
    gy = (ys + field[:, 1] + 0.5) * 2 / h - 1
    grid = torch.stack([gx, gy], dim=-1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


__all__ = ["AffineParams", "sample_affine_params", "apply_affine", "random_affine", "random_pen",
           "random_thin", "random_coarse", "random_elastic"]
