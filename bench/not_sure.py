"""How well "not sure this is a digit" works: non-digits flagged, by kind; digits wrongly flagged.

    python bench/not_sure.py [--n 200] [--digits 1000] [--check models/digit_check.pth] [--validation]

Non-digits are drawn by digitlib.synthetic.nondigits / digitlib.synthetic.symbols with seeds the check never trained
on. The kinds marked "never trained on" are absent from its training altogether: letters and
symbols in the STIX and Computer Modern fonts (training used DejaVu only), symbols never trained
in any font (§ ¶ © ® £ ¥), pen shapes (smiley, heart, arrow, a single dot), filled shapes other
than the trained disc / box / blob (triangle, star, heart), and pen symbols the training never
drew (% * !) or drew by another hand (bowed and tilted plus, wide-hooked question mark, wavy
equals). A single dot is close to the trained filled disc once cropped, so it is listed apart.
Digits: MNIST test as the model reads it, and test digits drawn on a pad (restyled.on_pad) with
the normal, a thin and a thick pen.

--validation measures what the build may be tuned on instead: letters and symbols in fonts neither
trained nor measured on (nondigits.VALIDATION_FONTS; letters in three Liberation faces too, where
installed), the trained kinds with other new seeds, and MNIST training digits 50000+ (the
threshold's own), as is and drawn on the pad.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch


from digitlib.synthetic import nondigits
from digitlib.synthetic import restyled
from digitlib.config import DIGIT_CHECK, SHIPPED_CHECKPOINT
from digitlib.data import load_mnist
from digitlib.errors import DigitsError
from digitlib.predict import Predictor
from digitlib.pictures.preprocess import to_tensors
from digitlib.train import probabilities
from digitlib.not_sure import TRAIN_KINDS, UNSEEN_KINDS, VALIDATION, DigitCheck

NEAR_TRAINED = ["dot"]  # never trained on, but a cropped dot is a filled disc


@torch.no_grad()
def read(model, check, pictures, steps):
    """(flagged, >90% sure of a digit without the check) over the pictures that are not blank."""
    x = to_tensors(pictures, steps)
    x = x[x.flatten(1).amax(1) > 0]  # blank pictures are "nothing drawn", never asked
    flagged = (~check.is_digit(x)).float().mean().item()
    confident = (probabilities(model, x).amax(1) > 0.9).float().mean().item()
    return flagged, confident


def drawn_digits(images, n, rng_seed=0):
    """The first n digits drawn on the pad with the normal, a thin and a thick pen."""
    out = {}
    for name, stroke in (("pad", 1.0), ("thin pen", 0.5), ("thick pen", 2.0)):
        rng = np.random.default_rng(rng_seed)
        out[name] = [restyled.on_pad(images[i, 0].numpy(), rng, stroke=stroke) for i in range(n)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="pictures per kind of non-digit")
    ap.add_argument("--digits", type=int, default=1000, help="digits drawn on the pad, per pen")
    ap.add_argument("--check", type=Path, default=DIGIT_CHECK)
    ap.add_argument("--validation", action="store_true", help="the tuning set instead of the measuring one")
    args = ap.parse_args()
    if not args.check.is_file():
        sys.exit(f"error: no digit check at {args.check} (make one with scripts/make_digit_check.py)")
    shipped = Predictor(SHIPPED_CHECKPOINT, check=None)
    try:
        check = DigitCheck(args.check)
    except DigitsError as e:
        sys.exit(f"error: {e}")
    model, steps = shipped.model, shipped.steps  # pictures as the pad reads them
    print(f"{args.check.name}: threshold {check.threshold:.3f}; {args.n} pictures per kind\n")
    print("| non-digits | kind | flagged | read as a digit, >90% sure, without the check |\n|---|---|---:|---:|")
    if args.validation:
        system = [f for f in nondigits.VALIDATION_SYSTEM_FONTS if Path(f).is_file()]
        fonts = ([f"{k}:{f}" for k in ("letters", "symbols") for f in nondigits.VALIDATION_FONTS]
                 + [f"letters:{f}" for f in system])
        groups = {"fonts never trained nor measured on": (fonts, 2),
                  "trained on (validation seeds)": (list(TRAIN_KINDS), 2)}
    else:
        groups = {"never trained on": (UNSEEN_KINDS, 3), "never trained on, near a trained kind": (NEAR_TRAINED, 3),
                  "trained on (new samples)": (list(TRAIN_KINDS), 3)}
    for label, (kinds, seed) in groups.items():
        rates = []
        for kind in kinds:
            flagged, confident = read(model, check, nondigits.make(kind, args.n, seed=seed), steps)
            rates.append(flagged)
            shown = kind.replace(":", ", ").replace(".ttf", "").replace(f"{nondigits.LIBERATION}/", "")
            print(f"| {shown} | {label} | {flagged:.1%} | {confident:.1%} |")
        print(f"| **all {len(kinds)} kinds together** | {label} | **{np.mean(rates):.1%}** | |")

    mnist = load_mnist(True) if args.validation else load_mnist(False)
    images = mnist.images[VALIDATION] if args.validation else mnist.images
    which = "MNIST training digits 50000+" if args.validation else "MNIST test digits"
    print(f"\n| digits wrongly flagged ({which}) | flagged |\n|---|---:|")
    with torch.no_grad():
        print(f"| as the model reads them ({len(images)}) | {(~check.is_digit(images)).float().mean().item():.2%} |")
    for name, pictures in drawn_digits(images, args.digits).items():
        print(f"| drawn on the pad, {name} ({args.digits}) | {read(model, check, pictures, steps)[0]:.2%} |")


if __name__ == "__main__":
    main()
