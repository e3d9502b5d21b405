"""Training throughput, three ways, measured in one run on this machine (images/second):

  (a) origin-style: torchvision MNIST + per-sample PIL RandomAffine + DataLoader, batch 64
  (b) digitlib's trainer: the whole set in memory, batched tensor augmentation, channels_last
  (c) the ceiling: forward + backward + step on ready-made tensors, nothing else

Rounds are interleaved so a slow moment of a shared machine hits every method alike.
Usage: python bench/benchmark.py [--rounds 3] [--images 6400]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import transforms

from digitlib.config import TrainConfig
from digitlib.data import MNIST_MEAN, MNIST_STD, load_mnist, mnist_dataset
from digitlib.models import DigitCNN
from digitlib.course.speed import training_images_per_second
from digitlib.train import fit, make_optimizer


def _sgd(model):
    return make_optimizer(model.parameters(), TrainConfig())[0]


def origin_style(n_images: int) -> float:
    tf = transforms.Compose([transforms.RandomAffine(15, translate=(0.1, 0.1)), transforms.ToTensor(),
                             transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    loader = DataLoader(mnist_dataset(True, transform=tf), batch_size=64, shuffle=True)
    model, seen = DigitCNN().train(), 0
    opt = _sgd(model)
    t = time.perf_counter()
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        seen += len(y)
        if seen >= n_images:
            break
    return seen / (time.perf_counter() - t)


def digitlib_trainer(n_images: int, train, batch_size: int = 64) -> float:
    cfg = TrainConfig(epochs=1, train_subset=n_images, test_subset=500, batch_size=batch_size,
                      out="/tmp/digits_bench.pth")
    r = fit(cfg, train=train, progress=False, verbose=False)
    return n_images / r.history[0]["seconds"]


def ceiling(n_images: int) -> float:
    return training_images_per_second(DigitCNN(), TrainConfig(), steps=n_images // 64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=6400)
    ap.add_argument("--batch-sizes", default="", help="also time fit() at these batch sizes, e.g. 64,128,256")
    args = ap.parse_args()
    train = load_mnist(True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds x {args.images} images")
    results = {"origin": [], "digitlib": [], "ceiling": []}
    for r in range(args.rounds):
        results["origin"].append(origin_style(args.images))
        results["digitlib"].append(digitlib_trainer(args.images * 2, train))
        results["ceiling"].append(ceiling(args.images * 2))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in results.items()))
    med = {k: statistics.median(v) for k, v in results.items()}
    epoch_images = 60000 * 20
    print("\n| trainer | images/s | 20 epochs (min) |\n|---|---:|---:|")
    for name, label in [("origin", "(a) DataLoader + per-sample RandomAffine"), ("digitlib", "(b) digitlib fit()"),
                        ("ceiling", "(c) forward+backward only")]:
        print(f"| {label} | {med[name]:.0f} | {epoch_images / med[name] / 60:.1f} |")
    print(f"\ndigitlib / origin-style = {med['digitlib'] / med['origin']:.2f}x;  "
          f"digitlib / ceiling = {med['digitlib'] / med['ceiling']:.0%}")
    if args.batch_sizes:
        sizes = [int(b) for b in args.batch_sizes.split(",")]
        by_size = {b: [] for b in sizes}
        for _ in range(args.rounds):
            for b in sizes:
                by_size[b].append(digitlib_trainer(args.images * 2, train, b))
        print("\n| fit() batch size | images/s |\n|---:|---:|")
        for b in sizes:
            print(f"| {b} | {statistics.median(by_size[b]):.0f} |")


if __name__ == "__main__":
    main()
