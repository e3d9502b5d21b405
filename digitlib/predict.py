"""Load a trained model once, then read digits from pictures."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitlib.checkpoint import load_model
from digitlib.models import stages
from digitlib.config import DIGIT_CHECK, default_model
from digitlib.errors import DigitsError
from digitlib.pictures.preprocess import Preprocessed, preprocess, steps_for
from digitlib.not_sure import DigitCheck
from digitlib.train import probabilities


@dataclass
class Prediction:
    digit: int | None          # None when nothing was drawn
    confidence: float          # softmax probability of that digit (0 when blank)
    probs: list[float]         # ten probabilities, one per digit
    preprocessed: Preprocessed
    sure: bool = True          # False: the model should not be trusted on this picture
    checked: bool = True       # False: no "not sure" check could be asked (missing or damaged)

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        order = sorted(range(10), key=lambda d: -self.probs[d])
        return [(d, self.probs[d]) for d in order[:k]]

    @property
    def verdict(self) -> str:
        """What the window, the pad and the CLI say about it: how sure, or not sure at all."""
        if not self.sure:
            return "Not sure this is a digit"
        # Why not checked (missing, refused, or none asked for) is Predictor.describe's to say, once.
        return f"{self.confidence:.1%} sure" + ("" if self.checked else " (not checked)")

    def as_dict(self) -> dict:
        return {"digit": self.digit, "sure": self.sure, "checked": self.checked, "confidence": self.confidence,
                "probs": self.probs}


class Predictor:
    """A model loaded from a checkpoint, ready to read pictures one at a time or many.

    The CPU is quickest for single 28x28 images (a GPU round trip costs more than the maths).
    """

    def __init__(self, checkpoint: str | Path | None = None, device: str = "cpu",
                 check: str | Path | None = DIGIT_CHECK):
        """checkpoint None: the learner's trained model if there is one, else the shipped one.
        check: the "is this a digit?" model (digitlib.not_sure); None reads every picture as a digit."""
        if checkpoint is None:
            checkpoint, self.which = default_model()
        else:
            self.which = "the model you chose"
        self.checkpoint = Path(checkpoint)
        self.device = torch.device(device)
        self.model, meta = load_model(self.checkpoint, self.device)
        about = meta.get("class_model")
        self.class_writers: list | None = about.get("writers") if isinstance(about, dict) else None
        if isinstance(self.class_writers, list):  # wherever it was copied: the teacher's model of this class
            self.which = "the class model"
        self.steps = steps_for(meta)  # how pictures are made ready for this model
        self.arch: str = meta["arch"]
        self.test_accuracy: float | None = meta.get("test_accuracy")
        self.epoch: int | None = meta.get("epoch")
        # A missing or damaged check must not stop digits being read, nor pass unsaid: every
        # picture is then read as a digit, and check_problem says why (the CLI, window and pad show it).
        self.check: DigitCheck | None = None
        self.check_problem: str | None = None
        if check is not None and not Path(check).is_file():
            self.check_problem = (f"the 'not sure' check {check} is missing, so every picture is read as a "
                                  f"digit (restore it: git checkout -- {check})")
        elif check is not None:
            try:
                self.check = DigitCheck(check, device)
            except DigitsError as e:
                self.check_problem = f"the 'not sure' check is off, every picture is read as a digit: {e}"

    def describe(self) -> str:
        acc = f"{self.test_accuracy:.2%} test accuracy" if self.test_accuracy is not None else "accuracy unknown"
        check = "" if self.check is not None else "; no 'not sure' check"
        problem = f". Note: {self.check_problem}" if self.check_problem else ""
        tuned = f"tuned on {len(self.class_writers)} writers' digits; " if self.which == "the class model" else ""
        return f"{self.which} ({tuned}{self.checkpoint.name}: {self.arch}, {acc}{check}){problem}"

    def stages(self, p: Prediction) -> dict[str, torch.Tensor]:
        """The activations inside the network for a prediction's input, by layer name."""
        if not hasattr(self.model, "features"):  # a fully connected model has no feature maps
            return {}
        return dict(stages(self.model, p.preprocessed.tensor.to(self.device)))

    def predict(self, image) -> Prediction:
        return self.predict_many([preprocess(image, self.steps)])[0]

    def predict_many(self, pictures: list[Preprocessed], batch_size: int = 256) -> list[Prediction]:
        """One Prediction per preprocessed picture, in order; the model and the check read batch_size
        at a time, so each forward's fixed costs are paid once per batch, not once per picture."""
        drawn = [pre for pre in pictures if not pre.blank]
        probs, sure = torch.empty(0, 10), torch.empty(0, dtype=torch.bool)
        if drawn:
            images = torch.from_numpy(np.stack([pre.image28 for pre in drawn]))[:, None]
            probs = probabilities(self.model, images.to(self.device), batch_size)
            sure = self.check.is_digit(images) if self.check is not None else torch.ones(len(drawn), dtype=torch.bool)
        read = iter(zip(probs, sure))
        out = []
        for pre in pictures:
            if pre.blank:
                out.append(Prediction(None, 0.0, [0.0] * 10, pre))
                continue
            p, is_digit = next(read)
            digit = int(p.argmax())
            out.append(Prediction(digit, float(p[digit]), [float(x) for x in p], pre, bool(is_digit),
                                  checked=self.check is not None))
        return out
