"""Where training runs, and how the CPU is asked to behave while it does."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

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


# Trainings running now on this machine, one empty file each (named by process id), so that two of
# them can share the cores instead of fighting over them. A temporary folder every user can write
# to (sticky, as /tmp is): on a shared server one user's training counts for another's.
TRAININGS = Path(tempfile.gettempdir()) / "digits-trainings"


class SharedCores:
    """The intra-op threads of one training, shared with the other trainings on this machine.

    PyTorch gives each process as many threads as there are cores. Two trainings at once on a
    2-core laptop (notebook 04 in one kernel, `make train` or another notebook in a second) then
    run 4 threads on 2 cores, and every tiny parallel step waits for a thread the other process
    holds: beside a full training a 6,000-digit epoch took 7.6 s instead of 1.3 s alone, and 2.0 s
    with the cores shared (bench/two_trainings.py, 2-core CPU). Each of k trainings
    running together takes cores // k threads (at least 1, never more than it started with),
    looked at again before each epoch, so one that ends hands its cores back.
    Used as `with SharedCores() as cores: ... cores.adjust()`."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or TRAININGS
        self.mark = self.folder / str(os.getpid())
        self.most = torch.get_num_threads()  # what this process had: a set OMP_NUM_THREADS stays the limit
        self.running = 0  # other trainings seen by the last adjust()

    def __enter__(self) -> "SharedCores":
        if os.name != "posix":  # no safe way here to ask whether a process still runs: share nothing
            self.mark, self.folder = None, None
            return self
        try:
            self.folder.mkdir(mode=0o1777, exist_ok=True)
            if self.folder.stat().st_uid == os.geteuid():
                self.folder.chmod(0o1777)  # mkdir's mode is cut by the umask
            self.mark.touch()
        except OSError:  # nowhere to say so: this training counts the others but is not counted
            self.mark = None
        return self

    def others(self) -> int:
        """How many other trainings run now (files of processes that have ended are removed)."""
        if self.folder is None:
            return 0
        n = 0
        try:
            names = [p for p in self.folder.iterdir() if p.name.isdigit() and p != self.mark]
        except OSError:
            return 0
        for p in names:
            if _alive(int(p.name)):
                n += 1
            else:
                try:
                    p.unlink(missing_ok=True)
                except OSError:  # another user's mark in the sticky folder: only they may remove it
                    pass
        return n

    def adjust(self) -> int:
        """Set and return this training's threads for what runs now."""
        self.running = self.others()
        threads = self.most if not self.running else max(1, min(self.most, _cores() // (1 + self.running)))
        torch.set_num_threads(threads)
        return threads

    def share(self, say=print) -> int:
        """adjust(), and say so when this training's threads change (before each epoch)."""
        before, threads = torch.get_num_threads(), self.adjust()
        if threads != before:
            others = f"{self.running} other training{'s' if self.running > 1 else ''}"
            say(f"{others if self.running else 'no other training'} on this machine now: "
                f"this one uses {threads} of {self.most} threads")
        return threads

    def __exit__(self, *exc) -> None:
        torch.set_num_threads(self.most)
        if self.mark is not None:
            self.mark.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process, alive
        return True
    return True


def _cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
