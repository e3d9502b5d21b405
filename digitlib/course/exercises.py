"""check("01.1", answer): feedback on an exercise without giving the answer away.

Each checker computes the right answer itself, from the data or the model it is handed, so the
answers are not written down anywhere a learner could read them off (and cannot go stale).
Worked solutions are notebooks in solutions/, outside the folder `make lab` opens."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from digitlib.data import load_mnist
from digitlib.train import probabilities


def _most_and_fewest(answer):
    counts = torch.bincount(load_mnist(True).labels, minlength=10)
    right = (int(counts.argmax()), int(counts.argmin()))
    if tuple(int(a) for a in answer) == right:
        return True, "right: count the labels with torch.bincount to see by how much"
    return False, "count how often each label occurs in train.labels, then take the largest and the smallest"


def _zero_fraction(answer):
    right = float((load_mnist(True).images == 0).float().mean())
    answer = float(answer)
    if abs(answer - right) < 0.005:
        return True, "right: most of every picture is background"
    if answer > 1:
        return False, "give a fraction between 0 and 1, not a count or a percentage"
    if abs(answer - (1 - right)) < 0.005:
        return False, "that is the share of pixels with ink: the exercise asks about the background"
    return False, ("count only the pixels that are exactly background, over every pixel of every training "
                   "picture, and compare with the number of all pixels")


def _horizontal_edges(answer):
    kernel = torch.as_tensor(answer, dtype=torch.float32)
    if kernel.numel() != 9:
        return False, f"a 3x3 filter has 3 rows of 3 numbers; yours has shape {tuple(kernel.shape)}"
    kernel = kernel.reshape(1, 1, 3, 3)
    picture = torch.zeros(1, 1, 12, 12)
    horizontal, vertical = picture.clone(), picture.clone()
    horizontal[..., 5:7, :] = 1   # a horizontal bar across the picture: edges above and below it
    vertical[..., :, 5:7] = 1     # the same bar turned upright: edges left and right only
    h = F.conv2d(horizontal, kernel).abs().max()
    v = F.conv2d(vertical, kernel).abs().max()
    if h > 2 * v and h > 0:
        return True, f"right: {float(h):.1f} on a horizontal bar, {float(v):.1f} on a vertical one"
    if v > 2 * h:
        return False, "this one answers to vertical edges, not horizontal ones"
    if h == 0 and v == 0:
        return False, "this filter gives 0 on every bar: an edge filter must answer where the picture changes"
    return False, ("it answers about as much to a vertical bar as to a horizontal one: "
                   "what changes when you cross a horizontal edge, and in which direction?")


def _zoom_by(images, scale, mode, grid_corners, sample_corners):
    theta = torch.tensor([[1 / scale, 0, 0], [0, 1 / scale, 0]]).expand(len(images), 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=grid_corners)
    return F.grid_sample(images, grid, mode=mode, align_corners=sample_corners)


def _zoom(answer):
    images = load_mnist(False).images[:8]
    modes = []
    for scale in (1.5, 0.8):
        got = answer(images, scale)
        if not isinstance(got, torch.Tensor) or got.shape != images.shape:
            return False, f"zoom(images, s) should return a tensor shaped like images, {tuple(images.shape)}"
        # bilinear (grid_sample's default) and nearest (what training and every cell of 03 use) are both right
        right = [m for m in ("bilinear", "nearest") if any(
            torch.allclose(got, _zoom_by(images, scale, m, c, c), atol=1e-4) for c in (False, True))]
        if not right:
            # align_corners the same in both calls gives the same zoom; mixed, the picture shifts
            corners = any(torch.allclose(got, _zoom_by(images, scale, m, g, not g), atol=1e-4)
                          for m in ("bilinear", "nearest") for g in (False, True))
            if corners:
                return False, ("close: affine_grid and grid_sample disagree about align_corners; give both "
                               "the same (apply_affine uses align_corners=False in both)")
            inverse = any(torch.allclose(got, _zoom_by(images, 1 / scale, m, False, False), atol=1e-4)
                          for m in ("bilinear", "nearest"))
            ink = float(got.sum() / images.sum())  # a zoom by s > 1 leaves more ink, s < 1 less
            if inverse or (scale > 1 and ink < 0.9) or (scale < 1 and ink > 1.1):
                return False, "the digit grows where it should shrink: use 1/s"
            return False, ("not yet a zoom about the centre: for s=1.5 the digit should fill 1.5 times the "
                           "width, centred where it was; show your zoom(images, 1.5) beside images to see")
        modes.append(right[0])
    how = "nearest-pixel" if modes[0] == "nearest" else "bilinear"
    return True, f"right ({how} sampling): a zoom by s samples the input at 1/s of the distance from the centre"


def _unsure_count(answer, model=None, data=None):
    if model is None:
        return False, "pass the model you used: check('05.3', count, model=model)"
    everything = load_mnist(False)
    digits = everything if data is None else data
    images = digits.images if hasattr(digits, "images") else torch.as_tensor(digits)
    probs = probabilities(model, images).amax(1)
    right = int((probs < 0.99).sum())
    if int(answer) == right:
        return True, f"right: {right / len(probs):.1%} of these {len(probs):,} test digits would go to a person"
    if data is None:
        fast = probabilities(model, everything.subset(2000).images).amax(1)  # notebook 05's fast mode
        if int(answer) == int((fast < 0.99).sum()):
            return True, ("right for the 2,000 test digits notebook 05 uses in fast mode "
                          f"({int(answer) / 2000:.1%} of them would go to a person)")
        return False, ("count the test digits whose largest softmax probability is below 0.99; if you "
                       "counted on part of the test set, pass it: check('05.3', count, model=model, data=data)")
    return False, f"count the digits of data ({len(probs):,}) whose largest softmax probability is below 0.99"


CHECKS = {"01.1": _most_and_fewest, "01.3": _zero_fraction, "02.3": _horizontal_edges, "03.2": _zoom,
          "05.3": _unsure_count}


def check(exercise: str, answer, **context) -> bool:
    """Print whether answer solves the exercise (and a hint if not); return True when it does."""
    if exercise not in CHECKS:
        raise KeyError(f"no check for exercise {exercise!r}; there are checks for {', '.join(CHECKS)}")
    try:
        ok, message = CHECKS[exercise](answer, **context)
    except Exception as e:  # a half-written answer should get a hint, not a traceback
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        ok, message = False, f"your answer could not be used ({type(e).__name__}: {first})"
    print(("✓ " if ok else "✗ not yet: ") + message)
    return ok
