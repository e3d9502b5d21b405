"""Many pictures at once: read in batches (in this process or in workers) and read by the model in
batches, with the same results as one at a time, in the same order, and a progress bar on stderr only."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from digitlib.pictures import reading
from digitlib.synthetic import restyled
from digitlib.cli import main
from digitlib.handwriting.folder import load_folder
from digitlib.pictures.files import open_picture
from digitlib.pictures.preprocess import preprocess


@pytest.fixture(scope="module")
def pictures(tmp_path_factory, mnist_test):
    """23 pictures in digit folders: MNIST digits on a pad, a blank and a noise scribble among them."""
    root = tmp_path_factory.mktemp("many")
    rng = np.random.default_rng(5)
    files = []
    for i in range(21):
        digit = mnist_test.labels[i].item()
        (root / str(digit)).mkdir(exist_ok=True)
        files.append(root / str(digit) / f"{i:02d}.png")
        Image.fromarray((restyled.on_pad(mnist_test.images[i, 0].numpy(), rng) * 255).astype(np.uint8)).save(files[-1])
    for digit in "38":
        (root / digit).mkdir(exist_ok=True)
    files.append(root / "3" / "blank.png")
    Image.new("L", (120, 90), 255).save(files[-1])
    files.append(root / "8" / "scribble.png")
    Image.fromarray((rng.random((64, 64)) * 255).astype(np.uint8)).save(files[-1])
    return root, files


@pytest.mark.parametrize("workers", [0, 2])
def test_batches_read_every_picture_in_order_as_one_at_a_time(pictures, workers):
    _, files = pictures
    names = [*files[:10], files[0].parent / "missing.png", *files[10:]]  # an unreadable one mid-batch
    reads = [r for batch in reading.read_pictures(names, batch_size=4, workers=workers, progress=False)
             for r in batch]
    assert [r.name for r in reads] == [str(n) for n in names]
    assert reads[10].error is not None and "no such image file" in str(reads[10].error)
    for name, r in zip(names, reads):
        if r.error is None:
            alone = preprocess(open_picture(name).image)
            assert r.preprocessed.blank == alone.blank
            assert np.array_equal(r.preprocessed.image28, alone.image28)
            assert alone.blank or torch.equal(r.preprocessed.tensor, alone.tensor)


def test_batched_predictions_equal_one_at_a_time(pictures, predictor):
    _, files = pictures
    reads = [r for batch in reading.read_pictures(files, progress=False, steps=predictor.steps) for r in batch]
    together = predictor.predict_many([r.preprocessed for r in reads], batch_size=5)
    assert len(together) == len(files)
    for f, p in zip(files, together):
        alone = predictor.predict(open_picture(f).image)
        assert (p.digit, p.sure) == (alone.digit, alone.sure)
        assert p.probs == pytest.approx(alone.probs, abs=1e-5)
    assert together[-2].digit is None  # the blank keeps its place


def test_folder_labels_and_files_stay_aligned_across_batches(pictures, monkeypatch):
    root, files = pictures
    monkeypatch.setattr(reading, "BATCH", 4)
    folder = load_folder(root, progress=False)
    blank = sorted(f for f in files if preprocess(open_picture(f).image).blank)
    assert root / "3" / "blank.png" in blank and sorted(folder.skipped) == blank
    assert len(folder.paths) == len(files) - len(blank)
    for path, image, label in zip(folder.paths, folder.data.images, folder.data.labels):
        assert int(path.parent.name) == label
        assert np.array_equal(image[0].numpy(), preprocess(open_picture(path).image).image28)


def test_progress_goes_to_stderr_and_json_stays_parseable(pictures, shipped_checkpoint, monkeypatch, capsys):
    root, files = pictures
    monkeypatch.setattr(reading, "BATCH", 4)
    monkeypatch.setattr(reading, "PROGRESS_DELAY_S", 0)  # a bar even for a quick read
    names = [*files[:5], root / "nothing.png", *files[5:]]
    assert main(["predict", *map(str, names), "--json", "--checkpoint", str(shipped_checkpoint)]) == 1
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert [r["digit"] for r in rows[:21]] == [int(f.parent.name) for f in files[:21]]
    assert "reading pictures" in err and "24/24" in err and "no such image file" in err

    assert main(["evaluate", "--data", str(root), "--json", "--checkpoint", str(shipped_checkpoint)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["n"] == 21 and "23/23" in err  # read 23, one blank and the scribble skipped

