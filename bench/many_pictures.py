"""How long `evaluate --data` and `predict` take on many pictures (goal: 10,000 in <= 60 s on 2 cores).

    python bench/many_pictures.py [--n 10000] [--predict 2000] [--repeat 1]

The pictures are MNIST test digits drawn on a 280x280 pad (digitlib.synthetic.restyled.on_pad), saved as PNG
into artifacts/ once and reused. Each command runs as a learner runs it, in its own process; the
load average is printed beside each time because the machine may be shared.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

from digitlib.synthetic import restyled
from digitlib.data import load_mnist


def make_folder(n: int) -> Path:
    root = ROOT / "artifacts" / f"bench_pictures_{n}"
    done = root / ".complete"
    if done.exists():
        return root
    test, rng = load_mnist(False), np.random.default_rng(0)
    for i in range(n):
        digit = int(test.labels[i % len(test)])
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        pad = restyled.on_pad(test.images[i % len(test), 0].numpy(), rng)
        Image.fromarray((pad * 255).astype(np.uint8)).save(root / str(digit) / f"{i:05d}.png")
    done.touch()
    return root


def timed(args: list[str]) -> tuple[float, str]:
    began, cpu = time.perf_counter(), _children_cpu()
    r = subprocess.run([sys.executable, "-m", "digitlib", *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - began
    if r.returncode != 0:
        sys.exit(f"{args[0]} failed: {r.stderr[-2000:]}")
    timed.cpu = _children_cpu() - cpu  # the command's own CPU seconds: less swayed by other work than wall time
    return seconds, r.stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000, help="pictures in the folder evaluate --data reads")
    ap.add_argument("--predict", type=int, default=2000, help="pictures given to predict (0: skip)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    folder = make_folder(args.n)
    print(f"{os.cpu_count()} CPU cores; {load()} before")
    runs = []
    for _ in range(args.repeat):
        seconds, out = timed(["evaluate", "--data", str(folder), "--json"])
        runs.append(seconds)
        print(f"evaluate --data, {args.n} pictures: {seconds:.1f} s, {timed.cpu:.1f} CPU s "
              f"(accuracy {json.loads(out)['accuracy']:.2%}; {load()})", flush=True)
    print(f"evaluate --data median {statistics.median(runs):.1f} s over {len(runs)} run(s)")
    if args.predict:
        files = sorted(str(p) for p in folder.glob("*/*.png"))[:args.predict]
        runs = []
        for _ in range(args.repeat):
            seconds, out = timed(["predict", *files, "--json"])
            assert len(out.splitlines()) == len(files)
            runs.append(seconds)
            print(f"predict, {len(files)} pictures: {seconds:.1f} s, {timed.cpu:.1f} CPU s ({load()})", flush=True)
        print(f"predict median {statistics.median(runs):.1f} s over {len(runs)} run(s)")
