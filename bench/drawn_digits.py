"""How well drawn and photographed digits are read, and how long one prediction takes.

MNIST test digits are re-drawn as a learner would (dark ink on a 280x280 pad, random size and
place, thin or thick pen), photographed (pencil on grey paper, uneven light, noise), scanned,
written in chalk or with a soft pen on a transparent sheet, cut tight to the ink as forms and
datasets store them, or shrunk to a few pixels; then read through digitlib's preprocessing.
Usage: python bench/drawn_digits.py [--n 2000] [--checkpoint P]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from digitlib import samples
from digitlib.data import load_mnist
from digitlib.predict import Predictor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--checkpoint", help="default: your trained model if any, else the shipped one")
    args = ap.parse_args()
    predictor, test = Predictor(args.checkpoint), load_mnist(False)
    cases = {
        "MNIST digit as is": lambda d, r: d,
        "drawn on 280x280 pad": samples.on_pad,
        "pad, thin pen": lambda d, r: samples.on_pad(d, r, stroke=0.5),
        "pad, thick pen": lambda d, r: samples.on_pad(d, r, stroke=2.0),
        "photo, grey paper": samples.as_photo,
        "flat scan, grey paper": samples.on_grey_scan,
        "chalk: light ink on a dark board": samples.chalk,
        "soft pen on a transparent sheet (alpha 0.2-0.5)": samples.on_transparent,
        "cut tight to the ink, 96x96, dark on light": samples.tight_crop,
        "cut tight, 16x16 (USPS-like), either polarity":
            lambda d, r: samples.tight_crop(d, r, 16, dark_on_light=bool(r.integers(2))),
        "8x8 (scikit-learn-like) blown up blockily": samples.blocky,
    }
    print(f"{predictor.describe()}; {args.n} test digits per case\n")
    print("| input | accuracy | doubted (\"not sure\") | ms per prediction |\n|---|---:|---:|---:|")
    for name, make in cases.items():
        rng = np.random.default_rng(0)
        pictures = [make(test.images[i, 0].numpy(), rng) for i in range(args.n)]
        t = time.perf_counter()
        read = [predictor.predict(p) for p in pictures]
        ms = (time.perf_counter() - t) / args.n * 1000
        acc = np.mean([p.digit == y for p, y in zip(read, test.labels[:args.n].tolist())])
        doubted = np.mean([not p.sure for p in read])
        print(f"| {name} | {acc:.2%} | {doubted:.2%} | {ms:.1f} |")


if __name__ == "__main__":
    main()
