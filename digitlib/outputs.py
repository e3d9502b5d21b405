"""Where training and fine-tuning may write, how (atomically), and only one writer per file.

The course's models (models/) are read by every notebook and the "not sure" check: no command
writes there, whatever --out says. A checkpoint path is checked before any work starts, and a
lock makes a second training or fine-tune into the same file fail at once, rather than both
reporting "saved" while the last to finish silently wins. Every file is written atomically: a
temporary file beside it, renamed into place, so a reader sees the old version or the new one,
never half of either (used for checkpoints and for unpacking MNIST, which several processes may
do at once: each gets its own temporary name).
"""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable

from filelock import FileLock, Timeout

from digitlib.config import CHECKPOINTS, REPO_ROOT, learner_path, read_only_hint
from digitlib.errors import DigitsError

COURSE_MODELS = REPO_ROOT / "models"


def write_atomically(path: Path, write: Callable[[BinaryIO], object], overwrite: bool = True) -> Path:
    """Call write(file) on a temporary file, then rename it to path. On any failure the
    temporary file is removed and the exception (OSError for a full or read-only disk) raised.
    With overwrite=False an existing path is never replaced: FileExistsError instead."""
    # a hidden name: a folder lister (such as digitlib.handwriting.folder) never takes it for a picture;
    # mode 0o666 lets the process's umask decide who may read it, as for any file it creates
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:  # a hard link is created whole or not at all, and never over an existing file
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def refuse_course_models(path: str | Path, what: str = "output") -> None:
    """A DigitsError if path is in (or is) the course's models folder, however it is spelt."""
    resolved, models = Path(path).resolve(), COURSE_MODELS.resolve()
    if resolved == models or models in resolved.parents:
        raise DigitsError(f"{what} {path} is inside {COURSE_MODELS}, which holds the models shipped with "
                          f"the course; nothing may be written there: choose a path under {CHECKPOINTS}")


def check_output_path(path: str | Path) -> Path:
    """Fail now, in one line, if the checkpoint could not be written: not after an epoch of training."""
    if str(path).strip() == "":
        raise DigitsError(f"the output path is empty; give a file name such as {CHECKPOINTS / 'my_model.pth'}")
    path = Path(path)
    refuse_course_models(path)
    if path.is_dir():
        raise DigitsError(f"output {path} is a folder; give a file name inside it, e.g. {path / 'model.pth'}")
    try:
        learner_path(path).parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as e:
        raise DigitsError(f"cannot write the checkpoint into {path.parent} ({e.strerror}); choose another "
                          f"--out{read_only_hint(path, CHECKPOINTS / path.name)}") from None
    remove_stale_temporaries(path.parent, f".{path.stem}*.tmp")
    return path


def remove_stale_temporaries(folder: Path, pattern: str = "*.tmp", older_than_s: float = 600) -> None:
    """Temporary files a killed process left behind (a save takes a second, not minutes)."""
    for tmp in folder.glob(pattern):
        try:
            if time.time() - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except OSError:
            pass  # another process got there first, or the folder is read-only: harmless


def lock_path(path: Path) -> Path:
    return path.with_name("." + path.name + ".lock")


@contextmanager
def exclusive(path: Path, who: str = "process"):
    """Hold the write lock of checkpoint path for the block, or fail at once if another holds it.
    The lock is the kernel's (released even by kill -9). Its hidden file stays: deleting it while
    locked would let a second process lock a new file of the same name while we still hold ours."""
    lock = FileLock(lock_path(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DigitsError(f"another {who} is already writing {path}; wait for it or choose another --out") from None
    except OSError as e:
        raise DigitsError(f"cannot lock {path} ({e.strerror or e}); choose another --out") from None
    try:
        yield
    finally:
        lock.release()
