"""Saving and loading models: plain tensors and values only, written atomically.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``: a file carrying pickled code is refused, never run.
"""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

from importlib.metadata import version

import torch
from torch import nn

from digitlib.outputs import write_atomically
from digitlib.data import MNIST_MEAN, MNIST_STD
from digitlib.errors import DigitsError
from digitlib.models import ARCHITECTURES, build_model

FORMAT = "digits-checkpoint/1"


def save_checkpoint(path: str | Path, model: nn.Module, arch: str, **meta) -> Path:
    """Write model weights and metadata to path atomically: a crash or a full disk mid-save
    leaves the previous file intact."""
    path = Path(path)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "arch": arch,
        "state_dict": state,
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD},
        "shift_votes": bool(getattr(model, "shift_votes", False)),  # how it reads: models.infer
        "versions": {"torch": str(torch.__version__), "torchvision": version("torchvision")},
        **meta,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda f: torch.save(payload, f))
    except OSError as e:  # full disk, read-only folder...: the previous file is intact
        raise DigitsError(f"cannot write checkpoint {path}: {e.strerror or e}; "
                          f"the previous file, if any, is unchanged") from None
    return path


def _looks_like_pickle(path: Path) -> bool:
    """A torch file is a zip archive (new format) or starts with a pickle PROTO opcode (old)."""
    with open(path, "rb") as f:
        head = f.read(2)
    return head == b"PK" or head[:1] == b"\x80"


# The fields a digits checkpoint may carry and the types they must have: a crafted file with a
# list for "arch" or a string for "state_dict" is refused here, not deep inside a caller.
FIELD_TYPES = {"arch": str, "state_dict": dict, "epoch": int, "test_accuracy": float,
               "config": dict, "history": list, "best_accuracy": float, "best_epoch": int}


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Read a checkpoint safely; any problem becomes a one-line DigitsError."""
    path = Path(path)
    if path.is_dir():
        raise DigitsError(f"checkpoint {path} is a folder, not a file")
    if not path.is_file():
        raise DigitsError(f"checkpoint {path} not found; train one with `make train` "
                          f"(or `python -m digitlib train`)")
    try:
        with warnings.catch_warnings():  # torch warns about odd pickles; our one line says it all
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if "GLOBAL" not in str(e) and not _looks_like_pickle(path):  # just bytes that are no checkpoint
            raise DigitsError(f"checkpoint {path} is truncated or not a PyTorch checkpoint") from None
        what = "Python objects" if "GLOBAL" in str(e) else "pickle instructions torch's safe loader does not allow"
        raise DigitsError(f"checkpoint {path} holds {what}, not just tensors and values; "
                          f"refusing to load it because unpickling it could run code") from None
    except Exception as e:  # torch raises many types (RuntimeError, EOFError, IndexError...) for non-checkpoints
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DigitsError(f"checkpoint {path} is truncated or not a PyTorch checkpoint ({first})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT or "state_dict" not in ckpt:
        raise DigitsError(f"checkpoint {path} is not a digits checkpoint (no '{FORMAT}' marker); "
                          f"train one with `python -m digitlib train`")
    for key, kind in FIELD_TYPES.items():
        value = ckpt.get(key)
        if value is None and key not in ("arch", "state_dict"):
            continue
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DigitsError(f"checkpoint {path} is damaged: its {key!r} is a {type(value).__name__}, "
                              f"not a {kind.__name__}")
    if not all(isinstance(k, str) and torch.is_tensor(v) for k, v in ckpt["state_dict"].items()):
        raise DigitsError(f"checkpoint {path} is damaged: its weights are not all named tensors")
    for name, t in ckpt["state_dict"].items():
        # a sparse or meta tensor cannot be computed with; NaN or infinite weights make every
        # answer "nan% sure": refused here, not as a traceback or a silent nonsense reading
        if t.layout != torch.strided or t.is_meta:
            kind = "meta" if t.is_meta else str(t.layout).replace("torch.", "")
            raise DigitsError(f"checkpoint {path} is damaged: weight {name!r} is a {kind} tensor, "
                              f"not plain numbers")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise DigitsError(f"checkpoint {path} is damaged: weight {name!r} holds NaN or infinite "
                              f"numbers (a diverged training?); retrain or use another checkpoint")
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
    try:  # DigitCNN reads files from before its layers had names itself (models.rename_numbered_layers)
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError:
        missing, unexpected = _mismatch(model, ckpt["state_dict"])
        raise DigitsError(f"checkpoint {path} does not fit {arch}: "
                          f"missing {missing[:3]}, unexpected {unexpected[:3]}") from None
    if "shift_votes" in ckpt:  # older files say nothing: the network's own default stands
        model.shift_votes = bool(ckpt["shift_votes"])
    return model.to(device).eval(), ckpt


def _mismatch(model: nn.Module, state: dict) -> tuple[list[str], list[str]]:
    own = model.state_dict()
    missing = [k for k in own if k not in state or tuple(state[k].shape) != tuple(own[k].shape)]
    unexpected = [k for k in state if k not in own]
    return missing, unexpected
