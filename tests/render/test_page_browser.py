"""The graph page in a real browser: Debian's chromium driven by Selenium (chromium-driver).

Each test writes a page with `cgrad graph -o FILE.html`, opens it from the file, and reads what the page
shows: values while stepping forward and back, the accumulating gradient of the shared node, the panel
of a clicked node (checked against `cgrad explain`), the paths of an input.  Every test also checks that
the console stayed free of errors and that the page asked the network for nothing.  They skip, saying
why, only where chromium or its driver is not installed (.ci/run installs both).

CGRAD_SCREENSHOTS=DIR keeps the screenshots (the README's docs/graph-page.png is made so).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cgrad_cli import evaluate, parse
from cgrad_cli.render import explain as render_explain
from cgrad_cli.symbolic.explain import explain

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="chromium and chromium-driver are not installed "
                                       "(apt-get install chromium chromium-driver)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

from test_graph import invoke  # noqa: E402

NAMED = "c = a+b; d = b+1; e = c*d"
AB = ["--a", "2", "--b", "1"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def write_page(tmp_path, *args, name="page.html") -> Path:
    out = tmp_path / name
    result = invoke("graph", *args, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def open_page(driver, path: Path, size=(1280, 800)):
    driver.set_window_size(*size)
    driver.get_log("browser"), driver.get_log("performance")  # start both logs afresh
    driver.get(path.as_uri())
    body = driver.find_element(By.TAG_NAME, "body")
    WebDriverWait(driver, 10).until(lambda _: body.get_attribute("data-ready") is not None,
                                    "the page's script did not finish")
    return float(body.get_attribute("data-ready"))  # ms from the start of loading to the first drawn frame


def assert_clean(driver, path: Path):
    """No console message of level error, and no request but the page's own file."""
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    assert urls <= {path.as_uri()}, urls


def shot(driver, tmp_path, name: str) -> Path:
    keep = os.environ.get("CGRAD_SCREENSHOTS")
    out = (Path(keep) if keep else tmp_path) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    return out


def text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def node(driver, name: str):
    """The figure's node whose bold name is `name`."""
    for g in driver.find_elements(By.CSS_SELECTOR, "g.node"):
        if g.find_element(By.CSS_SELECTOR, "text.title").text.split(" ")[0] == name:
            return g
    raise AssertionError(f"no node {name}")


def lines(driver, name: str) -> list:
    return [t.text for t in node(driver, name).find_elements(By.CSS_SELECTOR, "text")]


def press(driver, key, times=1):
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(times):
        body.send_keys(key)


def test_stepping_forward_and_backward(browser, tmp_path):
    path = write_page(tmp_path, NAMED, *AB)
    assert open_page(browser, path) < 1000
    # the page opens on the finished figure: every value and gradient, every edge labelled
    assert lines(browser, "b") == ["b", "input = 1", "∂e/∂b = 2 + 3 = 5"]
    assert lines(browser, "c") == ["c = a+b", "add = 3", "∂e/∂c = 2"]
    labels = sorted(t.text for t in browser.find_elements(By.CSS_SELECTOR, "text.elabel"))
    assert labels == ["∂c/∂a = 1", "∂c/∂b = 1", "∂d/∂b = 1", "∂e/∂c = d = 2", "∂e/∂d = c = 3"]

    press(browser, Keys.HOME)
    assert text(browser, "#status").startswith("Before the forward pass")
    assert lines(browser, "c")[1:] == ["add", ""]  # not computed yet: the op, no value, no gradient
    press(browser, Keys.ARROW_RIGHT, 3)  # a, b, then c
    assert lines(browser, "c")[1] == "add = 3" and lines(browser, "d")[1] == "add"
    assert text(browser, "#status") == "forward 3 of 5: c = a+b → add = 3"
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()  # d, e: the forward pass is done
    assert lines(browser, "e")[1:] == ["mul = 6", ""]
    press(browser, Keys.ARROW_RIGHT)  # the seed
    assert lines(browser, "e")[2] == "∂e/∂e = 1" and lines(browser, "c")[2] == ""
    press(browser, Keys.ARROW_RIGHT, 4)  # e→c, e→d, c→a, c→b: b has c's share
    assert lines(browser, "b")[2] == "∂e/∂b = 2 + …"
    assert "∂e/∂c·∂c/∂b" in text(browser, "#status")
    press(browser, Keys.ARROW_RIGHT)  # d→b: the shares add up
    assert lines(browser, "b")[2] == "∂e/∂b = 2 + 3 = 5"
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None
    press(browser, Keys.ARROW_LEFT)
    assert lines(browser, "b")[2] == "∂e/∂b = 2 + …"
    browser.find_element(By.ID, "prev").click()
    assert lines(browser, "b")[2] == "" and lines(browser, "a")[2] == "∂e/∂a = 2"
    press(browser, Keys.END)
    assert lines(browser, "b")[2] == "∂e/∂b = 2 + 3 = 5"
    assert_clean(browser, path)


def test_clicking_a_node_opens_its_panel(browser, tmp_path):
    path = write_page(tmp_path, NAMED, *AB)
    open_page(browser, path)
    node(browser, "b").click()
    panel = text(browser, "#panel")
    ev = evaluate(parse(NAMED), {"a": 2, "b": 1})
    said = render_explain.plain(explain(ev, wrt=["b"])).splitlines()
    assert said[2] in panel  # ∂e/∂b = ∂e/∂c·∂c/∂b + ∂e/∂d·∂d/∂b = d·1 + c·1 = 2·1 + 3·1 = 5, as cgrad explain
    for line in ("c: ∂c/∂b = 1", "d: ∂d/∂b = 1", "e → c → b", "d·1 = 2·1 = 2", "e → d → b", "c·1 = 3·1 = 3",
                 "sum over the 2 paths: ∂e/∂b = 5"):
        assert line in panel, line
    lit = browser.find_elements(By.CSS_SELECTOR, "path.edge.onpath")
    assert len(lit) == 4  # every edge on the two paths from e to b
    assert browser.find_element(By.ID, "paths").get_attribute("value") != ""
    shot(browser, tmp_path, "graph-page.png")  # README's picture
    node(browser, "c").click()
    assert "∂e/∂c = ∂e/∂e·∂e/∂c = ∂e/∂e·d = 1·2 = 2" in text(browser, "#panel")
    assert_clean(browser, path)


def test_keyboard_only(browser, tmp_path):
    path = write_page(tmp_path, NAMED, *AB)
    open_page(browser, path)
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(12):  # Tab through the controls to the nodes
        body = browser.switch_to.active_element
        body.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("data-node") is not None:
            break
    assert browser.switch_to.active_element.get_attribute("data-node") == "0"
    assert text(browser, "#panel").startswith("a")
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert text(browser, "#panel").startswith("b")
    browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT)  # the arrows still step with a node focused
    assert lines(browser, "b")[2] == "∂e/∂b = 2 + …"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert text(browser, "#panel").startswith("Pick a node")
    assert_clean(browser, path)


def test_tensor_page_shows_shapes_in_nodes_and_grids_in_the_panel(browser, tmp_path):
    examples = ROOT / "examples"
    path = write_page(tmp_path, "-f", str(examples / "classifier.cg"), "--inputs",
                      str(examples / "classifier.inputs.json"))
    open_page(browser, path)
    assert lines(browser, "W1") == ["W1", "input: 3×4", "∂C/∂W1: 3×4"]
    node(browser, "W1").click()
    grid = browser.find_elements(By.CSS_SELECTOR, "#panel table.grid")[0]
    assert grid.find_element(By.TAG_NAME, "caption").text == "W1: 3×4"
    rows = [[c.text for c in tr.find_elements(By.CSS_SELECTOR, "th, td")] for tr in grid.find_elements(By.TAG_NAME, "tr")]
    assert rows[0] == ["", "0", "1", "2", "3"] and rows[1] == ["0", "0.2", "-0.1", "0.4", "0"]
    assert "∂(W1 @ x)/∂W1: a 3×3×4 Jacobian" in text(browser, "#panel")
    assert "Jacobian: a 3-D tensor: δ_ij x_k" in text(browser, "#panel")  # symbolic.jacobians' words
    node(browser, "y").click()
    assert "z2: ∂y/∂z2: a 3×3 Jacobian\nJacobian: full: diag(y) − y yᵀ" in text(browser, "#panel")
    assert_clean(browser, path)


def test_phone_width_and_print(browser, tmp_path):
    path = write_page(tmp_path, NAMED, *AB)
    open_page(browser, path, size=(390, 844))
    width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width  # nothing wider than the phone: the figure scrolls or fits inside
    panel = browser.find_element(By.ID, "panel").rect
    figure = browser.find_element(By.ID, "figure").rect
    assert panel["y"] >= figure["y"] + figure["height"] - 1  # the panel goes under the figure
    shot(browser, tmp_path, "graph-page-phone.png")
    pdf = browser.print_page()
    assert len(pdf) > 1000
    assert_clean(browser, path)


def test_a_1000_node_program(browser, tmp_path):
    """The page of a 1000-node program: interactive once its ready marker is set (how long that takes is
    benchmarks/page_bench.py's figure, not a test's), the whole figure drawn in slices after it."""
    program = "h0 = x\n" + "".join(f"h{k} = tanh(w*h{k - 1} + b)\n" for k in range(1, 334))
    path = write_page(tmp_path, program, "--x", "0.5", "--w", "0.9", "--b", "0.1")
    assert path.stat().st_size < 2_000_000
    ready = open_page(browser, path)
    body = browser.find_element(By.TAG_NAME, "body")
    press(browser, Keys.HOME)  # the controls work at once, while the rest of the figure is being drawn
    press(browser, Keys.ARROW_RIGHT, 3)
    assert text(browser, "#status").startswith("forward 3 of 1003")
    WebDriverWait(browser, 30).until(lambda _: body.get_attribute("data-drawn") is not None,
                                     "the rest of the figure was never drawn")
    assert float(body.get_attribute("data-drawn")) >= ready
    nodes = browser.find_elements(By.CSS_SELECTOR, "g.node")
    assert [int(g.get_attribute("data-node")) for g in nodes] == list(range(1003))  # all, in Tab order
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.edge")) == len(browser.execute_script(
        "return JSON.parse(document.getElementById('cgrad-data').textContent).edges"))
    last = browser.find_elements(By.CSS_SELECTOR, "g.node")[-1]  # far to the right: drawn in a later slice
    browser.execute_script("arguments[0].scrollIntoView()", last)
    last.click()
    assert text(browser, "#panel").startswith("h333 = tanh(w*h332 + b)")
    press(browser, Keys.END)
    assert lines(browser, "h333")[1:] == ["tanh = 0.501596", "∂h333/∂h333 = 1"]
    assert_clean(browser, path)


def test_the_neuron_sum_is_one_node_with_three_edges(browser, tmp_path):
    path = write_page(tmp_path, "y = sigmoid(w1*x1 + w2*x2 + b)", "--w1", "2", "--x1", "1", "--w2", "-1", "--x2", "3",
                      "--b", "1")
    open_page(browser, path)
    titles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "g.node text.title")]
    assert "w1*x1 + w2*x2 + b" in titles and "w1*x1 + w2*x2" not in titles and len(titles) == 9
    (g,) = [g for g in browser.find_elements(By.CSS_SELECTOR, "g.node")
            if g.find_element(By.CSS_SELECTOR, "text.title").text == "w1*x1 + w2*x2 + b"]
    assert [t.text for t in g.find_elements(By.CSS_SELECTOR, "text")][1:] == ["sum = 0", "grad = 0.25"]
    g.click()
    panel = text(browser, "#panel")
    arguments = panel.split("arguments: local derivative ∂node/∂argument\n", 1)[1].split("\n")[:3]
    assert arguments == ["w1*x1: 1", "w2*x2: 1", "b: 1"]  # three edges in, each ∂sum/∂term = 1
    node(browser, "b").click()
    assert "∂y/∂b = ∂y/∂(w1*x1 + w2*x2 + b)·∂(w1*x1 + w2*x2 + b)/∂b = y*(1 - y)·1" in text(browser, "#panel")
    assert_clean(browser, path)
