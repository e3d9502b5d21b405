"""Two trainings at once on one machine (notebook 04 in one kernel, `make train` or another
notebook in a second): how long an epoch takes alone, beside another training with the cores
shared (digitlib.device.SharedCores, what fit does), and beside it with every training taking
all the cores (PyTorch's default, what fit did before).

    python bench/two_trainings.py [--digits 6000] [--rounds 2]

The one beside is a full reference training, started first, in its own process. Prints a table
and one JSON line.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One training, with sharing "on" or "off"; prints each epoch's seconds. "off" makes adjust()
# leave the threads as they are (and the process uncounted), as fit was before.
RUN = """
import sys, time
import digitlib.device as device
if sys.argv[1] == "off":
    device.SharedCores.__enter__ = lambda self: setattr(self, "mark", None) or setattr(self, "folder", None) or self
    device.SharedCores.adjust = lambda self: device.torch.get_num_threads()
from digitlib.config import RECIPES
from digitlib.train import fit
digits, epochs, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cfg = RECIPES["reference"].but(train_subset=digits or None, test_subset=2000 if digits else None,
                              epochs=epochs, out=out)
r = fit(cfg, progress=False, verbose=False)
print(" ".join(f"{h['seconds']:.2f}" for h in r.history), flush=True)
"""


def epoch_seconds(sharing: str, digits: int, rounds: int, home: Path) -> list[float]:
    r = subprocess.run([sys.executable, "-c", RUN, sharing, str(digits), str(rounds), str(home / f"fg-{sharing}.pth")],
                       capture_output=True, text=True, cwd=ROOT, env={**os.environ, "DIGITS_HOME": str(home)})
    if r.returncode:
        sys.exit(r.stderr[-2000:])
    return [float(s) for s in r.stdout.split()]


def beside(sharing: str, digits: int, rounds: int, home: Path) -> list[float]:
    """The foreground training's epochs while a full training (same sharing) runs in another process."""
    other = subprocess.Popen([sys.executable, "-c", RUN, sharing, "0", "20", str(home / f"bg-{sharing}.pth")],
                             cwd=ROOT, env={**os.environ, "DIGITS_HOME": str(home)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)  # well into its first epoch
        return epoch_seconds(sharing, digits, rounds, home)
    finally:
        other.kill()
        other.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--digits", type=int, default=6000, help="training digits per epoch of the measured run")
    ap.add_argument("--rounds", type=int, default=2, help="epochs of the measured run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        home = Path(home)
        rows = {"alone": epoch_seconds("on", args.digits, args.rounds, home),
                "beside a training, cores shared": beside("on", args.digits, args.rounds, home),
                "beside a training, all cores each (before)": beside("off", args.digits, args.rounds, home)}
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"{args.digits:,} digits an epoch, {args.rounds} epochs each, {machine}")
    print(f"{'':<46}{'s per epoch (median)':>22}  each")
    for name, secs in rows.items():
        print(f"{name:<46}{statistics.median(secs):>22.1f}  {', '.join(f'{s:.1f}' for s in secs)}")
    print(json.dumps({"digits": args.digits, "machine": machine,
                      **{k: statistics.median(v) for k, v in rows.items()}}))


if __name__ == "__main__":
    main()
