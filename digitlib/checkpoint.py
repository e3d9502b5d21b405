"""Saving and loading models: plain tensors and values only, written atomically.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``: a file carrying pickled code is refused, never run.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import torch
import torchvision
from torch import nn

from .data import MNIST_MEAN, MNIST_STD
from .errors import DigitsError
from .models import ARCHITECTURES, build_model

FORMAT = "digits-checkpoint/1"


def save_checkpoint(path: str | Path, model: nn.Module, arch: str, **meta) -> Path:
    """Write model weights and metadata to path via a temp file and an atomic rename,
    so a crash mid-save leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "arch": arch,
        "state_dict": state,
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD},
        "versions": {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__)},
        **meta,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Read a checkpoint safely; any problem becomes a one-line DigitsError."""
    path = Path(path)
    if not path.is_file():
        raise DigitsError(f"checkpoint {path} not found; train one with `make train` "
                          f"(or `python -m digitlib train`)")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if "GLOBAL" not in str(e):  # not a forbidden class or function: the bytes are just not a pickle
            raise DigitsError(f"checkpoint {path} is truncated or not a PyTorch checkpoint") from None
        raise DigitsError(f"checkpoint {path} holds Python objects, not just tensors and values; "
                          f"refusing to load it because unpickling it could run code") from None
    except Exception as e:  # torch raises many types (RuntimeError, EOFError, IndexError...) for non-checkpoints
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DigitsError(f"checkpoint {path} is truncated or not a PyTorch checkpoint ({first})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT or "state_dict" not in ckpt:
        raise DigitsError(f"checkpoint {path} is not a digits checkpoint (no '{FORMAT}' marker); "
                          f"train one with `python -m digitlib train`")
    return ckpt


def load_model(path: str | Path, device: str | torch.device = "cpu",
               expected_arch: str | None = None) -> tuple[nn.Module, dict]:
    """Rebuild the model a checkpoint describes and load its weights; returns (model, checkpoint)."""
    ckpt = load_checkpoint(path, map_location=device)
    arch = ckpt.get("arch")
    if arch not in ARCHITECTURES:
        raise DigitsError(f"checkpoint {path} is for an unknown architecture {arch!r}")
    if expected_arch is not None and arch != expected_arch:
        raise DigitsError(f"checkpoint {path} holds a {arch}, not the {expected_arch} expected here")
    model = build_model(arch)
    missing, unexpected = _mismatch(model, ckpt["state_dict"])
    if missing or unexpected:
        raise DigitsError(f"checkpoint {path} does not fit {arch}: "
                          f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval(), ckpt


def _mismatch(model: nn.Module, state: dict) -> tuple[list[str], list[str]]:
    own = model.state_dict()
    missing = [k for k in own if k not in state or tuple(state[k].shape) != tuple(own[k].shape)]
    unexpected = [k for k in state if k not in own]
    return missing, unexpected
