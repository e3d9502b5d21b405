"""The drawing window: python gui/draw_gui.py [--checkpoint P] [--collect FOLDER]

A launcher kept where teachers know it: the same as `python -m digitlib gui` (the window itself is
digitlib/surfaces/window.py). Needs the course's venv (digitlib installed): `make gui`.
"""
import sys

from digitlib.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]], own_process=True))
