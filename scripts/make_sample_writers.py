"""Remake samples/writers/: the bundled digits of five made-up writers (see digitlib/synthetic/writers.py).

    python scripts/make_sample_writers.py [--per-digit 20] [--out samples/writers]
"""
import argparse
import shutil
from pathlib import Path


from digitlib.synthetic.writers import WRITERS, write_folder

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--per-digit", type=int, default=20)
ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "samples" / "writers")
args = ap.parse_args()
for writer in WRITERS:
    shutil.rmtree(args.out / writer.name, ignore_errors=True)
    write_folder(writer, args.out / writer.name, args.per_digit)
    print(f"{args.out / writer.name}: {10 * args.per_digit} pictures")
