"""Where training runs, and how the CPU is asked to behave while it does."""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch

from digitlib.errors import DigitsError


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
    """Process-wide, so only a program that owns its process calls it (the CLI's train; never the
    library behind a notebook). Ask glibc to keep freed memory for reuse instead of handing it back to the OS after every
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


def lower_priority(step: int = 10) -> None:
    """Let interactive work on this machine go first: a drawing pad or window beside this training
    then reads a digit almost as fast as on an idle machine, and the training gets the CPU whenever
    they leave it, which is nearly always. Process-wide and for the rest of the process (an ordinary
    user cannot undo it), so only a training process asks for it by name: the CLI's train, and
    notebook 04 before it trains. Nothing to do where there is no nice (Windows)."""
    try:
        os.nice(step)
    except (AttributeError, OSError):
        pass


INFERENCE_THREADS = 1  # intra-op threads for reading digits (see inference_threads)


@contextmanager
def inference_threads(n: int = INFERENCE_THREADS):
    """Run the block with n intra-op threads, then restore the number there was.

    Reading one digit is many tiny operations (a 28x28 convolution is microseconds of work);
    spread over every core, each one waits for the slowest core. With a training beside it on a
    2-core laptop each convolution took ~22 ms, and 60 pictures took 28.6 s instead of 11.6 s
    with one thread; even idle, one thread was the quicker here. Used by the CLI's predict and
    evaluate, the window and the pad; scoped, because a training in the same process (a
    notebook) should keep every core. With the OpenMP backend the number belongs to the calling
    thread, so a worker thread's reading leaves the others as they were."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
