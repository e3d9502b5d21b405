"""Writing a file so that a reader sees the old version or the new one, never half of either:
write a temporary file beside it, then rename it into place. Used for checkpoints and for
unpacking MNIST (several processes may do it at once: each gets its own temporary name)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; read once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_atomically(path: Path, write: Callable[[BinaryIO], object], overwrite: bool = True) -> Path:
    """Call write(file) on a temporary file, then rename it to path. On any failure the
    temporary file is removed and the exception (OSError for a full or read-only disk) raised.
    With overwrite=False an existing path is never replaced: FileExistsError instead."""
    # a hidden name: a folder lister (such as digitlib.folder) never mistakes it for a picture
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a saved file is for everyone to read
        if overwrite:
            os.replace(tmp, path)
        else:  # a hard link is created whole or not at all, and never over an existing file
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
