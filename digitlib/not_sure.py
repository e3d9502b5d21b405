"""An honest "not sure": a softmax's confidence is not a measure of "is this a digit".

A network trained only on digits has never been asked about anything else, so a letter or a
smiley gets some digit at 98%. *Outlier exposure* (Hendrycks et al., 2019) fixes the question:
a short fine-tune on digits *and* on things that are not digits (digitlib.synthetic.nondigits), where the
non-digits are pushed toward a flat softmax (every digit 10%). Afterwards the top probability
separates the two far better, and a threshold on it, chosen on validation digits, flags what
the model should not be trusted on. The threshold travels in the checkpoint.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from digitlib.augment import random_affine
from digitlib.config import TrainConfig
from digitlib.data import MNISTTensors, load_mnist, normalize
from digitlib.pictures.preprocess import steps_for, to_tensors

VALIDATION = slice(50000, 60000)  # MNIST training digits kept for choosing the threshold


def top_probability(model, images: torch.Tensor) -> torch.Tensor:
    """The largest softmax probability of each image (N,) in [0, 1] (images in [0, 1])."""
    from digitlib.course.analysis import predict_probs

    unlabelled = MNISTTensors(images, torch.zeros(len(images), dtype=torch.long))
    return predict_probs(model, unlabelled).amax(1)


def choose_threshold(model, digits: torch.Tensor, flag_rate: float) -> float:
    """The top probability below which `flag_rate` of these (validation) digits fall."""
    return float(torch.quantile(top_probability(model, digits), flag_rate))


@dataclass
class ExposureConfig:
    epochs: int = 3
    lr: float = 0.001
    batch_size: int = 64
    outlier_weight: float = 0.5   # the flat-softmax loss on non-digits, relative to the digits' loss
    seed: int = 0


def outlier_exposure(model, outliers: torch.Tensor, cfg: ExposureConfig | None = None, progress: bool = True):
    """Fine-tune model in place on MNIST training digits 0-49999 (augmented, as in training) plus
    outliers (N, 1, 28, 28), one outlier batch per digit batch."""
    from tqdm.auto import tqdm

    from digitlib.train import make_optimizer

    cfg = cfg or ExposureConfig()
    recipe = replace(TrainConfig(), lr=cfg.lr)  # the reference's augmentation, momentum, weight decay
    train = load_mnist(True)
    digits = MNISTTensors(train.images[:VALIDATION.start], train.labels[:VALIDATION.start])
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    optimizer, _ = make_optimizer(model.parameters(), recipe)
    for epoch in range(cfg.epochs):
        model.train()
        for m in model.modules():  # BatchNorm keeps the digits' statistics: half of each batch is not digits
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
        perm = torch.randperm(len(digits), generator=gen)
        for i in tqdm(range(0, len(perm) - cfg.batch_size + 1, cfg.batch_size), desc=f"exposure {epoch + 1}",
                      disable=not progress, leave=False, mininterval=1.0):
            idx = perm[i:i + cfg.batch_size]
            out_idx = torch.randint(len(outliers), (cfg.batch_size,), generator=gen)
            x = torch.cat([digits.images[idx], outliers[out_idx]])
            x = random_affine(x, recipe.degrees, recipe.translate, generator=gen)  # bilinear, as the check was built
            x = normalize(x).contiguous(memory_format=torch.channels_last)
            logits = model(x)
            n = len(idx)
            loss = F.cross_entropy(logits[:n], digits.labels[idx])
            loss = loss - cfg.outlier_weight * F.log_softmax(logits[n:], 1).mean()  # toward 10% each
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return model.eval()


TRAIN_KINDS = {"letters": 1000, "square": 300, "triangle": 300, "star": 300, "scribble": 300, "hash": 300,
               "polygon": 300, "curves": 300, "dots": 300, "lines": 300, "boxed": 300}
FLAG_RATE = 0.01  # the share of validation digits the check may doubt


def build_check(base: str | Path, out: str | Path, cfg: ExposureConfig | None = None, progress: bool = True) -> dict:
    """Make the "is this a digit?" check: a copy of the base model taught to doubt non-digits
    (outlier exposure), with the threshold that doubts FLAG_RATE of validation digits."""
    from digitlib.synthetic import nondigits
    from digitlib.checkpoint import load_model, save_checkpoint

    # Weight 2 (or twice the outliers) was tried: on validation (training kinds with new seeds,
    # MNIST training digits 50000+ drawn on a pad) 91.2% vs 90.6% of non-digits and 1.4% vs 1.5%
    # of digits flagged, 6 pictures in 1,100 and 1 in 1,000: no real gain, so weight 1 stays.
    cfg = cfg or ExposureConfig(epochs=3, outlier_weight=1.0, lr=1e-3)
    model, meta = load_model(base)
    steps = steps_for(meta)  # non-digits made ready as the base model reads pictures
    outliers = torch.cat([to_tensors(nondigits.make(kind, n, seed=1), steps) for kind, n in TRAIN_KINDS.items()])
    outlier_exposure(model, outliers, cfg, progress)
    threshold = choose_threshold(model, load_mnist(True).images[VALIDATION], FLAG_RATE)
    reject = {"threshold": threshold, "validation_flag_rate": FLAG_RATE, "trained_on": list(TRAIN_KINDS),
              "from": Path(base).name, **{f"exposure_{k}": v for k, v in asdict(cfg).items()}}
    save_checkpoint(out, model, meta["arch"], config=meta.get("config"), reject=reject)
    return reject


class DigitCheck:
    """Says whether a preprocessed drawing looks like a digit at all."""

    def __init__(self, path: str | Path, device: str = "cpu"):
        from digitlib.checkpoint import load_model
        from digitlib.errors import DigitsError

        self.model, meta = load_model(path, device)
        reject = meta.get("reject")
        if not isinstance(reject, dict) or not isinstance(reject.get("threshold"), float):
            raise DigitsError(f"{path} is not a digit check (it has no 'reject' threshold)")
        self.threshold = reject["threshold"]
        self.device = device

    def score(self, images: torch.Tensor) -> torch.Tensor:
        """Top probability of the check's softmax for images (N, 1, 28, 28) in [0, 1]."""
        return top_probability(self.model, images.to(self.device))

    def is_digit(self, images: torch.Tensor) -> torch.Tensor:
        return self.score(images) >= self.threshold
