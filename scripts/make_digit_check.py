"""Remake models/digit_check.pth: the "is this a digit?" check (digitlib/not_sure.py).

    python scripts/make_digit_check.py [--base models/mnist_cnn_shipped.pth] [--out models/digit_check.pth]

About 9 minutes on the 2-core CPU (measured with other work running). Then measure it: python bench/not_sure.py (--validation: what to choose on)
The shipped check was built from the previously shipped model, which made the better check (README,
"Not sure this is a digit"): git show 8ce10d5:models/mnist_cnn_shipped.pth > base.pth, then --base base.pth
"""
import argparse
import time
from pathlib import Path


from digitlib.config import DIGIT_CHECK, SHIPPED_CHECKPOINT
from digitlib.not_sure import build_check

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--base", type=Path, default=SHIPPED_CHECKPOINT)
ap.add_argument("--out", type=Path, default=DIGIT_CHECK)
args = ap.parse_args()
began = time.perf_counter()
reject = build_check(args.base, args.out)
print(f"saved {args.out} in {time.perf_counter() - began:.0f} s: threshold {reject['threshold']:.3f} "
      f"(doubts {reject['validation_flag_rate']:.1%} of MNIST validation digits)")
