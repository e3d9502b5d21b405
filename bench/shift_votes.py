"""Does a trained model read better with shift votes (models.infer: nine readings, each moved by
up to one pixel, averaged)? Measured on the validation digits its recipe held out (they choose),
then on the test set (reported, never choosing).
Usage: python bench/shift_votes.py [--checkpoint models/mnist_cnn_shipped.pth]
"""
from __future__ import annotations

import argparse

from digitlib.checkpoint import load_model
from digitlib.config import SHIPPED_CHECKPOINT
from digitlib.data import load_mnist
from digitlib.train import evaluate, split_validation


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=str(SHIPPED_CHECKPOINT))
    args = ap.parse_args()
    model, meta = load_model(args.checkpoint)
    cfg = meta.get("config") or {}
    _, val = split_validation(load_mnist(True), cfg.get("val_size", 0), cfg.get("seed", 0))
    sets = ([("validation", val)] if val is not None else []) + [("test", load_mnist(False))]
    print(f"{args.checkpoint}: its checkpoint says shift_votes={meta.get('shift_votes')}\n")
    print("| digits | n | read once | with shift votes | loss once | loss votes |\n|---|---:|---:|---:|---:|---:|")
    for name, data in sets:
        model.shift_votes = False
        once = evaluate(model, data)
        model.shift_votes = True
        votes = evaluate(model, data)
        print(f"| {name} | {len(data)} | {once['accuracy']:.2%} | {votes['accuracy']:.2%} "
              f"| {once['loss']:.4f} | {votes['loss']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
