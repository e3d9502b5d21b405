"""Where training runs, and how the CPU is asked to behave while it does."""
from __future__ import annotations

import torch

from .errors import DigitsError


def pick_device(name: str = "auto") -> torch.device:
    """"auto" picks CUDA when present; a device that does not exist here is a one-line error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise DigitsError(f"unknown device {name!r}: use cpu, cuda or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DigitsError(f"device {name!r} asked for, but this machine has no CUDA GPU PyTorch can use; "
                          f"use --device cpu (or auto)")
    if device.type not in ("cpu", "cuda"):
        raise DigitsError(f"device {name!r} is not supported here: use cpu, cuda or auto")
    return device


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the OS after every
    batch: each training step frees and reallocates the same large activations, and returning
    them was slow: on the 2-core CPU, 1,200 training steps spent 6.5 s of their 30 s in the kernel,
    0.8 s after this (about 10% faster). Not glibc (macOS, Windows, musl): nothing to do."""
    import ctypes
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError, TypeError):
        return
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    mallopt(M_TRIM_THRESHOLD, 1 << 30)   # keep up to 1 GiB of freed memory
    mallopt(M_TOP_PAD, 256 << 20)
    mallopt(M_MMAP_THRESHOLD, 32 << 20)  # allocate activations from the heap, where they can be reused
