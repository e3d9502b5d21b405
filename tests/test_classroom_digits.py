"""The class's digits (docs/classroom.md): gather every learner's mydigits/ into a class folder,
leave one writer out at a time, tune and publish the class model read-only, and every surface
names it. Fake learners are homes made from the sample writers."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from digitlib.config import DIGIT_CHECK, SHIPPED_CHECKPOINT, default_model
from digitlib.errors import DigitsError
from digitlib.handwriting.classroom import (check_publishable, class_config, closed_folder, gather, make_class_model,
                                            publish, writer_name)
from digitlib.handwriting.finetune import load_class, writer_folds
from digitlib.predict import Predictor

from .conftest import ROOT

SAMPLES = ROOT / "samples" / "writers"
LEARNERS = ("ada", "bo", "cy")
PER_DIGIT = 6  # of each sample writer's 20: enough to learn from, quick to read


def _make_homes(root):
    """root/home/<learner>/digits-work/mydigits/<digit>/, as on a class server; and a home with no digits."""
    for learner in LEARNERS:
        for digit in range(10):
            mine = root / "home" / learner / "digits-work" / "mydigits" / str(digit)
            mine.mkdir(parents=True)
            for picture in sorted((SAMPLES / learner / str(digit)).iterdir())[:PER_DIGIT]:
                shutil.copy(picture, mine)
    (root / "home" / "zoe").mkdir()
    return root / "home"


@pytest.fixture
def homes(tmp_path):
    return _make_homes(tmp_path)


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_gather_copies_each_learners_digits_under_their_name(homes, tmp_path):
    said = []
    done = gather([str(homes / "*")], tmp_path / "class", say=said.append)
    assert [g.writer for g in done] == list(LEARNERS) and all(g.total == g.new == 10 * PER_DIGIT for g in done)
    for learner in LEARNERS:
        mine = _files(homes / learner / "digits-work" / "mydigits")
        assert _files(tmp_path / "class" / learner) == mine  # the same names and bytes, digit by digit
    assert said[0] == f"skipped {homes / 'zoe'}: no digits in it (expected <digit>/ folders, mydigits/ or digits-work/mydigits/)"
    assert said[-1] == f"3 writers in {tmp_path / 'class'}: {30 * PER_DIGIT} pictures, {30 * PER_DIGIT} new"
    assert stat.S_IMODE((tmp_path / "class").stat().st_mode) == 0o700  # learners do not read each other's


def test_gathering_again_adds_only_new_pictures_and_overwrites_nothing(homes, tmp_path):
    gather([str(homes / "*")], tmp_path / "class", say=lambda line: None)
    before = _files(tmp_path / "class")
    ada = homes / "ada" / "digits-work" / "mydigits" / "3"
    shutil.copy(SAMPLES / "ada" / "3" / "ada-019.png", ada / "new.png")   # drawn since
    first = sorted(ada.glob("ada-*.png"))[0]
    first.write_bytes((SAMPLES / "ada" / "8" / "ada-000.png").read_bytes())  # a different picture, same name
    done = {g.writer: g for g in gather([str(homes / "*")], tmp_path / "class", say=lambda line: None)}
    assert (done["ada"].new, done["bo"].new, done["cy"].new) == (2, 0, 0)
    after = _files(tmp_path / "class")
    assert {k: after[k] for k in before} == before  # every earlier picture still there, unchanged
    assert set(after) - set(before) == {"ada/3/new.png", f"ada/3/{first.stem}-2.png"}
    assert after[f"ada/3/{first.stem}-2.png"] == first.read_bytes()


def test_a_wrong_path_is_refused_in_one_line_and_nothing_is_copied(homes, tmp_path):
    with pytest.raises(DigitsError, match="no such folder"):
        gather([str(homes / "ada"), str(tmp_path / "nope")], tmp_path / "class")
    with pytest.raises(DigitsError, match="no folder matches"):
        gather([str(tmp_path / "nope*")], tmp_path / "class")
    r = subprocess.run([sys.executable, "-m", "digitlib", "gather", str(tmp_path / "nope"), "--out", str(tmp_path / "class")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "no such folder" in r.stderr
    assert not (tmp_path / "class").exists()


def test_links_in_a_learners_folder_are_not_followed(homes, tmp_path):
    """gather runs as root: a link could make it copy any file on the server."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not yours")
    os.symlink(secret, homes / "bo" / "digits-work" / "mydigits" / "4" / "x.png")
    said = []
    gather([str(homes / "bo")], tmp_path / "class", say=said.append)
    assert not (tmp_path / "class" / "bo" / "4" / "x.png").exists() and "x.png: a link" in said[0]
    os.symlink(homes / "bo" / "digits-work" / "mydigits", homes / "zoe" / "mydigits")  # bo's, as zoe's
    said = []
    with pytest.raises(DigitsError, match="no learner's digits found"):
        gather([str(homes / "zoe")], tmp_path / "class2", say=said.append)
    assert said == [f"skipped {homes / 'zoe'}: no digits in it (expected <digit>/ folders, mydigits/ or digits-work/mydigits/)"]
    said = []
    with pytest.raises(DigitsError, match="no learner's digits found"):
        gather([str(homes / "*" / "mydigits")], tmp_path / "class2", say=said.append)
    assert said == [f"skipped {homes / 'zoe' / 'mydigits'}: a link (give it by name to gather it)"]


@pytest.mark.parametrize("path, name", [("/home/ada/digits-work/mydigits", "ada"), ("/srv/work/bo/mydigits", "bo"),
                                        ("samples/writers/cy", "cy")])
def test_the_writer_is_named_after_the_learner(path, name):
    assert writer_name(Path(path)) == name


def test_each_fold_trains_on_everybody_but_the_writer_it_reads(homes, tmp_path):
    gather([str(homes / "*")], tmp_path / "class", say=lambda line: None)
    writers = load_class(tmp_path / "class")
    for name, others, held in writer_folds(writers):
        assert not set(others.paths) & set(held.paths)  # never trained on the pictures it is measured on
        assert all(p.relative_to(tmp_path / "class").parts[0] != name for p in others.paths)
        assert len(others.data) + len(held.data) == sum(len(f.data) for f in writers.values())


@pytest.fixture(scope="module")
def class_model(tmp_path_factory):
    """(the leave-one-writer-out rows, what was said, the published class model, its folder), tuned fast."""
    root = tmp_path_factory.mktemp("classroom")
    gather([str(_make_homes(root) / "*")], root / "class", say=lambda line: None)
    (root / "shared").mkdir()
    said = []
    rows, published = make_class_model(root / "class", cfg=class_config(fast=True), out=root / "teacher.pth",
                                       publish_to=root / "shared", say=said.append)
    return rows, said, published, root


def test_leave_one_writer_out_table_and_a_read_only_class_model(class_model):
    rows, said, published, root = class_model
    assert [r["writer"] for r in rows] == list(LEARNERS) and all(r["n"] == 10 * PER_DIGIT for r in rows)
    table = said[1:6]
    assert table[0].split()[:2] == ["writer", "pictures"] and [line.split()[0] for line in table[1:]] == [*LEARNERS, "all"]
    assert published == root / "shared" / "class_model.pth"
    assert stat.S_IMODE(published.stat().st_mode) == 0o444
    assert published.read_bytes() == (root / "teacher.pth").read_bytes()
    predictor = Predictor(published)
    assert predictor.which == "the class model" and predictor.describe().startswith("the class model (tuned on 3 writers")
    assert default_model()[1] != "the class model"  # a learner's default is not changed behind their back


def test_the_cli_and_the_pad_name_the_class_model(class_model):
    from digitlib.surfaces.pad import DrawingPad

    published = class_model[2]
    env = {**os.environ, "DIGITS_CLASS_MODEL": str(published)}
    r = subprocess.run([sys.executable, "-m", "digitlib", "predict", "--class-model", str(SAMPLES / "eve" / "7" / "eve-000.png")],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0 and f"using the class model: {published}" in r.stderr, r.stderr
    assert "Reading with the class model" in DrawingPad(Predictor(published)).model_label.value


def test_publishing_refuses_the_shipped_models_and_unwritable_places(tmp_path):
    for shipped in (SHIPPED_CHECKPOINT, DIGIT_CHECK):
        with pytest.raises(DigitsError, match="shipped with the course"):
            publish(SHIPPED_CHECKPOINT, shipped)
    with pytest.raises(DigitsError, match="cannot publish the class model into"):
        check_publishable(tmp_path / "nope" / "class_model.pth")


def test_a_folder_closed_to_learners_is_named():
    root = Path(tempfile.mkdtemp(prefix="digits-publish-")).resolve()  # not under pytest's folder, closed to others
    try:
        root.chmod(0o755)
        (root / "shared" / "models").mkdir(parents=True)
        model = root / "shared" / "models" / "class_model.pth"
        assert closed_folder(model) is None
        (root / "shared").chmod(0o750)
        assert closed_folder(model) == root / "shared"
    finally:
        shutil.rmtree(root)


@pytest.mark.gui
def test_the_window_names_the_class_model(class_model, xdisplay):
    import tkinter as tk

    from digitlib.surfaces.window import App

    app = App(tk.Tk(), class_model[2])
    try:
        assert app.root.title() == "digits: draw and predict with the class model"
        assert app.status.cget("text").startswith("Using the class model (tuned on 3 writers' digits")
    finally:
        app.close()
