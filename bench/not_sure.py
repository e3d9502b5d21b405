"""How well "not sure this is a digit" works: non-digits flagged, by kind; digits wrongly flagged.

    python bench/not_sure.py [--n 200]

Non-digits are drawn by digitlib.nondigits with seeds the check never trained on; the kinds
marked "never trained on" are fonts and shapes absent from its training altogether. Digits: the
MNIST test set as the model reads it, and the drawn-digit bench (bench/drawn_digits.py, whose
"doubted" column is the same measure per style).
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitlib import nondigits  # noqa: E402
from digitlib.data import load_mnist  # noqa: E402
from digitlib.predict import Predictor  # noqa: E402
from digitlib.reject import TRAIN_KINDS  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="pictures per kind of non-digit")
    args = ap.parse_args()
    predictor = Predictor()
    if predictor.check is None:
        sys.exit("error: no digit check found (make one with scripts/make_digit_check.py)")
    print(f"{predictor.describe()}; check threshold {predictor.check.threshold:.3f}\n")
    print("| non-digits | kind | flagged | read as a digit, >90% sure, without the check |\n|---|---|---:|---:|")
    unseen = [f"letters:{f}" for f in nondigits.TEST_FONTS] + list(nondigits.TEST_SHAPES)
    flagged_unseen = []
    for kind in unseen + list(TRAIN_KINDS):
        read = [predictor.predict(p) for p in nondigits.make(kind, args.n, seed=3)]
        read = [p for p in read if p.digit is not None]
        flagged = np.mean([not p.sure for p in read])
        confident = np.mean([p.confidence > 0.9 for p in read])
        seen = "never trained on" if kind in unseen else "trained on (new samples)"
        if kind in unseen:
            flagged_unseen.append(flagged)
        print(f"| {kind.replace('letters:', 'letters, ')} | {seen} | {flagged:.1%} | {confident:.1%} |")
    print(f"\nnever-trained-on kinds, all together: {np.mean(flagged_unseen):.1%} flagged "
          f"(letters read as digits left out: {''.join(sorted(nondigits.LOOK_LIKE_DIGITS))})")
    test = load_mnist(False)
    with torch.no_grad():
        doubted = (~predictor.check.is_digit(test.images)).float().mean().item()
    print(f"MNIST test digits flagged: {doubted:.2%} of {len(test)}")


if __name__ == "__main__":
    main()
