"""How well other people's pictures are read: the project's preprocessing beside the plain one.

MNIST test digits are re-drawn as a learner would (dark ink on a 280x280 pad, random size and
place, thin or thick pen), photographed (pencil on grey paper, uneven light, noise), scanned,
written in chalk or with a soft pen on a transparent sheet, cut tight to the ink as forms and
datasets store them, or shrunk to a few pixels; and the UCI digits (43 writers MNIST never saw,
from scikit-learn) are read as they come. Each style is read twice by the same model: through
digitlib's preprocessing (the steps that suit the model: preprocess.steps_for) and through the
plain textbook recipe (preprocess.PLAIN), so every row
says whether the extra steps earn their place.
Usage: python bench/drawn_digits.py [--n 2000] [--checkpoint P] [--styles a,b]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from digitlib.synthetic import restyled
from digitlib.course.analysis import pipeline_accuracy
from digitlib.data import load_mnist
from digitlib.predict import Predictor
from digitlib.pictures.preprocess import PLAIN


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="MNIST test digits per style")
    ap.add_argument("--checkpoint", help="default: your trained model if any, else the shipped one")
    ap.add_argument("--styles", help="comma-separated words; only styles whose name contains one run")
    args = ap.parse_args()
    predictor, test = Predictor(args.checkpoint), load_mnist(False)
    wanted = args.styles.split(",") if args.styles else None
    print(f"{predictor.describe()}; up to {args.n} digits per style\n")
    print("| pictures | n | digitlib | plain | doubted (\"not sure\") | ms per prediction |\n"
          "|---|---:|---:|---:|---:|---:|")
    digits, labels = test.images[:, 0].numpy(), test.labels.numpy()
    for name in restyled.STYLES:
        if wanted and not any(w in name for w in wanted):
            continue
        pictures, truth = restyled.style(name, digits, labels, args.n)
        ours, plain = (pipeline_accuracy(predictor.model, pictures, truth, steps) for steps in (predictor.steps, PLAIN))
        timed = pictures[:200]  # one at a time, as the surfaces read: the latency a learner sees
        t = time.perf_counter()
        doubted = np.mean([not predictor.predict(p).sure for p in timed])
        ms = (time.perf_counter() - t) / len(timed) * 1000
        flag = "" if ours >= plain else " (below plain)"
        print(f"| {name} | {len(truth)} | {ours:.2%}{flag} | {plain:.2%} | {doubted:.2%} | {ms:.1f} |", flush=True)


if __name__ == "__main__":
    main()
