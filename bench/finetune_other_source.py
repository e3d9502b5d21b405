"""Fine-tuning on real handwriting from writers outside MNIST: the UCI "optical recognition of
handwritten digits" set that scikit-learn ships (1797 digits by 43 writers, 8x8, 17 grey levels).

    python bench/finetune_other_source.py [--n 400] [--seed 0]

Takes n of its pictures as a learner's folder (FOLDER/<digit>/<k>.png, 8x8 as they are),
fine-tunes the shipped model on it (a quarter held out), and reads the pictures it never saw
before and after; MNIST test accuracy is measured too. Beside it, the plain baseline: scikit-learn's
SVC on the 64 grey levels as they are, trained on the same pictures (it reads only this source).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digitlib.checkpoint import load_checkpoint, load_model
from digitlib.config import SHIPPED_CHECKPOINT
from digitlib.handwriting.finetune import FinetuneConfig, finetune
from digitlib.handwriting.folder import accuracy_by_digit, load_folder
from digitlib.pictures.preprocess import steps_for
from digitlib.synthetic.restyled import write_uci_folder


def plain_baseline(digits, train_idx, *measure_on) -> list[float]:
    """The simplest thing that could work on one source: an RBF SVM on its raw pixels."""
    from sklearn.svm import SVC
    x = digits.data / 16
    svm = SVC().fit(x[train_idx], digits.target[train_idx])
    return [svm.score(x[idx], digits.target[idx]) for idx in measure_on]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="pictures in the learner's folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", type=Path, default=SHIPPED_CHECKPOINT)
    args = ap.parse_args()
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("error: this benchmark needs scikit-learn: pip install scikit-learn")
    digits = load_digits()
    order = np.random.default_rng(args.seed).permutation(len(digits.target))
    mine_idx, rest_idx = order[:args.n], order[args.n:]
    with tempfile.TemporaryDirectory() as tmp:
        steps = steps_for(load_checkpoint(args.checkpoint))
        mine = load_folder(steps=steps, root=write_uci_folder(mine_idx, Path(tmp) / "mine"))
        rest = load_folder(steps=steps, root=write_uci_folder(rest_idx, Path(tmp) / "rest", start=args.n))
        model, _ = load_model(args.checkpoint)
        rest_before = accuracy_by_digit(model, rest)["accuracy"]
        began = time.perf_counter()
        r = finetune(mine, args.checkpoint, FinetuneConfig(seed=args.seed), progress=False, verbose=False)
        wall = time.perf_counter() - began
        rest_after = accuracy_by_digit(r.model, rest)["accuracy"]
        held = set(r.held_out)
        picture = [mine_idx[int(p.stem)] for p in mine.paths]  # the folder's order -> UCI's
        svm = plain_baseline(digits, [picture[i] for i in range(len(picture)) if i not in held],
                             [picture[i] for i in sorted(held)], rest_idx)
    print(f"UCI digits (43 writers, 8x8), seed {args.seed}: fine-tuned on {r.n_train}, "
          f"{r.seconds:.0f} s of training ({wall:.0f} s with the before/after measurements)")
    print("| | before | after | plain SVC on the 8x8 pixels, same pictures |")
    print(f"| held out of the folder ({r.n_holdout}) | {r.before['own']:.1%} | {r.after['own']:.1%} | {svm[0]:.1%} |")
    print(f"| the other {len(rest.data)} UCI digits | {rest_before:.1%} | {rest_after:.1%} | {svm[1]:.1%} |")
    print(f"| MNIST test (10000) | {r.before['mnist']:.2%} | {r.after['mnist']:.2%} |")


if __name__ == "__main__":
    main()
