"""python -m digitlib {train, evaluate, finetune, sheet, predict, gui, gather, classmodel}: every
failure is one line on stderr and a non-zero exit code, never a traceback.

Each command imports what it needs when it runs: `--help` and a mistyped flag answer at once, and
a Ctrl-C while torch loads is caught (see __main__.py)."""
from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from digitlib.cli_args import build_parser
from digitlib.config import FINETUNED_CHECKPOINT, RECIPES, SHIPPED_CHECKPOINT, TrainConfig, class_model, default_model
from digitlib.errors import INTERRUPTED, DigitsError


def _train(args) -> int:
    from digitlib.device import keep_freed_memory, lower_priority
    from digitlib.train import check_output_path, fit, last_path, resume_config

    out = check_output_path(args.out) if args.out is not None else Path(RECIPES[args.recipe or "reference"].out)
    given = {"epochs": args.epochs, "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr,
             "val_size": args.val_size, "recipe": args.recipe}
    given = {k: v for k, v in given.items() if v is not None}
    if args.resume:
        cfg = resume_config(out)
        if args.fast:
            given.update(train_subset=TrainConfig().fast().train_subset)
        for key, value in given.items():
            if getattr(cfg, key) != value:
                raise DigitsError(f"--{key.replace('_', '-')} {value} disagrees with the run being resumed "
                                  f"({key} {getattr(cfg, key)}); leave it out to resume that run as it was")
    else:
        cfg = RECIPES[args.recipe or "reference"]
        cfg = replace(cfg.fast() if args.fast else cfg, **given, out=str(out))
    if args.device is not None:  # the one setting a resumed run may change: where it runs
        cfg = replace(cfg, device=args.device)
    before = _stamp(last_path(out))
    if args.own_process:  # this process only trains: it may tune the C allocator for that ...
        keep_freed_memory()
        lower_priority()  # ... and let a pad or window beside it go first
    try:
        result = fit(cfg, resume=args.resume)
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or the pipe we print into died with it
        # only state this run saved (or the run it resumes) may be continued: a .last.pth left by
        # an earlier, different run at the same --out must not be offered as this one's
        if _stamp(last_path(out)) is not None and (args.resume or _stamp(last_path(out)) != before):
            again = f"{shlex.quote(sys.executable)} -m digitlib train --resume --out {shlex.quote(str(out))}"
            _tell(f"\ninterrupted; continue with: {again}")
        else:
            _tell("\ninterrupted before the first epoch finished; nothing of this run was saved")
        return INTERRUPTED
    best = next(r for r in result.history if r["epoch"] == result.best_epoch)
    if result.selected_on == "last":
        print(f"test accuracy {best['test_accuracy']:.2%} (the final model, epoch {result.best_epoch}; "
              f"no set chose it), trained in {result.seconds:.0f} s; saved {out}")
        return 0
    print(f"test accuracy {best['test_accuracy']:.2%} (best epoch {result.best_epoch} of {cfg.epochs}, "
          f"chosen on the {'validation' if result.selected_on == 'val' else 'test'} set), "
          f"trained in {result.seconds / 60:.1f} min; saved {out}")
    return 0


def _tell(text: str) -> None:
    """Print to stderr; if that is a pipe that died with us (Ctrl-C on `train 2>&1 | tee log` stops
    tee too), say it on the terminal instead, so the hint is not lost."""
    try:
        print(text, file=sys.stderr, flush=True)
        if not _reader_died(sys.stderr):
            return
    except OSError:
        pass
    try:
        with open("/dev/tty", "w") as tty:
            print(text, file=tty)
    except OSError:
        pass  # no terminal either: the exit code still says "interrupted"
    _quiet_dead_pipes()


def _reader_died(stream, wait: float = 0.5) -> bool:
    """Whether stream is a pipe whose reader is gone within `wait` seconds. The reader gets the same
    Ctrl-C as we do, but may die just after our write landed in the pipe's buffer: then the write
    succeeded and the text is lost all the same. Linux reports a pipe without readers as POLLERR."""
    import select
    import stat
    import time

    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) or not hasattr(select, "poll"):
            return False
    except (OSError, ValueError):
        return False
    poller, deadline = select.poll(), time.monotonic() + wait
    poller.register(fd, select.POLLOUT)
    while True:
        if any(events & select.POLLERR for _, events in poller.poll(0)):
            return True
        if time.monotonic() >= deadline:  # a reader that survives Ctrl-C (tee -i) got the text
            return False
        time.sleep(0.02)


def _quiet_dead_pipes() -> None:
    """Point stdout and stderr at /dev/null, so Python's final flush into a dead pipe neither
    prints a warning nor changes the exit code."""

    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass


def _stamp(path: Path):
    """Which file is at path now (a save replaces it: a new inode), or None."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _model_path(args) -> Path:
    """The --checkpoint given, the class model if asked for, else the learner's trained model,
    else the shipped one; says which."""
    if args.checkpoint is not None:
        return Path(args.checkpoint)
    path, which = class_model() if args.class_model else default_model()
    print(f"using {which}: {path}", file=sys.stderr)
    return path


def _reads_digits(command):
    """command, run with few intra-op threads: see digitlib.device.inference_threads for why."""
    @functools.wraps(command)
    def run(args) -> int:
        from digitlib.device import inference_threads

        with inference_threads():
            return command(args)
    return run


@_reads_digits
def _evaluate(args) -> int:
    from digitlib.checkpoint import load_model
    from digitlib.data import load_mnist
    from digitlib.train import evaluate

    path = _model_path(args)
    model, meta = load_model(path)
    if args.data is not None:
        return _evaluate_folder(model, path, meta, args)
    test = load_mnist(False).subset(args.subset)
    metrics = evaluate(model, test)
    out = {"checkpoint": str(path), "arch": meta["arch"], "data": "MNIST test",
           "accuracy": metrics["accuracy"], "n": len(test), "test_accuracy": metrics["accuracy"],
           "test_loss": metrics["loss"], "examples": len(test), "epoch": meta.get("epoch")}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['arch']} from {path}: test accuracy {out['accuracy']:.2%} "
              f"on {len(test)} images (loss {out['test_loss']:.4f})")
    return 0


def _evaluate_folder(model, path, meta, args) -> int:
    """Accuracy on a folder of your own pictures, per digit, with every mistake listed."""
    from digitlib.handwriting.folder import accuracy_by_digit, load_folder
    from digitlib.pictures.preprocess import steps_for

    folder = load_folder(args.data, progress=True, steps=steps_for(meta))
    scored = accuracy_by_digit(model, folder, args.subset)
    per_digit, mistakes = scored["per_digit"], scored["mistakes"]
    out = {"checkpoint": str(path), "arch": meta["arch"], "data": str(args.data), **scored,
           "blank": [str(p) for p in folder.skipped], "unreadable": folder.unreadable}
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{out['arch']} from {path} on {args.data}: {out['accuracy']:.2%} of {out['n']} pictures read right")
    print("  " + "  ".join(f"{d}: {v['right']}/{v['n']}" for d, v in per_digit.items()))
    for m in mistakes:
        print(f"  {m['file']}: a {m['digit']} read as {m['read_as']} ({m['confidence']:.0%} sure)")
    for p in folder.skipped:
        print(f"  {p}: nothing drawn, skipped")
    for why in folder.unreadable:
        print(f"  {why}; skipped")
    return 0


def _finetune(args) -> int:
    from digitlib.config import SHIPPED_CHECKPOINT
    from digitlib.handwriting.finetune import FinetuneConfig, finetune, merge
    from digitlib.handwriting.folder import load_folder
    from digitlib.checkpoint import load_checkpoint
    from digitlib.outputs import check_output_path
    from digitlib.pictures.preprocess import steps_for

    out = check_output_path(args.out or FINETUNED_CHECKPOINT)  # before any picture is read
    base = args.checkpoint or SHIPPED_CHECKPOINT
    steps = steps_for(load_checkpoint(base))  # the pictures made ready as this model reads them
    own = merge([load_folder(f, steps=steps) for f in args.folders])  # several writers' folders train as one
    for why in own.unreadable:
        print(f"note: {why}; left out", file=sys.stderr)
    cfg = FinetuneConfig().fast() if args.fast else FinetuneConfig()
    cfg = replace(cfg, **{k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None})
    result = finetune(own, base, cfg, out=out)
    b, a = result.before, result.after
    own_line = f"held-out pictures {b['own']:.2%} -> {a['own']:.2%} ({result.n_holdout}), " if "own" in b else ""
    print(f"{own_line}MNIST test {b['mnist']:.2%} -> {a['mnist']:.2%}; saved {result.out}; "
          f"use it with --checkpoint {shlex.quote(str(result.out))}")
    return 0


def _sheet(args) -> int:
    from digitlib.handwriting.collect import Collector, collect_sheet
    from digitlib.pictures.files import open_picture

    saved = collect_sheet(open_picture(args.scan).image, args.out, rows=args.rows, cols=args.cols)
    print(f"{len(saved)} pictures saved into {args.out}; it now holds {Collector(args.out).summary()}")
    return 0


@_reads_digits
def _predict(args) -> int:
    from digitlib.predict import Predictor
    from digitlib.pictures.reading import read_pictures

    predictor = Predictor(_model_path(args))
    if predictor.check_problem:
        print(f"note: {predictor.check_problem}", file=sys.stderr)
    status = 0
    for batch in read_pictures(args.images, steps=predictor.steps):  # many at a time: one model forward per batch
        predictions = iter(predictor.predict_many([r.preprocessed for r in batch if r.error is None]))
        for read in batch:
            _print_prediction(read, None if read.error else next(predictions), args.json)
            status = 1 if read.error else status
    return status


def _gui(args) -> int:
    try:  # Tk only when the window is asked for: the other commands run where there is none
        from digitlib.surfaces.window import run
    except ImportError as e:
        raise DigitsError(f"the window needs Tkinter ({e}); on Debian/Ubuntu: sudo apt-get install python3-tk") from None
    return run(class_model()[0] if args.class_model else args.checkpoint, args.collect)


def _gather(args) -> int:
    from digitlib.handwriting.classroom import gather

    gather(args.homes, args.out)
    return 0


def _classmodel(args) -> int:
    from digitlib.handwriting.classroom import TEACHERS_COPY, class_config, make_class_model

    cfg = class_config(args.fast, epochs=args.epochs, seed=args.seed)
    make_class_model(args.folder, args.checkpoint or SHIPPED_CHECKPOINT, cfg, args.out or TEACHERS_COPY, args.publish)
    return 0


def _print_prediction(read, pred, as_json: bool) -> None:
    name = read.name
    if read.error is not None:  # one bad picture does not stop the others
        print(f"error: {read.error}", file=sys.stderr)
        return
    if read.note:
        print(f"note: {name}: {read.note}", file=sys.stderr)
    if as_json:
        print(json.dumps({"file": name, **pred.as_dict()}))
    elif pred.digit is None:
        print(f"{name}: nothing drawn")
    else:
        top = ", ".join(f"{d}: {p:.1%}" for d, p in pred.top(3))
        print(f"{name}: {pred.digit} ({pred.verdict.lower()}; {top})")


# Each command by name, as digitlib/cli_args.py names them
COMMANDS = {"train": _train, "evaluate": _evaluate, "finetune": _finetune, "sheet": _sheet, "predict": _predict,
            "gui": _gui, "gather": _gather, "classmodel": _classmodel}


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """own_process: this process runs nothing but the command (python -m digitlib, the digits
    script), so `train` may tune it as a whole (see _train); called from Python it never does."""
    for stream in (sys.stdout, sys.stderr):  # a console that only prints ASCII still gets every line
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
        args.own_process = own_process
        return COMMANDS[args.command](args)
    except DigitsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _tell("\ninterrupted")
        return INTERRUPTED
    except BrokenPipeError:  # `... | head` closed the pipe: not an error of ours
        _quiet_dead_pipes()
        return 0


def program() -> None:
    """The `digits` command installed by pip: the same as python -m digitlib."""
    sys.exit(main(own_process=True))
