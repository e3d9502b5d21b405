"""How the fine-tune's settings are chosen without the pictures they are measured on.

    python bench/finetune_choose.py --try lr=0.0003,epochs=8,mnist_per_own=3 --try lr=0.003 [--seeds 0-4]

The same folders as bench/finetune_other_source.py (n UCI pictures per seed), the same quarter
held out, which this script never reads. What is left is split again: three quarters to
fine-tune on, a quarter to validate on. Each setting (FinetuneConfig fields, k=v,k=v) is
fine-tuned on every seed's split; printed: validation accuracy (mean ± std over seeds) and
forgetting, read on the shipped model's own MNIST validation digits, which neither it nor the
fine-tune (it mixes in only the digits the model trained on) ever learnt from.
"""
import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from digitlib.checkpoint import load_checkpoint
from digitlib.config import SHIPPED_CHECKPOINT, TrainConfig
from digitlib.handwriting.finetune import FinetuneConfig, finetune, split_holdout
from digitlib.handwriting.folder import DigitFolder, load_folder
from digitlib.pictures.preprocess import steps_for
from digitlib.synthetic.restyled import write_uci_folder
from digitlib.train import evaluate, run_digits


def setting(text: str) -> dict:
    """"lr=0.003,epochs=16" -> {"lr": 0.003, "epochs": 16}, each value of its default's type."""
    defaults, out = FinetuneConfig(), {}
    for item in text.split(","):
        key, value = item.split("=")
        if not hasattr(defaults, key):
            raise argparse.ArgumentTypeError(f"FinetuneConfig has no {key!r}")
        out[key] = type(getattr(defaults, key))(value)
    return out


def validation_split(folder: DigitFolder, seed: int):
    """(fine-tune on, validate on) from the part of the folder the real fine-tune trains on."""
    train_idx, _held_out = split_holdout(folder, FinetuneConfig.holdout, seed)
    rest = DigitFolder(folder.data.take(train_idx), [folder.paths[i] for i in train_idx], [])
    tune_idx, val_idx = split_holdout(rest, 0.25, seed + 100)
    return rest.data.take(tune_idx), rest.data.take(val_idx)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--try", dest="settings", action="append", type=setting, required=True)
    ap.add_argument("--n", type=int, default=900)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--checkpoint", type=Path, default=SHIPPED_CHECKPOINT)
    args = ap.parse_args()
    from sklearn.datasets import load_digits
    lo, hi = (int(x) for x in args.seeds.split("-"))
    ckpt = load_checkpoint(args.checkpoint)
    trained = TrainConfig.from_dict(ckpt["config"])
    if not trained.val_size:
        sys.exit(f"error: {args.checkpoint} kept no validation digits (val_size 0): forgetting can't be read honestly")
    _, mnist_val = run_digits(trained)
    digits = load_digits()
    splits = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(lo, hi + 1):
            order = np.random.default_rng(seed).permutation(len(digits.target))[:args.n]
            folder = load_folder(write_uci_folder(order, Path(tmp) / str(seed)), steps=steps_for(ckpt))
            splits.append((seed, *validation_split(folder, seed)))
    from digitlib.checkpoint import load_model
    print(f"MNIST validation before: {evaluate(load_model(args.checkpoint)[0], mnist_val)['accuracy']:.2%}")
    print(f"{len(splits)} folders of {args.n}: fine-tune on {len(splits[0][1])}, validate on {len(splits[0][2])}")
    for changes in args.settings:
        val, forgot, secs = [], [], []
        for seed, tune, check in splits:
            cfg = replace(FinetuneConfig(seed=seed, mnist_test_subset=100), **changes)
            r = finetune(tune, args.checkpoint, cfg, holdout=check, progress=False, verbose=False)
            val.append(r.after["own"])
            forgot.append(evaluate(r.model, mnist_val)["accuracy"])
            secs.append(r.seconds)
        print(f"{changes}: validation {statistics.mean(val):.2%} ± {(statistics.stdev(val) if len(val) > 1 else 0):.2%} "
              f"({' '.join(f'{v:.1%}' for v in val)}), before {r.before['own']:.1%} (last seed); "
              f"MNIST validation after {statistics.mean(forgot):.2%}; {min(secs):.0f}-{max(secs):.0f} s", flush=True)


if __name__ == "__main__":
    main()
