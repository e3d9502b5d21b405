"""The class's digits (docs/classroom.md): the teacher gathers every learner's mydigits/ into one
class folder, CLASS/<writer>/<digit>/<picture>; measures, leaving one writer out at a time, how a
model tuned on the others reads a hand it never saw; tunes the class model on everyone; and hands
it back read-only where every learner's Predictor finds it (config.CLASS_CHECKPOINT).

    python -m digitlib gather [HOMES...] --out CLASS      python -m digitlib classmodel CLASS
"""
from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from digitlib.config import (CHECKPOINTS, CLASS_CHECKPOINT, DEFAULT_HOMES, DIGIT_CHECK, SHIPPED_CHECKPOINT,
                             can_write)
from digitlib.errors import DigitsError
from digitlib.outputs import write_atomically
from digitlib.pictures.files import PICTURE_SUFFIXES

# A drawing is a few kB; anything this big is not one, and copying it as root could fill the disk
MAX_PICTURE_BYTES = 10 * 2**20
TEACHERS_COPY = CHECKPOINTS / "class_model.pth"
DIGITS = [str(d) for d in range(10)]  # as handwriting.folder's; not imported from it: gathering needs no torch


@dataclass
class Gathered:
    writer: str
    source: Path
    new: int = 0                 # pictures copied this time
    total: int = 0               # pictures of this writer in the class folder now
    notes: list[str] = field(default_factory=list)  # files left behind, and why


def gather(homes: list[str], out: str | Path, say: Callable[[str], object] = print) -> list[Gathered]:
    """Copy every learner's digits into out/<writer>/<digit>/, never replacing a file there:
    run again, it adds only the new pictures. A home without readable digits is skipped in one line."""
    sources = _writers(_expand(homes or [DEFAULT_HOMES], say), say)
    if not sources:
        raise DigitsError(f"no learner's digits found in {' '.join(homes or [DEFAULT_HOMES])}")
    out = _class_folder(out)
    done = []
    for writer, folder in sources.items():
        try:
            done.append(_gather_writer(writer, folder, out / writer))
        except OSError as e:  # a learner's folder that cannot be read costs that learner only
            say(f"skipped {folder}: {e.strerror or e}")
    for g in done:
        left = f"; left out: {'; '.join(g.notes[:3])}{' ...' if len(g.notes) > 3 else ''}" if g.notes else ""
        say(f"{g.writer}: {g.total} pictures ({g.new} new) from {g.source}{left}")
    say(f"{len(done)} writers in {out}: {sum(g.total for g in done)} pictures, {sum(g.new for g in done)} new")
    return done


def _class_folder(out: str | Path) -> Path:
    """out, made if need be; refused in one line if nothing can be written there."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DigitsError(f"--out {out} is a file; give the class folder to gather into")
    try:
        if not out.exists():  # every learner's drawings: only the teacher reads them (chmod to share)
            out.mkdir(parents=True, mode=0o700)
    except OSError as e:
        raise DigitsError(f"cannot make the class folder {out}: {e.strerror or e}") from None
    if not can_write(out):
        raise DigitsError(f"cannot write into the class folder {out}; choose another --out")
    return out


def _expand(homes: list[str], say) -> list[Path]:
    """The folders named, globs expanded; a path that does not exist is a mistake, said at once."""
    found = []
    for home in homes:
        if glob.has_magic(home):
            matches = [Path(m) for m in sorted(glob.glob(os.path.expanduser(home)))]
            if not matches:
                raise DigitsError(f"no folder matches {home}")
            top = Path(os.path.expanduser(home))
            while glob.has_magic(str(top)):  # the part of the pattern the learners do not control
                top = top.parent
            for m in matches:
                linked = not _no_links_below(m, top)
                say(f"skipped {m}: a link (give it by name to gather it)") if linked else found.append(m)
        elif not Path(home).expanduser().exists():
            raise DigitsError(f"{home}: no such folder (give learners' homes or their mydigits folders)")
        elif not Path(home).expanduser().is_dir():
            raise DigitsError(f"{home} is not a folder (give learners' homes or their mydigits folders)")
        else:
            found.append(Path(home).expanduser())
    return found


def _writers(paths: list[Path], say) -> dict[str, Path]:
    """{writer: their digits folder}; a path holding none is skipped in one line."""
    sources: dict[str, Path] = {}
    for path in paths:
        folder = digits_folder(path)
        if folder is None:
            say(f"skipped {path}: no digits in it (expected <digit>/ folders, mydigits/ or digits-work/mydigits/)")
            continue
        writer = writer_name(folder)
        if writer in sources:  # two learners merged into one would mix their hands in every measure
            raise DigitsError(f"{sources[writer]} and {folder} would both be writer {writer!r}; "
                              f"gather them into different class folders")
        sources[writer] = folder
    return sources


def digits_folder(path: Path) -> Path | None:
    """path itself if it holds <digit>/ folders, else its mydigits/ or digits-work/mydigits/."""
    for candidate in (path, path / "mydigits", path / "digits-work" / "mydigits"):
        if not _no_links_below(candidate, path):
            continue
        try:
            if any((candidate / d).is_dir() and not (candidate / d).is_symlink() for d in DIGITS):
                return candidate
        except OSError:  # unreadable: treated as holding nothing
            continue
    return None


def _no_links_below(path: Path, top: Path) -> bool:
    """No folder from top down to path (path included) is a link: a learner's link (mydigits ->
    someone else's folder) would otherwise be gathered, as root, under their name."""
    return Path(os.path.realpath(path)) == Path(os.path.realpath(top)) / path.relative_to(top)


def writer_name(folder: Path) -> str:
    """samples/writers/ada -> ada; /home/ada/digits-work/mydigits and /srv/work/ada/mydigits -> ada."""
    folder = folder.absolute()
    if folder.name != "mydigits":
        return folder.name
    home = folder.parent
    return home.parent.name if home.name in ("digits-work", "notebooks") else home.name


def _gather_writer(writer: str, folder: Path, dest: Path) -> Gathered:
    g = Gathered(writer, folder)
    for digit in DIGITS:
        src = folder / digit
        if src.is_symlink():  # as root, a link could point at any file on the server
            g.notes.append(f"{src} is a link")
        if src.is_symlink() or not src.is_dir():
            continue
        for picture in sorted(src.iterdir()):
            if picture.name.startswith("."):
                continue
            why = _why_not_copied(picture)
            if why:
                g.notes.append(f"{picture.name}: {why}")
                continue
            (dest / digit).mkdir(parents=True, exist_ok=True)
            g.new += _copy_new(picture, dest / digit)
        if (dest / digit).is_dir():
            g.total += sum(1 for p in (dest / digit).iterdir() if not p.name.startswith("."))
    return g


def _why_not_copied(picture: Path) -> str:
    """'' for a picture to copy, else why it stays behind."""
    st = picture.lstat()
    if stat.S_ISLNK(st.st_mode):
        return "a link"
    if not stat.S_ISREG(st.st_mode) or picture.suffix.lower() not in PICTURE_SUFFIXES:
        return "not a picture"
    if st.st_size > MAX_PICTURE_BYTES:
        return f"{st.st_size // 2**20} MB, too big for a drawing"
    return ""


def _copy_new(picture: Path, dest: Path) -> bool:
    """Copy picture into dest, never over a file: the same bytes already there under its name
    (or name-2, ...) mean it was gathered before (False); a different picture keeps both."""
    fd = os.open(picture, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # a link swapped in since lstat: refused
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_PICTURE_BYTES + 1)
    for k in range(1, 1000):
        target = dest / (picture.name if k == 1 else f"{picture.stem}-{k}{picture.suffix}")
        if target.exists():
            if target.read_bytes() == data:
                return False
            continue
        try:
            write_atomically(target, lambda f: f.write(data), overwrite=False)
            return True
        except FileExistsError:  # written a moment ago by another gather: this picture, or another
            if target.read_bytes() == data:
                return False
    raise OSError(f"no free name for {picture.name} in {dest}")


def publish(model: Path, target: Path | None = None) -> Path:
    """Copy the class model to target (a folder: its class_model.pth), read-only (0444) from its
    first moment there: the mode is set on the temporary file, before the rename."""
    target = Path(target or CLASS_CHECKPOINT)
    target = target / CLASS_CHECKPOINT.name if target.is_dir() else target
    if target.resolve() in (SHIPPED_CHECKPOINT.resolve(), DIGIT_CHECK.resolve()):
        raise DigitsError(f"{target} is a model shipped with the course; publish the class model elsewhere")
    data = Path(model).read_bytes()

    def write(f):
        f.write(data)
        os.fchmod(f.fileno(), 0o444)
    try:  # an earlier class model is replaced whole: a rename ignores the old file's mode
        return write_atomically(target, write)
    except OSError as e:
        raise DigitsError(f"cannot publish the class model to {target}: {e.strerror or e}; "
                          f"the model is kept at {model}") from None


def check_publishable(target: Path | None) -> Path:
    """Where the class model will be published, refused now if it cannot be: not after training."""
    target = Path(target or CLASS_CHECKPOINT)
    folder = target if target.is_dir() else target.parent
    if not folder.is_dir() or not can_write(folder):
        raise DigitsError(f"cannot publish the class model into {folder} (not a folder you can write); "
                          f"run as the teacher, or give --publish FOLDER and set DIGITS_CLASS_MODEL to "
                          f"FOLDER/{CLASS_CHECKPOINT.name} for the learners")
    return target


def class_config(fast: bool = False, **given):
    """The fine-tune settings of every fold and of the class model; fast: seconds, for a try or a test."""
    from digitlib.handwriting.finetune import FinetuneConfig

    cfg = replace(FinetuneConfig().fast(), mnist_test_subset=500) if fast else FinetuneConfig()
    return replace(cfg, **{k: v for k, v in given.items() if v is not None})


def make_class_model(class_folder: str | Path, base: Path = SHIPPED_CHECKPOINT, cfg=None,
                     out: Path = TEACHERS_COPY, publish_to: Path | None = None,
                     say: Callable[[str], object] = print) -> tuple[list[dict], Path]:
    """Leave-one-writer-out on the class folder (a table: the base model vs tuned on the others),
    then the class model, tuned on every writer, saved at out and published read-only.
    Returns (the table's rows, where it was published)."""
    from digitlib.checkpoint import load_checkpoint
    from digitlib.handwriting.finetune import finetune, leave_one_writer_out, load_class, merge
    from digitlib.outputs import check_output_path
    from digitlib.pictures.preprocess import steps_for

    target, out = check_publishable(publish_to), check_output_path(out)  # before an hour of training
    writers = load_class(class_folder, steps=steps_for(load_checkpoint(base)))
    say(f"{len(writers)} writers in {class_folder}; leaving each out in turn ({len(writers)} fine-tunes)")
    rows = leave_one_writer_out(writers, base, cfg)
    for line in table(rows):
        say(line)
    everyone = merge(list(writers.values()))
    about = {"writers": sorted(writers), "pictures": len(everyone.data), "leave_one_writer_out": rows}
    r = finetune(everyone.data, base, cfg, out=out, progress=False, verbose=False, extra_meta={"class_model": about})
    say(f"the class model, tuned on all {len(everyone.data)} pictures: MNIST test "
        f"{r.before['mnist']:.2%} -> {r.after['mnist']:.2%}; saved {out}")
    published = publish(out, target)
    say(f"published read-only: {published} (learners: --class-model, or Predictor({str(published)!r}))")
    closed = closed_folder(published)
    if closed is not None:
        say(f"note: {closed} is closed to other users (chmod o+x): learners cannot read the class model there")
    return rows, published


def closed_folder(path: Path) -> Path | None:
    """The outermost folder above path that other users may not pass through, if any: root
    (the teacher) gets through anything, a learner needs the x bit of every folder."""
    closed = [p for p in Path(path).absolute().parents if p.stat().st_mode & 0o001 == 0]
    return closed[-1] if closed else None


def table(rows: list[dict]) -> list[str]:
    """Lines of the leave-one-writer-out table: each writer read by the base model, then by the
    model tuned on everybody else (never on them)."""
    lines = [f"{'writer':<12} {'pictures':>8} {'base model':>10} {'tuned on the others':>20} {'MNIST after':>11}"]
    for r in rows:
        lines.append(f"{r['writer']:<12} {r['n']:>8} {r['before']:>10.1%} {r['after']:>20.1%} {r['mnist_after']:>11.2%}")
    n = sum(r["n"] for r in rows)
    mean = {k: sum(r[k] * r["n"] for r in rows) / n for k in ("before", "after")}  # per picture, not per writer
    lines.append(f"{'all':<12} {n:>8} {mean['before']:>10.1%} {mean['after']:>20.1%}")
    return lines
