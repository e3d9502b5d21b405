"""Every training hyperparameter in one place (the origin's reference recipe is the default), and
where a learner's files go: the course folder where it is writable, else their own (WORK_DIR)."""
from __future__ import annotations

import math
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType

from digitlib.errors import DigitsError

REPO_ROOT = Path(__file__).resolve().parent.parent


def can_write(folder: Path) -> bool:
    """Can this process create a file in folder? Tried, not read from the mode bits: root ignores
    those, and so does a read-only mount. (The file has no name and vanishes when closed.)"""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _choose_work_dir() -> tuple[Path, str]:
    """(where the learner's files go, why): decided once, when digitlib is first imported.

    $DIGITS_HOME wins when set: a class server can give every learner their own folder even if
    the course folder happens to be writable by all of them. Otherwise the course folder itself
    where it is writable (a laptop: everything stays where it always was), else ~/digits-work, a
    visible folder (not ~/.local/share) because learners open, pass and delete these files."""
    if os.environ.get("DIGITS_HOME"):
        return Path(os.environ["DIGITS_HOME"]).expanduser().absolute(), "DIGITS_HOME is set"
    if can_write(REPO_ROOT):
        return REPO_ROOT, ""
    return Path.home() / "digits-work", f"the course folder {REPO_ROOT} is read-only"


# Everything a learner makes goes under WORK_DIR, laid out as in the course folder: checkpoints/,
# data/ (MNIST unpacked, only when the course's data/ cannot be), and their digits.
WORK_DIR, _WHY_ELSEWHERE = _choose_work_dir()
CHECKPOINTS = WORK_DIR / "checkpoints"
# Collected digits: beside the notebooks on a laptop (notebook 07 collects there), at the top of
# the learner's own folder on a server.
MY_DIGITS = (REPO_ROOT / "notebooks" if WORK_DIR == REPO_ROOT else WORK_DIR) / "mydigits"
_said = False


def work_dir() -> Path:
    """WORK_DIR, created on first use; when it is not the course folder, said once on stderr (in a
    notebook: under the cell), so a learner knows where their models and digits went."""
    global _said
    if WORK_DIR != REPO_ROOT and not _said:
        try:
            WORK_DIR.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DigitsError(f"{_WHY_ELSEWHERE} and your own folder {WORK_DIR} cannot be made ({e.strerror}); "
                              f"set DIGITS_HOME to a folder you can write") from None
        print(f"{_WHY_ELSEWHERE}; your models and digits go to {WORK_DIR}", file=sys.stderr, flush=True)
        _said = True
    return WORK_DIR


def _inside(path: str | Path, folder: Path) -> bool:
    return folder.resolve() in Path(path).resolve().parents


def learner_path(path: str | Path) -> Path:
    """path, a place a learner's file is about to be written; if it lies in their own folder
    (not the course folder), that folder is made and named first (work_dir)."""
    if WORK_DIR != REPO_ROOT and _inside(path, WORK_DIR):
        work_dir()
    return Path(path)


def read_only_hint(path: str | Path, instead: Path) -> str:
    """For a write into path that failed: where to write instead, when path is in the course
    folder and the learner's files belong elsewhere (a shared server); else ''."""
    if WORK_DIR != REPO_ROOT and _inside(path, REPO_ROOT):
        return f"; the course folder is not yours to write: use {instead}"
    return ""


# The model shipped with the course lives where training never writes (models/, always read from
# the course folder); training writes the origin's checkpoints/mnist_cnn_best.pth, which git ignores.
SHIPPED_CHECKPOINT = REPO_ROOT / "models" / "mnist_cnn_shipped.pth"
TRAINED_CHECKPOINT = CHECKPOINTS / "mnist_cnn_best.pth"
FINETUNED_CHECKPOINT = CHECKPOINTS / "mnist_cnn_finetuned.pth"  # python -m digitlib finetune
# The class model (python -m digitlib classmodel): tuned by the teacher on every learner's digits and
# published read-only beside the shipped models, or where the hub's DIGITS_CLASS_MODEL says. Used
# only when chosen (--class-model): a learner's default stays their own model, else the shipped one.
CLASS_CHECKPOINT = (Path(os.environ["DIGITS_CLASS_MODEL"]).expanduser() if os.environ.get("DIGITS_CLASS_MODEL")
                    else REPO_ROOT / "models" / "class_model.pth")
# Where learners' digits are on a class server when DIGITS_HOME is not set: what `gather` reads
DEFAULT_HOMES = "/home/*/digits-work/mydigits"
# The "is this a digit?" check shipped beside it (digitlib/not_sure.py, scripts/make_digit_check.py)
DIGIT_CHECK = REPO_ROOT / "models" / "digit_check.pth"


@dataclass(frozen=True)  # change a setting with cfg.but(epochs=5): a recipe can never be edited in place
class TrainConfig:
    recipe: str = "reference"    # the name of the recipe these settings started from (RECIPES)
    arch: str = "DigitCNN"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    # "step": StepLR, the learning rate times gamma every step_size epochs (the reference).
    # "onecycle": rise from lr/10 to lr over the first `warmup` of the run, then fall linearly
    # to about 0, every batch: what short runs need (bench/speedrun.py).
    schedule: str = "step"
    step_size: int = 10
    gamma: float = 0.1
    warmup: float = 0.2
    label_smoothing: float = 0.0  # aim for 1 - s on the right digit, not 1: less overconfident
    augment: bool = True         # RandomAffine law: rotation +-degrees, shift +-translate
    degrees: float = 15.0
    translate: float = 0.1
    # torchvision's RandomAffine default, as the origin used it; it measured better here than
    # bilinear (best test accuracy 99.53/99.60% vs 99.34-99.44%, see README)
    interpolation: str = "nearest"
    pen: float = 0.0             # > 0: thicker and blurrier strokes too (augment.random_pen)
    thin: float = 0.0            # > 0: thinner strokes too, the grey edge cut up to this level (augment.random_thin)
    coarse: float = 0.0          # > 0: half the digits seen through a coarser grid (augment.random_coarse)
    elastic: float = 0.0         # > 0: elastic distortion of this many pixels (augment.random_elastic)
    # > 0: pictures labelled NOT_A_DIGIT are pushed toward a flat softmax, this strongly against
    # the digits' loss, and BatchNorm keeps the digits' statistics (the "not sure" check, not_sure.py)
    outlier_weight: float = 0.0
    # > 0 (with outlier_weight): also a squared hinge, this strong, on how loudly the network
    # answers (the logsumexp of its logits, the "not sure" check's score): digits pushed above
    # score_floor, NOT_A_DIGIT pictures below score_ceiling ("energy-bounded", Liu et al. 2020)
    score_weight: float = 0.0
    score_floor: float = 8.0
    score_ceiling: float = 1.5
    seed: int = 0
    train_subset: int | None = None  # None = all 60000 training images
    test_subset: int | None = None   # None = all 10000 test images
    # 0: the origin's recipe, the test set picks the best epoch. N > 0: N training digits are held
    # out as a validation set and pick it instead, so the test accuracy stays an honest estimate.
    val_size: int = 0
    # "best": keep the epoch the test (or validation) set likes best, as the origin did.
    # "last": the model at the end of training is the result; no set chooses anything.
    keep: str = "best"
    device: str = "auto"         # "auto" picks CUDA when present
    channels_last: bool = True   # ~1.8x faster convolutions on CPU here (bench/benchmark.py)
    # None: the network's own way of reading (SpeedCNN votes, DigitCNN reads once); True/False
    # decides. The checkpoint records it, so every surface reads as the recipe chose (models.infer).
    shift_votes: bool | None = None
    out: str = str(TRAINED_CHECKPOINT)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def validate(self) -> "TrainConfig":
        """Refuse, in one line, settings that would train nothing or nonsense."""
        from digitlib.models import ARCHITECTURES  # models imports torch: only when a config is checked

        checks = [  # (field, is it valid?, what it must be)
            ("arch", self.arch in ARCHITECTURES, f"one of {', '.join(ARCHITECTURES)}"),
            ("epochs", self.epochs >= 1, "at least 1"),
            ("batch_size", self.batch_size >= 2, "at least 2 (BatchNorm needs two examples)"),
            ("lr", math.isfinite(self.lr) and self.lr > 0, "a positive number"),
            ("momentum", 0 <= self.momentum < 1, "in [0, 1)"),
            ("weight_decay", math.isfinite(self.weight_decay) and self.weight_decay >= 0, ">= 0"),
            ("step_size", self.step_size >= 1, "at least 1"),
            ("gamma", 0 < self.gamma <= 1, "in (0, 1]"),
            ("train_subset", self.train_subset is None or self.train_subset >= 2, "at least 2"),
            ("test_subset", self.test_subset is None or self.test_subset >= 1, "at least 1"),
            ("val_size", self.val_size >= 0, "0 (no validation set) or more"),
            ("interpolation", self.interpolation in ("nearest", "bilinear"), "nearest or bilinear"),
            ("schedule", self.schedule in ("step", "onecycle"), "step or onecycle"),
            ("warmup", 0 < self.warmup < 1, "in (0, 1)"),
            ("label_smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)"),
            ("keep", self.keep in ("best", "last"), "best or last"),
            ("shift_votes", self.shift_votes in (None, True, False), "None, True or False"),
            ("pen", 0 <= self.pen <= 1, "in [0, 1]"),
            ("coarse", 0 <= self.coarse <= 1, "in [0, 1]"),
            ("thin", 0 <= self.thin < 1, "in [0, 1)"),
            ("elastic", math.isfinite(self.elastic) and self.elastic >= 0, ">= 0"),
            ("outlier_weight", math.isfinite(self.outlier_weight) and self.outlier_weight >= 0, ">= 0"),
            ("score_weight", math.isfinite(self.score_weight) and self.score_weight >= 0
             and (self.outlier_weight > 0 or self.score_weight == 0), ">= 0, and 0 unless outlier_weight > 0"),
            ("score_ceiling", math.isfinite(self.score_ceiling), "a number"),
            ("score_floor", math.isfinite(self.score_floor) and self.score_floor > self.score_ceiling,
             "a number above score_ceiling"),
        ]
        for name, ok, rule in checks:
            if not ok:
                raise DigitsError(f"{name} must be {rule}, not {getattr(self, name)!r}")
        return self

    def but(self, **changes) -> "TrainConfig":
        """A copy with some settings changed: RECIPES["reference"].but(epochs=5)."""
        return replace(self, **changes)

    def fast(self) -> "TrainConfig":
        """A small, quick version for CI and trying things out: minutes become seconds."""
        return replace(self, epochs=min(self.epochs, 2), train_subset=6000, test_subset=2000,
                       step_size=min(self.step_size, 1))

    def describe(self) -> str:
        return "\n".join(f"  {k:<14} {v}" for k, v in self.as_dict().items())


# Named recipes: `train --recipe NAME`. "speed" was designed for time-to-accuracy on a 2-core CPU
# (bench/speedrun.py, notebook 08). Each setting was chosen on a validation split of the training
# digits; the final model is the last one (keep="last"), so the test set chooses nothing. It is
# written beside, not over, the learner's reference model, which notebooks 05-07 look inside.
RECIPES = MappingProxyType({
    "reference": TrainConfig(),
    "speed": TrainConfig(recipe="speed", arch="SpeedCNN", epochs=7, batch_size=128, lr=0.05, nesterov=True,
                         weight_decay=5e-4, schedule="onecycle", warmup=0.2, degrees=8.0, keep="last",
                         out=str(CHECKPOINTS / "mnist_cnn_speed.pth")),
    # The model shipped with the course (models/mnist_cnn_shipped.pth) reads other people's pictures:
    # the reference plus other pens (augment.random_pen) and coarser grids (augment.random_coarse),
    # the best epoch chosen on 10,000 held-out training digits. On validation digits dressed as
    # thick pens and 8x8 pictures the pens lifted them from 98.0/56.6% to 98.6/92.1%; coarse grids
    # then lifted 8x8 pictures to 95.3% (mean of seeds 0-1, +1.9 points; the other styles moved by
    # 0.3 points or less; bench/pen_recipe.py, speed recipe). Shift votes
    # were chosen on the same validation digits: 99.30% read once, 99.36% with votes (loss 0.0223 ->
    # 0.0198; bench/shift_votes.py).
    "shipped": TrainConfig(recipe="shipped", pen=1.0, coarse=1.0, val_size=10000, shift_votes=True,
                           out=str(CHECKPOINTS / "mnist_cnn_shipped_recipe.pth")),
})


def default_model() -> tuple[Path, str]:
    """The model to use when none is named: the learner's own trained one if there is one (looked
    for where training writes it, WORK_DIR), else the one shipped with the course. Returns
    (path, which) so callers can always say."""
    if TRAINED_CHECKPOINT.is_file():
        return TRAINED_CHECKPOINT, "your trained model"
    return SHIPPED_CHECKPOINT, "the model shipped with the course"


def class_model() -> tuple[Path, str]:
    """(CLASS_CHECKPOINT, "the class model"), or a DigitsError saying who makes it."""
    if not CLASS_CHECKPOINT.is_file():
        raise DigitsError(f"no class model at {CLASS_CHECKPOINT} yet: the teacher makes it with "
                          f"`python -m digitlib classmodel CLASS_FOLDER` (docs/classroom.md)")
    return CLASS_CHECKPOINT, "the class model"


_READ = object()       # fast_mode()'s "only asking" default
_fast_override = None  # True or False once fast_mode(True / False) was called in this process


def fast_mode(on=_READ) -> bool:
    """True when notebooks and tests should shrink data and epochs: DIGITS_FAST=1, unless this
    process (a notebook's kernel) said otherwise. fast_mode(True) or fast_mode(False) decides for
    this kernel until it restarts, whatever DIGITS_FAST says, and returns the new value: write
    `FAST = fast_mode(True)` at the top of one notebook to run it alone in fast mode.
    fast_mode(None) forgets that choice: DIGITS_FAST decides again."""
    global _fast_override
    if on is not _READ:
        if on is not None and not isinstance(on, bool):
            raise TypeError(f"fast_mode takes True, False or None, not {on!r}")
        _fast_override = on
    if _fast_override is not None:
        return _fast_override
    return os.environ.get("DIGITS_FAST", "0") not in ("", "0", "false", "no")
