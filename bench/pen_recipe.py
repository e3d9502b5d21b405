"""Choose the shipped model's extra augmentation on validation digits, not on the test set.

Trains one model per variant (a validation split of the training digits held out), then reads
the held-out digits dressed as other people's pictures (digitlib.synthetic.restyled) through the same
preprocessing the surfaces use. The test set and the UCI digits choose nothing here.
Usage: python bench/pen_recipe.py [--recipe speed] [--variants base,pen,elastic,pen+elastic,pen+coarse]
                                  [--seeds 0] [--n 1000]
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from digitlib.synthetic import restyled
from digitlib.course.analysis import pipeline_accuracy
from digitlib.config import CHECKPOINTS, RECIPES
from digitlib.data import load_mnist
from digitlib.train import fit, split_validation

VARIANTS = {"base": {}, "pen": {"pen": 1.0}, "elastic": {"elastic": 20.0}, "pen+elastic": {"pen": 1.0, "elastic": 20.0},
            "pen+coarse": {"pen": 1.0, "coarse": 1.0}}
# Dressed-up validation digits only: the UCI digits and the test set stay out of the choice.
STYLES = ["MNIST digit as is", "pad, thick pen", "pad, thin pen", "photo, grey paper",
          "cut tight on 4 sides, 16 px, either polarity", "8x8 blown up smoothly"]


def read_styles(model, digits, labels, n) -> dict[str, float]:
    return {name: pipeline_accuracy(model, *restyled.style(name, digits, labels, n)) for name in STYLES}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="speed", choices=list(RECIPES))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--n", type=int, default=1000, help="held-out digits read per style")
    args = ap.parse_args()
    print(f"recipe {args.recipe}, 10,000 validation digits held out; {args.n} of them read per style")
    print("| variant | seed | " + " | ".join(STYLES) + " | mean | s |\n|---|---|" + "---:|" * (len(STYLES) + 2))
    for name in args.variants.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            cfg = replace(RECIPES[args.recipe], **VARIANTS[name], seed=seed, val_size=10000,
                          out=str(CHECKPOINTS / "pen_recipe" / f"{name}-{seed}.pth"))
            t = time.perf_counter()
            result = fit(cfg, progress=False, verbose=False)
            _, val = split_validation(load_mnist(True), 10000, seed)
            acc = read_styles(result.model, val.images[:, 0].numpy(), val.labels.numpy(), args.n)
            print(f"| {name} | {seed} | " + " | ".join(f"{a:.2%}" for a in acc.values())
                  + f" | {np.mean(list(acc.values())):.2%} | {time.perf_counter() - t:.0f} |", flush=True)


if __name__ == "__main__":
    main()
