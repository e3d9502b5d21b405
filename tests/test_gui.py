"""The Tk GUI in a real window on a virtual display, driven by mouse events like a person."""
import os
import time

import numpy as np
import pytest

from .conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.gui


def _load_gui():
    from digitlib.surfaces import window  # Tk only once the display fixture stands

    return window


@pytest.fixture
def app_factory(xdisplay):
    import tkinter as tk

    gui = _load_gui()
    apps = []

    def make(checkpoint, collect=None):
        root = tk.Tk()
        app = gui.App(root, checkpoint, collect)
        root.update()
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def _settle(app, seconds=60):
    """Run the window until its reading is shown: no fixed wait, and a reading that never comes fails."""
    end = time.time() + seconds
    while time.time() < end:
        app.root.update()
        if app.pending is None and app.debounce is None:
            break
        time.sleep(0.01)
    else:
        pytest.fail(f"the window did not show its reading within {seconds} s")
    app.root.update()


def trace_digit(app, digit28: np.ndarray):
    """Draw an MNIST digit with the mouse: one left-to-right stroke per row-run of ink."""
    c, scale = app.canvas, 200 / 28
    for row in range(28):
        ink = digit28[row] > 0.4
        col = 0
        while col < 28:
            if not ink[col]:
                col += 1
                continue
            end = col
            while end + 1 < 28 and ink[end + 1]:
                end += 1
            y = 40 + row * scale
            c.event_generate("<ButtonPress-1>", x=int(40 + col * scale), y=int(y))
            for x in np.linspace(40 + col * scale, 40 + end * scale, 4):
                c.event_generate("<B1-Motion>", x=int(x), y=int(y))
            c.event_generate("<ButtonRelease-1>", x=int(40 + end * scale), y=int(y))
            col = end + 1
    _settle(app)


def test_draws_and_reads_digits(app_factory, shipped_checkpoint, mnist_test):
    app = app_factory(shipped_checkpoint)
    app.recorder.width = 12
    assert app.digit_label.cget("text") == "" and "Draw a digit" in app.confidence_label.cget("text")
    assert "test accuracy" in app.status.cget("text")
    right = 0
    for i in range(10):
        app.clear()
        trace_digit(app, mnist_test.images[i, 0].numpy())
        shown = app.digit_label.cget("text")
        right += shown == str(mnist_test.labels[i].item())
        assert "% sure" in app.confidence_label.cget("text")
        if i == 0:
            ARTIFACTS.mkdir(exist_ok=True)
            _screenshot(app, ARTIFACTS / "gui.png")
    assert right >= 9
    # the PIL picture the model read holds the strokes (not a screen grab)
    assert np.asarray(app.recorder.image).min() == 0
    app.clear()
    _settle(app)
    assert app.digit_label.cget("text") == "" and app.recorder.empty
    assert len(app.canvas.find_all()) == 0


def test_keys_predict_and_clear(app_factory, shipped_checkpoint, mnist_test):
    app = app_factory(shipped_checkpoint)
    trace_digit(app, mnist_test.images[1, 0].numpy())
    app.prediction = None
    app.refresh()
    app.root.focus_force()
    app.root.event_generate("<Return>")
    _settle(app)
    assert app.digit_label.cget("text") == "2"
    app.root.event_generate("<Escape>")
    _settle(app)
    assert app.digit_label.cget("text") == "" and app.recorder.empty


def test_without_a_checkpoint_it_says_how_to_train(app_factory, tmp_path):
    app = app_factory(tmp_path / "missing.pth")
    assert "make train" in app.confidence_label.cget("text")
    assert "not found" in app.status.cget("text")
    app.canvas.event_generate("<ButtonPress-1>", x=50, y=50)
    app.canvas.event_generate("<B1-Motion>", x=120, y=120)
    app.canvas.event_generate("<ButtonRelease-1>", x=120, y=120)
    _settle(app)
    assert not app.recorder.empty and app.digit_label.cget("text") == "?"  # drawing still works


def test_a_model_with_nan_weights_is_said_in_the_window(app_factory, shipped_checkpoint, tmp_path):
    import torch

    state = torch.load(shipped_checkpoint, weights_only=True)
    next(iter(state["state_dict"].values())).fill_(float("nan"))
    torch.save(state, tmp_path / "nan.pth")
    app = app_factory(tmp_path / "nan.pth")  # the window starts and says why there is no model
    assert "No model loaded" in app.status.cget("text") and "holds NaN" in app.status.cget("text")


def test_a_missing_check_is_said_and_digits_are_still_read(app_factory, shipped_checkpoint, mnist_test,
                                                           tmp_path, monkeypatch):
    from digitlib.predict import Predictor

    monkeypatch.setattr(Predictor.__init__, "__defaults__", (None, "cpu", tmp_path / "digit_check.pth"))
    app = app_factory(shipped_checkpoint)  # the "not sure" check is missing: said, and digits still read
    assert "'not sure' check" in app.status.cget("text") and "is missing" in app.status.cget("text")
    trace_digit(app, mnist_test.images[0, 0].numpy())
    assert app.digit_label.cget("text") == str(mnist_test.labels[0].item())
    assert "not checked" in app.confidence_label.cget("text")


def test_collect_mode_saves_labelled_drawings(app_factory, shipped_checkpoint, mnist_test, tmp_path):
    """Draw the digit asked for with the mouse, save with Ctrl-S; undo with Ctrl-Z."""
    from digitlib.handwriting.folder import load_folder

    app = app_factory(shipped_checkpoint, collect=tmp_path / "mine")
    app.recorder.width = 12
    examples = {int(mnist_test.labels[i]): i for i in range(100)}
    for digit in range(3):
        assert app.ask_label.cget("text") == f"Draw a {digit}"
        trace_digit(app, mnist_test.images[examples[digit], 0].numpy())
        app.root.focus_force()
        app.root.event_generate("<Control-s>")
        _settle(app)
        assert app.recorder.empty and len(app.canvas.find_all()) == 0  # saved and cleared for the next
    assert "0: 1  1: 1  2: 1  3: 0" in app.counts_label.cget("text")
    folder = load_folder(tmp_path / "mine")
    assert folder.data.labels.tolist() == [0, 1, 2]
    assert all(p.suffix == ".png" and p.stat().st_size > 0 for p in folder.paths)
    app.save_button.invoke()  # nothing drawn: refused, nothing written
    assert "nothing drawn" in app.counts_label.cget("text") and len(load_folder(tmp_path / "mine").paths) == 3
    app.root.event_generate("<Control-z>")
    _settle(app)
    assert app.ask_label.cget("text") == "Draw a 2" and not folder.paths[2].exists()


def test_the_networks_inside_follows_the_drawing(app_factory, shipped_checkpoint, mnist_test):
    app = app_factory(shipped_checkpoint)
    trace_digit(app, mnist_test.images[0, 0].numpy())
    assert not app.inside.winfo_ismapped()
    app.show_inside.set(True)
    app.refresh()
    app.root.update()
    assert app.inside.winfo_ismapped() and app.inside_image.width() > 300
    first = app.inside_image
    app.clear()
    trace_digit(app, mnist_test.images[1, 0].numpy())
    assert app.inside_image is not first  # redrawn with the new prediction
    app.clear()
    app.root.update()
    assert not app.inside.winfo_ismapped()  # nothing drawn: nothing inside to show


def _screenshot(app, path):
    from PIL import ImageGrab

    app.root.update()
    x, y = app.root.winfo_rootx(), app.root.winfo_rooty()
    w, h = app.root.winfo_width(), app.root.winfo_height()
    ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ["DISPLAY"]).save(path)


def test_reads_with_one_thread_and_gives_it_back(several_threads, app_factory, shipped_checkpoint, mnist_test, monkeypatch):
    """One intra-op thread keeps a drawing quick beside a training (digitlib.device.inference_threads)."""
    import torch

    app, seen, threads = app_factory(shipped_checkpoint), [], torch.get_num_threads()
    app.show_inside.set(True)
    for method in ("predict", "stages"):
        original = getattr(app.predictor, method)
        monkeypatch.setattr(app.predictor, method, lambda *a, _o=original: seen.append(torch.get_num_threads()) or _o(*a))
    trace_digit(app, mnist_test.images[0, 0].numpy())
    _settle(app)
    assert app.prediction is not None and len(seen) >= 2
    assert set(seen) == {1} and torch.get_num_threads() == threads
