"""python -m digitlib ...: see digitlib/cli.py."""
import sys

try:  # Ctrl-C while torch is still importing is an interruption too, not a traceback
    from .cli import main
except KeyboardInterrupt:
    print("\ninterrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
