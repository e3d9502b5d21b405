"""python -m digitlib ...: see digitlib/cli.py."""
import os
import sys

from digitlib.errors import INTERRUPTED  # a light module: importing it cannot be interrupted inside torch


def _leave(code: int):
    if code == INTERRUPTED:
        # A Ctrl-C that lands inside an import (torch, torchvision) is marked "unhandled" by the
        # interpreter even though we caught it, and it would then kill itself with SIGINT
        # (exit -2) instead of returning 130. Leave directly, output flushed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


try:  # Ctrl-C while torch is still importing is an interruption too, not a traceback
    from digitlib.cli import main
except KeyboardInterrupt:
    print("\ninterrupted", file=sys.stderr)
    _leave(INTERRUPTED)

_leave(main(own_process=True))
