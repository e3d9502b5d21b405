"""Random affine augmentation, done for a whole batch at once on tensors.

The law is torchvision's ``RandomAffine(degrees=15, translate=(0.1, 0.1))`` as the origin
recipe used it: per image an angle uniform in [-15, 15] degrees and a shift uniform in
[-10%, 10%] of width and height, rounded to whole pixels (torchvision rounds too). Instead
of one PIL call per image we build every image's sampling grid at once and resample the
batch with one ``grid_sample``: the same result, without per-sample Python.
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


__all__ = ["AffineParams", "sample_affine_params", "apply_affine", "random_affine"]
