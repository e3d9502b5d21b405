"""What each command of python -m digitlib accepts: one argparse parser, every number checked
where it is read (a mistyped or impossible value is one line, not a traceback later).
digitlib/cli.py runs the command by its name."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from digitlib.config import DEFAULT_HOMES, FINETUNED_CHECKPOINT, RECIPES, TRAINED_CHECKPOINT


def number(kind, low, what):
    """An argparse type: a finite number of `kind` that is at least `low`."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if not math.isfinite(value) or value < low or (kind is float and low == 0 and value == 0):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value
    return parse


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints the whole usage first; one line is enough
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m digitlib", description="Handwritten digits with a CNN.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    for add in (_add_train, _add_evaluate, _add_finetune, _add_sheet, _add_predict, _add_gui, _add_gather,
                _add_classmodel):
        add(sub)
    return parser


POSITIVE = number(int, 1, "a whole number of at least 1")
MODEL_HELP = "model file (default: your trained model if there is one, else the shipped one)"


def _add_model_choice(parser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--checkpoint", type=Path, help=MODEL_HELP)
    which.add_argument("--class-model", action="store_true",
                       help="the class model your teacher published (python -m digitlib classmodel)")


def _add_train(sub) -> None:
    t = sub.add_parser("train", help="train a CNN with a recipe (the reference by default) and save its checkpoint")
    t.add_argument("--recipe", choices=list(RECIPES),
                   help="reference: the origin's 20 epochs (default); speed: a recipe built to be fast (bench/speedrun.py)")
    t.add_argument("--epochs", type=POSITIVE)
    t.add_argument("--fast", action="store_true", help="small subset and 2 epochs, for a quick try")
    t.add_argument("--resume", action="store_true",
                   help="continue the interrupted run saved at --out, with all its settings")
    t.add_argument("--out", help=f"checkpoint path (default {TRAINED_CHECKPOINT}; with --recipe speed "
                                 f"{RECIPES['speed'].out})")
    t.add_argument("--seed", type=number(int, 0, "a whole number of at least 0"))
    t.add_argument("--batch-size", type=number(int, 2, "a whole number of at least 2"))
    t.add_argument("--lr", type=number(float, 0, "a positive number"))
    t.add_argument("--device", help="cpu, cuda or auto (default)")
    t.add_argument("--val-size", type=number(int, 0, "a whole number of at least 0"),
                   help="hold out this many training digits to choose the best epoch (default 0: the test set "
                        "chooses, as in the origin's recipe)")


def _add_evaluate(sub) -> None:
    e = sub.add_parser("evaluate", help="accuracy of a model on the MNIST test set or a folder of pictures")
    _add_model_choice(e)
    e.add_argument("--subset", type=POSITIVE, help="only this many test images (with --data: the first N pictures)")
    e.add_argument("--data", type=Path, metavar="FOLDER",
                   help="your own pictures, FOLDER/<digit>/<picture> (default: the MNIST test set)")
    e.add_argument("--json", action="store_true")


def _add_finetune(sub) -> None:
    f = sub.add_parser("finetune", help="teach a trained model your own handwriting (FOLDER/<digit>/<picture>)")
    f.add_argument("folders", nargs="+", type=Path, metavar="FOLDER",
                   help="your pictures, FOLDER/<digit>/<picture>; several folders (writers) train together")
    f.add_argument("--checkpoint", type=Path, help="model to start from (default: the one shipped with the course)")
    f.add_argument("--out", type=Path, help=f"where to write the result (default {FINETUNED_CHECKPOINT})")
    f.add_argument("--epochs", type=POSITIVE)
    f.add_argument("--seed", type=number(int, 0, "a whole number of at least 0"))
    f.add_argument("--fast", action="store_true", help="1 short epoch, MNIST test on 2000: a quick try")


def _add_sheet(sub) -> None:
    s = sub.add_parser("sheet", help="cut a scanned sheet (row r: the digit r, written COLS times) into FOLDER/<digit>/")
    s.add_argument("scan", type=Path, metavar="SCAN")
    s.add_argument("--out", type=Path, required=True, metavar="FOLDER")
    s.add_argument("--rows", type=POSITIVE, default=10)
    s.add_argument("--cols", type=POSITIVE, default=10)


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="read the digit in each image")
    p.add_argument("images", nargs="+", metavar="IMG")
    _add_model_choice(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")


def _add_gui(sub) -> None:
    g = sub.add_parser("gui", help="the drawing window (Tkinter)")
    _add_model_choice(g)
    g.add_argument("--collect", type=Path, metavar="FOLDER",
                   help="save each drawing into FOLDER/<digit>/, asking for 0-9 in turn")


def _add_gather(sub) -> None:
    g = sub.add_parser("gather", help="copy every learner's mydigits/ into CLASS/<writer>/<digit>/ (new pictures only)")
    g.add_argument("homes", nargs="*", metavar="HOME",
                   help=f"learners' homes or mydigits folders, globs allowed (default {DEFAULT_HOMES})")
    g.add_argument("--out", type=Path, required=True, metavar="CLASS")


def _add_classmodel(sub) -> None:
    c = sub.add_parser("classmodel", help="leave-one-writer-out on a class folder, then tune, save and "
                                          "publish the class model (read-only)")
    c.add_argument("folder", type=Path, metavar="CLASS", help="CLASS/<writer>/<digit>/<picture> (made by gather)")
    c.add_argument("--checkpoint", type=Path, help="model to start from (default: the one shipped with the course)")
    c.add_argument("--out", type=Path, help="the teacher's copy (default checkpoints/class_model.pth)")
    c.add_argument("--publish", type=Path, metavar="FOLDER",
                   help="where learners read it (default models/class_model.pth, or $DIGITS_CLASS_MODEL)")
    c.add_argument("--epochs", type=POSITIVE)
    c.add_argument("--seed", type=number(int, 0, "a whole number of at least 0"))
    c.add_argument("--fast", action="store_true", help="1 short epoch on few pictures, MNIST test on 500: a quick try")
