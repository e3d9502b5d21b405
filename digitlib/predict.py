"""Load a trained model once, then read digits from pictures."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .checkpoint import load_model
from .config import DIGIT_CHECK, default_model
from .errors import DigitsError
from .preprocess import Preprocessed, preprocess
from .reject import DigitCheck


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
        return f"{self.confidence:.1%} sure" + ("" if self.checked else " (not checked: no 'not sure' check)")

    def as_dict(self) -> dict:
        return {"digit": self.digit, "sure": self.sure, "checked": self.checked, "confidence": self.confidence,
                "probs": self.probs}


class Predictor:
    """A model loaded from a checkpoint, ready for one picture at a time.

    The CPU is quickest for single 28x28 images (a GPU round trip costs more than the maths).
    """

    def __init__(self, checkpoint: str | Path | None = None, device: str = "cpu",
                 check: str | Path | None = DIGIT_CHECK):
        """checkpoint None: the learner's trained model if there is one, else the shipped one.
        check: the "is this a digit?" model (digitlib.reject); None reads every picture as a digit."""
        if checkpoint is None:
            checkpoint, self.which = default_model()
        else:
            self.which = "the model you chose"
        self.checkpoint = Path(checkpoint)
        self.device = torch.device(device)
        self.model, meta = load_model(self.checkpoint, self.device)
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
        return f"{self.which} ({self.checkpoint.name}: {self.arch}, {acc}{check}){problem}"

    @torch.no_grad()
    def probabilities(self, inputs: torch.Tensor) -> torch.Tensor:
        """Softmax over the ten digits for normalised inputs of shape (N, 1, 28, 28)."""
        return torch.softmax(self.model(inputs.to(self.device)), dim=1).cpu()

    def stages(self, p: Prediction) -> dict[str, torch.Tensor]:
        """The activations inside the network for a prediction's input, by layer name."""
        from .analysis import stages

        if not hasattr(self.model, "features"):  # a fully connected model has no feature maps
            return {}
        return dict(stages(self.model, p.preprocessed.tensor.to(self.device)))

    def predict(self, image) -> Prediction:
        pre = preprocess(image)
        if pre.blank:
            return Prediction(None, 0.0, [0.0] * 10, pre)
        probs = self.probabilities(pre.tensor)[0]
        digit = int(probs.argmax())
        sure = self.check is None or bool(self.check.is_digit(torch.from_numpy(pre.image28)[None, None])[0])
        return Prediction(digit, float(probs[digit]), [float(p) for p in probs], pre, sure,
                          checked=self.check is not None)
