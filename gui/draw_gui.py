"""The drawing window: python gui/draw_gui.py [--checkpoint P] [--collect FOLDER]

A launcher kept where teachers know it; the window itself is digitlib/surfaces/window.py, also
started by `python -m digitlib gui`. Needs the course's venv (digitlib installed): `make gui`.
"""
import sys

from digitlib.surfaces.window import main

if __name__ == "__main__":
    sys.exit(main())
