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
    if abs(float(answer) - right) < 0.005:
        return True, f"right: most of every picture is background"
    if answer > 1:
        return False, "give a fraction between 0 and 1, not a count or a percentage"
    return False, "compare every pixel of train.images with 0 and take the mean of the result"


def _horizontal_edges(answer):
    kernel = torch.as_tensor(answer, dtype=torch.float32).reshape(1, 1, 3, 3)
    picture = torch.zeros(1, 1, 12, 12)
    horizontal, vertical = picture.clone(), picture.clone()
    horizontal[..., 5:7, :] = 1   # a horizontal bar across the picture: edges above and below it
    vertical[..., :, 5:7] = 1     # the same bar turned upright: edges left and right only
    h = F.conv2d(horizontal, kernel).abs().max()
    v = F.conv2d(vertical, kernel).abs().max()
    if h > 2 * v and h > 0:
        return True, f"right: {float(h):.1f} on a horizontal bar, {float(v):.1f} on a vertical one"
    if v > 2 * h:
        return False, "this one finds vertical edges: turn it by 90 degrees"
    return False, "a horizontal edge is a change from one row to the next: weigh the top row against the bottom row"


def _zoom(answer):
    images = load_mnist(False).images[:8]
    for scale in (1.5, 0.8):
        theta = torch.tensor([[1 / scale, 0, 0], [0, 1 / scale, 0]]).expand(len(images), 2, 3)
        right = F.grid_sample(images, F.affine_grid(theta, list(images.shape), align_corners=False),
                              align_corners=False)
        got = answer(images, scale)
        if not isinstance(got, torch.Tensor) or got.shape != images.shape:
            return False, f"zoom(images, s) should return a tensor shaped like images, {tuple(images.shape)}"
        if not torch.allclose(got, right, atol=1e-4):
            bigger = got.count_nonzero() > images.count_nonzero()
            hint = "the digit grows where it should shrink: use 1/s" if bigger != (scale > 1) else \
                "close: sample with affine_grid and grid_sample, align_corners=False as apply_affine does"
            return False, hint
    return True, "right: a zoom by s samples the input at 1/s of the distance from the centre"


def _unsure_count(answer, model=None):
    if model is None:
        return False, "pass the model you used: check('05.3', count, model=model)"
    probs = probabilities(model, load_mnist(False).images).amax(1)
    right = int((probs < 0.99).sum())
    if int(answer) == right:
        return True, f"right: {right / len(probs):.1%} of the test set would go to a person"
    return False, "count the test digits whose largest softmax probability is below 0.99"


CHECKS = {"01.1": _most_and_fewest, "01.3": _zero_fraction, "02.3": _horizontal_edges, "03.2": _zoom,
          "05.3": _unsure_count}


def check(exercise: str, answer, **context) -> bool:
    """Print whether answer solves the exercise (and a hint if not); return True when it does."""
    if exercise not in CHECKS:
        raise KeyError(f"no check for exercise {exercise!r}; there are checks for {', '.join(CHECKS)}")
    try:
        ok, message = CHECKS[exercise](answer, **context)
    except Exception as e:  # a half-written answer should get a hint, not a traceback
        ok, message = False, f"your answer could not be used ({type(e).__name__}: {e})"
    print(("✓ " if ok else "✗ not yet: ") + message)
    return ok
