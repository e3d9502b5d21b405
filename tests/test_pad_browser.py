"""The notebook pad in a real browser: JupyterLab on localhost, Chromium driven by Selenium
draws a digit on the pad of the drawing notebook (its cells up to the pad) and reads the prediction it shows."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ARTIFACTS, ROOT, missing_system_tool

pytestmark = pytest.mark.browser
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """One JupyterLab for the module; each test works in its own folder under its root."""
    if not (CHROMIUM and DRIVER):
        missing_system_tool("Chromium and chromedriver are not installed (sudo apt-get install chromium chromium-driver)")
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "root"
    root.mkdir()
    # no "get notified about Jupyter news?" toast over the notebook (and no network attempt)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "DIGITS_FAST": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=None", "--allow-root", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"), env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{url}/api", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-2000:])
    if proc.poll() is not None:
        pytest.fail("JupyterLab exited:\n" + (tmp_path / "lab.log").read_text()[-2000:])
    yield url, root
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def lab(lab_server, request):
    """(url of this test's folder, the folder): notebook 06 up to its pad, and a collect-mode notebook."""
    url, root = lab_server
    work = root / request.node.name
    work.mkdir()
    _write_pad_cells_of_notebook_06(work / "06_pad.ipynb")
    _write_collect_notebook(work / "collect.ipynb")
    return f"{url}/lab/tree/{work.name}", work


def _write_pad_cells_of_notebook_06(path):
    """The drawing notebook's own cells, from the top to the one that shows the pad: the cells
    after it (run by nbval) would keep the kernel busy while the test draws."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "06_draw_and_predict.ipynb", as_version=4)
    upto = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "DrawingPad(" in c.source)
    nb.cells = nb.cells[:upto + 1]
    nbformat.write(nb, path)


def _write_collect_notebook(path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from digitlib.surfaces.pad import DrawingPad\nfrom digitlib.predict import Predictor\n"
                                          "DrawingPad(Predictor(), collect='mydigits')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _open_and_run_all(browser, url):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    wait = WebDriverWait(browser, 120)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']")))
    # JupyterLab may ask which kernel to use; the default (Python 3) is the right one. Wait for the
    # dialog if it comes (it comes within a moment of the notebook going idle), not a fixed sleep.
    try:
        WebDriverWait(browser, 5).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept")))
    except TimeoutException:
        pass
    for button in browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept"):
        button.click()
    # Run > Run All Cells
    browser.find_element(By.XPATH, "//li[contains(@class,'lm-MenuBar-item')][.//div[text()='Run']]").click()
    wait.until(EC.element_to_be_clickable(
        (By.XPATH, "//li[contains(@class,'lm-Menu-item')][.//div[text()='Run All Cells']]"))).click()
    canvas = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".jp-OutputArea canvas")))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    return wait, canvas


def _shown_digit(browser):
    """The digit the pad shows now, read by script: the widget's HTML is replaced on every update."""
    return browser.execute_script("const e = document.querySelector('.digits-prediction'); return e && e.dataset.digit;")


def _draw_seven(browser, canvas):
    """A "7": a bar along the top, then a diagonal down to the left."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser, duration=20)
    chain.move_to_element_with_offset(canvas, -70, -90).click_and_hold()
    for _ in range(14):
        chain.move_by_offset(10, 0)
    for _ in range(18):
        chain.move_by_offset(-4, 10)
    chain.release().perform()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chrome'}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture
def last_screenshot(browser):
    yield
    ARTIFACTS.mkdir(exist_ok=True)  # the last state of the page, to look at when it fails
    browser.save_screenshot(str(ARTIFACTS / "notebook_pad_last.png"))


def test_draw_on_the_notebook_pad(lab, browser, last_screenshot):
    from selenium.webdriver.common.by import By

    url, _ = lab
    wait, canvas = _open_and_run_all(browser, f"{url}/06_pad.ipynb")
    wait.until(lambda d: "Draw a digit" in d.page_source)
    _draw_seven(browser, canvas)
    # predictions arrive live while drawing and each replaces the last: wait for the pen-up one
    wait.until(lambda d: _shown_digit(d) == "7")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "notebook_pad.png"))
    label = browser.find_element(By.CSS_SELECTOR, ".digits-prediction")
    assert label.text == "7"


def test_collect_mode_on_the_notebook_pad_saves_labelled_drawings(lab, browser, last_screenshot):
    """Asked for 0, 1, 2 in turn, the learner draws each and clicks Save; the files land in
    mydigits/<digit>/ next to the notebook. Undo removes the last."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    url, work = lab
    wait, canvas = _open_and_run_all(browser, f"{url}/collect.ipynb")

    def ask():  # read by script: the widget's HTML is replaced on every change (no stale element)
        return browser.execute_script("const e = document.querySelector('.digits-ask'); return e && e.dataset.digit;")

    def counts():
        return browser.execute_script("const e = document.querySelector('.digits-counts'); return e && e.textContent;")

    def click(label):
        browser.find_element(By.XPATH, f"//button[contains(., '{label}')]").click()

    wait.until(lambda d: ask() == "0")
    for digit in range(3):
        _draw_seven(browser, canvas)  # the shape does not matter: collect saves what is drawn, as asked
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".digits-prediction")))
        click(f"Save as {digit}")
        wait.until(lambda d: ask() == str((digit + 1) % 10))
    wait.until(lambda d: "0: 1  1: 1  2: 1  3: 0" in (counts() or ""))
    saved = {d: sorted((work / "mydigits" / str(d)).glob("*.png")) for d in range(3)}
    assert all(len(files) == 1 for files in saved.values())
    from PIL import Image

    assert Image.open(saved[0][0]).size == (280, 280)  # the drawing as drawn
    click("Undo")
    wait.until(lambda d: ask() == "2")
    assert not saved[2][0].exists() and saved[1][0].exists()


def test_touch_draws_on_the_pad_and_a_second_finger_does_not(lab, browser, last_screenshot):
    """Real touch events (Chrome DevTools protocol): one finger draws a 7 while a second finger
    lands and slides in the lower-left corner; the pad reads a 7, and the saved drawing has ink
    along the first finger's path and none where the second one went."""
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By

    url, work = lab
    wait, canvas = _open_and_run_all(browser, f"{url}/collect.ipynb")
    wait.until(lambda d: d.execute_script("return !!document.querySelector('.digits-ask')"))
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    box = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height];", canvas)

    def at(x, y, id_):  # canvas pixels to a touch point in the page (the canvas may be shown scaled)
        return {"x": box[0] + x * box[2] / 280, "y": box[1] + y * box[3] / 280, "id": id_}

    def touch(kind, points):
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        time.sleep(0.03)

    path = [(70 + 10 * k, 50) for k in range(15)] + [(210 - 6 * k, 50 + 12 * k) for k in range(1, 17)]
    print("canvas on the page:", box)
    touch("touchStart", [at(*path[0], 1)])
    for k, p in enumerate(path[1:], 1):
        if k == 20:
            touch("touchStart", [at(*p, 1), at(20, 200, 2)])  # a second finger lands
        second = [at(20 + 2 * (k - 20), 200 + 2 * (k - 20), 2)] if k >= 20 else []
        touch("touchMove", [at(*p, 1), *second])
    touch("touchEnd", [])

    wait.until(lambda d: _shown_digit(d) == "7")
    browser.find_element(By.XPATH, "//button[contains(., 'Save as 0')]").click()
    wait.until(lambda d: list((work / "mydigits" / "0").glob("*.png")))
    saved = Image.open(next((work / "mydigits" / "0").glob("*.png")))
    saved.save(ARTIFACTS / "touch_drawing.png")
    ink = np.asarray(saved) < 128
    assert ink[45:56, 80:200].mean() > 0.9              # the first finger's bar
    assert not ink[190:260, 0:60].any()                  # nothing where the second finger slid
