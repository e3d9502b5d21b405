"""The course's figures. Each function draws one figure at a fixed size, with a title and labels."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
import torch

from digitlib.config import TrainConfig
from digitlib.train import make_optimizer


def gallery(images, titles=None, ncols: int = 10, title: str = "", size: float = 1.2):
    """Images (N, 1, 28, 28) or (N, 28, 28) in a grid, each title just above its own image: every
    row gets room for its titles, so that no title sits nearer the row above than its own."""
    images = [np.asarray(i).squeeze() for i in images]
    nrows = (len(images) + ncols - 1) // ncols
    lines = max((str(t).count("\n") + 1 for t in titles), default=1) if titles is not None else 0
    row = size + 0.2 * lines + 0.15  # the image, its title's lines, and a gap before the next row
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * row + (0.4 if title else 0)),
                             squeeze=False, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.08, hspace=0.02)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap="gray")
            if titles is not None:
                ax.set_title(str(titles[k]), fontsize=8, pad=2)
    if title:
        fig.suptitle(title)
    return fig


def lr_schedule(cfg: TrainConfig | None = None, steps_per_epoch: int = 100):
    cfg = cfg or TrainConfig()
    # the schedule fit() uses, stepped as fit() steps it: StepLR each epoch, one-cycle each batch
    opt, sched = make_optimizer([torch.zeros(1, requires_grad=True)], cfg, steps_per_epoch)
    per_epoch = 1 if cfg.schedule == "step" else steps_per_epoch
    xs, lrs = [], []
    for i in range(cfg.epochs * per_epoch):
        xs.append(1 + i / per_epoch)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.step(xs, lrs, where="post")
    title = (f"StepLR: x{cfg.gamma} every {cfg.step_size} epochs" if cfg.schedule == "step" else
             f"one-cycle: up to {cfg.lr:g} over {cfg.warmup:.0%} of the run, then down to ~0")
    ax.set(yscale="log", xlabel="epoch", ylabel="learning rate", title=title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def history(rows: list[dict], title: str = "Training"):
    epochs = [r["epoch"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
    a1.plot(epochs, [r["train_loss"] for r in rows], "o-", label="train")
    a1.plot(epochs, [r["test_loss"] for r in rows], "o-", label="test")
    a1.set(xlabel="epoch", ylabel="cross-entropy loss", title=f"{title}: loss")
    a2.plot(epochs, [100 * r["train_accuracy"] for r in rows], "o-", label="train")
    a2.plot(epochs, [100 * r["test_accuracy"] for r in rows], "o-", label="test")
    best = max(rows, key=lambda r: r["test_accuracy"])
    a2.axvline(best["epoch"], color="gray", ls=":", label=f"best: epoch {best['epoch']}")
    a2.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title}: accuracy")
    for a in (a1, a2):
        a.legend()
        a.xaxis.set_major_locator(MaxNLocator(integer=True))  # there is no epoch 2.5
    fig.tight_layout()
    return fig


def curves(xs, series: dict[str, list[float]], xlabel: str, ylabel: str, title: str):
    """Several named lines over the same x values."""
    fig, ax = plt.subplots(figsize=(7.5, 3.5))  # the legend goes beside the plot
    for name, ys in series.items():
        ax.plot(xs, ys, "o-", label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if all(float(x).is_integer() for x in xs):  # epochs and pixels are counted in whole numbers
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # beside the plot, not on it: inside, a legend can cover a curve wherever it is placed
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, fontsize=8)
    fig.tight_layout()
    return fig


def gaps(rows: dict[str, tuple[float, float]], title: str = "Memorising: trained digits against new ones"):
    """For each named model (accuracy on the digits it trained on, on test digits), 0..1: the
    two bars side by side and the gap between them written above."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.8 * len(rows), 3.4))
    x = np.arange(len(rows))
    for k, (label, color) in enumerate((("trained digits", "#e8a33d"), ("test digits", "#4a90d9"))):
        bars = ax.bar(x + (k - 0.5) * 0.38, [100 * v[k] for v in rows.values()], 0.38, label=label, color=color)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    for i, (on_train, on_test) in enumerate(rows.values()):
        ax.annotate(f"gap {100 * (on_train - on_test):.2f}", (i, 100.6), ha="center", fontsize=8)
    low = min(100 * min(v) for v in rows.values())
    ax.set(xticks=x, xticklabels=list(rows), ylabel="accuracy (%)", ylim=(max(0, low - 3), 101.5), title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, fontsize=8)
    fig.tight_layout()
    return fig


def filters(model):
    w = model.features.conv1.weight.detach().cpu()[:, 0]
    fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
    for k, ax in enumerate(axes.flat):
        ax.imshow(w[k], cmap="RdBu_r", vmin=-w.abs().max(), vmax=w.abs().max())
        ax.set_title(f"{k}", fontsize=7)
        ax.axis("off")
    fig.suptitle("First-layer filters (3x3): red adds, blue subtracts")
    fig.tight_layout()
    return fig


def feature_maps(stages: list[tuple[str, torch.Tensor]], channels: int = 8):
    """One row per stage: its name, shape and the first few channels, on one colour scale per row."""
    fig, axes = plt.subplots(len(stages), channels, figsize=(channels * 1.1 + 0.8, len(stages) * 1.3), squeeze=False,
                             layout="constrained")  # room for the colour bars
    for row, (name, t) in enumerate(stages):
        shown = t[0, :channels].detach().cpu().numpy()
        for c in range(channels):
            ax = axes[row, c]
            ax.axis("off")
            if c < t.shape[1]:
                im = ax.imshow(shown[c], cmap="viridis", vmin=float(shown.min()), vmax=float(shown.max()))
        fig.colorbar(im, ax=axes[row].tolist(), fraction=0.02, pad=0.01)
        axes[row, 0].set_title(f"{name} {tuple(t.shape[1:])}", fontsize=8, loc="left")
    fig.suptitle("Feature maps of one digit through the network")
    return fig


def confusion(cm: np.ndarray, title: str = "Confusion matrix (test set)"):
    fig, ax = plt.subplots(figsize=(6, 5.5))
    shown = cm.astype(float).copy()
    np.fill_diagonal(shown, np.nan)  # the diagonal would drown out the mistakes
    im = ax.imshow(shown, cmap="Reds")
    for i in range(10):
        for j in range(10):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7,  # white on dark cells
                    color="gray" if i == j else ("white" if cm[i, j] > 0.5 * np.nanmax(shown) else "black"))
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(im, ax=ax, label="mistakes")
    fig.tight_layout()
    return fig


def confidence_hist(confidence_right, confidence_wrong):
    fig, ax = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(0, 1, 21)
    ax.hist(confidence_right, bins, alpha=0.6, density=True, label=f"right ({len(confidence_right)})")
    ax.hist(confidence_wrong, bins, alpha=0.6, density=True, label=f"wrong ({len(confidence_wrong)})")
    ax.set(xlabel="softmax confidence", ylabel="density", title="How sure is the model?")
    ax.legend()
    fig.tight_layout()
    return fig


def probabilities(probs, title: str = "Prediction"):
    fig, ax = plt.subplots(figsize=(5, 2.5))
    colors = ["#2a7" if p == max(probs) else "#9ab" for p in probs]
    ax.bar(range(10), [100 * p for p in probs], color=colors)
    ax.set(xticks=range(10), xlabel="digit", ylabel="probability (%)", ylim=(0, 100), title=title)
    fig.tight_layout()
    return fig


def preprocessing_steps(pre):
    names = [n for n in ("input", "ink", "crop", "fit20", "centered", "normalized") if n in pre.steps]
    fig, axes = plt.subplots(1, len(names), figsize=(2.2 * len(names), 2.6))
    for ax, n in zip(np.atleast_1d(axes), names):
        a = pre.steps[n]
        ax.imshow(a, cmap="gray")
        ax.set_title(f"{n}\n{a.shape[1]}x{a.shape[0]}", fontsize=9)
        ax.set_xlabel("x (px)", fontsize=7)
        ax.set_ylabel("y (px)", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle("From drawing to model input")
    fig.tight_layout()
    return fig


def before_after(rows: dict[str, tuple[float, float]], title: str = "Before and after fine-tuning"):
    """Accuracy (0..1) before and after, side by side, for each set named in rows."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(rows), 3.2))
    x = np.arange(len(rows))
    for k, (label, color) in enumerate((("before", "#9ab"), ("after", "#2a7"))):
        values = [100 * v[k] for v in rows.values()]
        bars = ax.bar(x + (k - 0.5) * 0.38, values, 0.38, label=label, color=color)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    low = min(100 * min(v) for v in rows.values())
    ax.set(xticks=x, xticklabels=list(rows), ylabel="accuracy (%)", ylim=(max(0, low - 10), 101), title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def accuracy_against_time(runs: dict[str, list[dict]], goal: float = 0.995):
    """Test accuracy at the end of each epoch against the training seconds so far, one line a run."""
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for name, history in runs.items():
        seconds = np.cumsum([r["seconds"] for r in history])
        ax.plot(seconds, [100 * r["test_accuracy"] for r in history], "o-", label=name)
    ax.axhline(100 * goal, color="grey", ls="--", lw=1)
    ax.set(xlabel="training seconds (test measured after each epoch)", ylabel="test accuracy (%)",
           title="The race: accuracy against the clock")
    ax.legend()
    fig.tight_layout()
    return fig


def layer_times(by_model: dict[str, list[dict]]):
    """Forward and backward milliseconds per layer (digitlib.course.speed.measure_layer_times), one panel a model."""
    fig, axes = plt.subplots(1, len(by_model), figsize=(6 * len(by_model), 3.6), sharex=True)
    for ax, (name, rows) in zip(np.atleast_1d(axes), by_model.items()):
        labels = [r["layer"].split(".")[1] for r in rows]
        fwd, bwd = [r["forward_ms"] for r in rows], [r["backward_ms"] for r in rows]
        y = np.arange(len(rows))
        ax.barh(y, fwd, color="#4a90d9", label="forward")
        ax.barh(y, bwd, left=fwd, color="#e8a33d", label="backward")
        ax.set(yticks=y, yticklabels=labels, xlabel="ms per batch", title=f"{name}: {sum(fwd) + sum(bwd):.0f} ms a batch")
        ax.invert_yaxis()
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
