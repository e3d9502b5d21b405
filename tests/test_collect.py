"""Collecting your own digits: what the pad and the window save, and a scanned sheet cut into cells."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlib.handwriting.collect import Collector, collect_sheet
from digitlib.errors import DigitsError
from digitlib.handwriting.folder import list_pictures, load_folder
from digitlib.surfaces.pad import DrawingPad
from digitlib.synthetic.writers import WRITERS


def _drawing(k=0):
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(100 + k, 40), (140, 240)], fill=0, width=18)
    return image


def test_saves_as_drawn_in_imagefolder_layout_and_cycles(tmp_path):
    c = Collector(tmp_path / "mine")
    assert c.prompt == "Draw a 0"
    paths = [c.save(_drawing(k)) for k in range(12)]
    assert [int(p.parent.name) for p in paths] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert c.counts() == {d: 2 if d < 2 else 1 for d in range(10)}
    saved = Image.open(paths[0])
    assert saved.size == (280, 280)  # the full drawing, not the 28x28
    assert np.array_equal(np.asarray(saved), np.asarray(_drawing(0)))
    assert len(list_pictures(tmp_path / "mine")) == 12  # the loader reads what was collected


def test_never_overwrites_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(time, "strftime", lambda fmt: "20260101-000000")  # every save gets the same stamp
    c = Collector(tmp_path)
    paths = [c.save(_drawing(k), digit=3) for k in range(5)]
    assert len(set(paths)) == 5
    assert sorted(p.name for p in (tmp_path / "3").iterdir()) == sorted(p.name for p in paths)
    # each file is still the drawing it was saved as
    for k, p in enumerate(paths):
        assert np.array_equal(np.asarray(Image.open(p)), np.asarray(_drawing(k)))


def test_undo_removes_the_last_and_asks_again(tmp_path):
    c = Collector(tmp_path)
    first, second = c.save(_drawing()), c.save(_drawing())
    assert c.undo() == second and not second.exists() and first.exists()
    assert c.next_digit == 1 and c.counts()[1] == 0
    assert c.undo() == first and c.undo() is None and c.next_digit == 0


def test_an_empty_drawing_or_a_file_is_refused_in_one_line(tmp_path):
    c = Collector(tmp_path)
    with pytest.raises(DigitsError, match="nothing drawn: draw a 0 first"):
        c.save(Image.new("L", (280, 280), 255))
    assert c.counts()[0] == 0
    (tmp_path / "f").write_text("x")
    with pytest.raises(DigitsError, match="is a file"):
        Collector(tmp_path / "f")


def test_the_pad_collects_draws_saves_and_undoes(tmp_path, predictor):
    pad = DrawingPad(predictor, collect=tmp_path / "mine")
    assert 'data-digit="0"' in pad.ask.value and pad.save_button.description == "Save as 0"
    assert pad.save() is None and "nothing drawn" in pad.ask.value  # nothing drawn yet
    pad.press(140, 40)
    for y in range(50, 241, 15):
        pad.move(142, y)
    pad.release()
    path = pad.save()
    assert path.parent == tmp_path / "mine" / "0" and pad.empty  # saved, and the pad is clear
    assert "0: 1" in pad.counts.value and 'data-digit="1"' in pad.ask.value
    pad.undo()
    assert not path.exists() and "0: 0" in pad.counts.value and 'data-digit="0"' in pad.ask.value


def test_a_scanned_sheet_becomes_a_folder(tmp_path, predictor):
    """A 10x6 ruled sheet, row r written with the digit r by one hand, one cell left empty."""
    rng = np.random.default_rng(0)
    sheet = Image.new("L", (600, 1000), 255)
    for r in range(10):
        for c in range(6):
            if (r, c) != (4, 5):
                sheet.paste(WRITERS[2].draw(r, rng).resize((100, 100)), (c * 100, r * 100))
    draw = ImageDraw.Draw(sheet)
    for i in range(11):
        draw.line([(0, i * 100), (600, i * 100)], fill=100, width=3)
        draw.line([(i * 100, 0), (i * 100, 1000)], fill=100, width=3)
    saved = collect_sheet(sheet, tmp_path, rows=10, cols=6)
    assert len(saved) == 59
    folder = load_folder(tmp_path)
    assert sorted(folder.data.labels.tolist()) == [r for r in range(10) for c in range(6) if (r, c) != (4, 5)]
    read = [predictor.predict(Image.open(p)).digit for p in folder.paths]
    assert np.mean(np.array(read) == folder.data.labels.numpy()) >= 0.95  # the ruled lines stayed out


def _text_and_circle():
    page = Image.new("L", (800, 600), 255)
    draw = ImageDraw.Draw(page)
    for i in range(12):
        draw.text((40, 30 + 40 * i), "The quick brown fox jumps over the lazy dog 0123456789", fill=0)
    draw.ellipse((450, 250, 700, 500), outline=0, width=6)
    return page


@pytest.mark.parametrize("page, cols", [
    (_text_and_circle(), 10), (Image.new("L", (1, 1), 255), 10), (Image.new("RGB", (5, 5), "black"), 10),
    ("ruled 10x6", 5000), ("ruled 10x6", 3),
], ids=["text-and-circle", "1x1", "5x5", "cols-5000", "cols-3-of-6"])
def test_a_page_without_the_asked_grid_is_refused(tmp_path, capsys, page, cols):
    from digitlib.cli import main

    if page == "ruled 10x6":
        page = Image.new("L", (600, 1000), 255)
        draw = ImageDraw.Draw(page)
        for i in range(11):
            draw.line([(0, i * 100), (600, i * 100)], fill=100, width=3)
            draw.line([(i * 100, 0), (i * 100, 1000)], fill=100, width=3)
    page.save(tmp_path / "scan.png")
    rc = main(["sheet", str(tmp_path / "scan.png"), "--out", str(tmp_path / "mine"), "--cols", str(cols)])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and f"error: no ruled grid of 10 rows x {cols} columns" in err, err
    assert not (tmp_path / "mine").exists() or not any((tmp_path / "mine").rglob("*.png"))


def test_when_a_thousand_names_are_taken_a_save_gets_its_own(tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(time, "strftime", lambda fmt: "20260101-000000")
    (tmp_path / "3").mkdir()
    for k in range(1000):  # other windows saved a thousand drawings this second
        (tmp_path / "3" / f"20260101-000000-{k:03d}.png").write_bytes(b"theirs")
    c = Collector(tmp_path)
    mine = c.save(_drawing(), digit=3)
    assert mine.parent == tmp_path / "3" and np.array_equal(np.asarray(Image.open(mine)), np.asarray(_drawing()))
    assert c.undo() == mine and not mine.exists()
    assert len(list((tmp_path / "3").iterdir())) == 1000  # theirs all kept


def test_counts_every_picture_evaluate_reads_and_cleans_killed_saves(tmp_path):
    import os

    (tmp_path / "4").mkdir()
    for name in ("a.PNG", "b.jpg", "c.jpeg", "d.png"):
        _drawing().convert("RGB").save(tmp_path / "4" / name)
    stale = tmp_path / "4" / ".20260101-000000-000.png.abc.tmp"  # a save killed an hour ago
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    c = Collector(tmp_path)
    assert c.counts()[4] == 4 == len(list_pictures(tmp_path)) and not stale.exists()


def test_a_picture_file_is_one_pillow_reads_and_counts_and_loads_alike(tmp_path):
    (tmp_path / "3").mkdir()
    for name in ("a.gif", "b.TIF", "c.webp", ".d.png"):  # .d.png hidden: not a picture
        _drawing().save(tmp_path / "3" / name)
    assert Collector(tmp_path).counts()[3] == 3 == len(list_pictures(tmp_path))
    _drawing().convert("RGB").save(tmp_path / "3" / "e.pdf")  # Pillow writes PDFs but cannot read them
    with pytest.raises(DigitsError, match=r"1 file\(s\) are not pictures \(3/e.pdf\)"):
        list_pictures(tmp_path)
    assert Collector(tmp_path).counts()[3] == 3
