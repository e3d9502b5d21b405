"""python -m digitlib {train, evaluate, predict}: errors are one line on stderr, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .config import DEFAULT_CHECKPOINT, TrainConfig
from .errors import DigitsError


def _train(args) -> int:
    from .train import fit

    cfg = TrainConfig()
    if args.fast:
        cfg = cfg.fast()
    overrides = {"epochs": args.epochs, "seed": args.seed, "batch_size": args.batch_size,
                 "lr": args.lr, "device": args.device, "out": args.out}
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    if args.out is not None:
        cfg = replace(cfg, out=str(Path(args.out)))
    try:
        result = fit(cfg, resume=args.resume)
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: python -m digitlib train --resume"
              f"{' --out ' + args.out if args.out else ''}", file=sys.stderr)
        return 130
    print(f"test accuracy {result.best_accuracy:.2%} (best epoch {result.best_epoch} of {cfg.epochs}), "
          f"trained in {result.seconds / 60:.1f} min; saved {cfg.out}")
    return 0


def _evaluate(args) -> int:
    from .checkpoint import load_model
    from .data import load_mnist
    from .train import evaluate

    model, meta = load_model(args.checkpoint)
    test = load_mnist(False).subset(args.subset)
    metrics = evaluate(model, test)
    out = {"checkpoint": str(args.checkpoint), "arch": meta["arch"], "test_accuracy": metrics["accuracy"],
           "test_loss": metrics["loss"], "examples": len(test), "epoch": meta.get("epoch")}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['arch']} from {args.checkpoint}: test accuracy {out['test_accuracy']:.2%} "
              f"on {len(test)} images (loss {out['test_loss']:.4f})")
    return 0


def _predict(args) -> int:
    from PIL import Image, UnidentifiedImageError

    from .predict import Predictor

    predictor = Predictor(args.checkpoint)
    status = 0
    for name in args.images:
        try:
            with Image.open(name) as img:
                img.load()
                pred = predictor.predict(img)
        except (FileNotFoundError, IsADirectoryError):
            print(f"error: {name}: no such image file", file=sys.stderr)
            status = 1
            continue
        except (UnidentifiedImageError, OSError, ValueError) as e:
            print(f"error: {name}: cannot read it as an image ({e.__class__.__name__})", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"file": name, **pred.as_dict()}))
        elif pred.digit is None:
            print(f"{name}: nothing drawn")
        else:
            top = ", ".join(f"{d}: {p:.1%}" for d, p in pred.top(3))
            print(f"{name}: {pred.digit} ({pred.confidence:.1%} sure; {top})")
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digitlib", description="Handwritten digits with a CNN.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train the reference CNN and keep the best checkpoint")
    t.add_argument("--epochs", type=int)
    t.add_argument("--fast", action="store_true", help="small subset and 2 epochs, for a quick try")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run")
    t.add_argument("--out", help=f"best checkpoint path (default {DEFAULT_CHECKPOINT})")
    t.add_argument("--seed", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--device", help="cpu, cuda or auto (default)")
    t.set_defaults(run=_train)

    e = sub.add_parser("evaluate", help="test-set accuracy of a checkpoint")
    e.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    e.add_argument("--subset", type=int, help="only this many test images")
    e.add_argument("--json", action="store_true")
    e.set_defaults(run=_evaluate)

    p = sub.add_parser("predict", help="read the digit in each image")
    p.add_argument("images", nargs="+", metavar="IMG")
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DigitsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
