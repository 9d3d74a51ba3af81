"""cgrad graph page benchmark: a 1000-node program's page opened in chromium, time to interactive.

    python benchmarks/bench.py --only page            # 9 loads
    python benchmarks/bench.py --only page --quick    # 3 loads

The program of tests/render/test_page_browser.py, 333 statements `hK = tanh(w*h{K-1} + b)` (1003 nodes),
written with `cgrad graph ... -o page.html` and opened from the file in Debian's headless chromium through
Selenium (chromium-driver), 1280×800, once untimed and then N times.  Per load, from the page's own
markers (performance.now(), ms since navigation started):

    ready   the first frame after the figure in view is drawn and every control works
            (body[data-ready]: the script has laid out the whole graph and wired every node)
    drawn   when the last slice of the rest of the figure is shown (body[data-drawn]; the page shows
            a big figure in view first, then the rest in slices while the browser is idle)

and the renderer's main-thread CPU milliseconds for all of it, parsing the page to the last slice (the
DevTools Performance domain's ThreadTime, which a busy machine stretches less than wall time), with the
load average.
Medians and the best load.  Skipped, saying why, where chromium, chromedriver or selenium is missing.
Target: ready < 1000 ms; 300 ms on an idle machine, so that it holds under load.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAM = "h0 = x\n" + "".join(f"h{k} = tanh(w*h{k - 1} + b)\n" for k in range(1, 334))
INPUTS = ["--x", "0.5", "--w", "0.9", "--b", "0.1"]


def missing() -> str | None:
    """Why the benchmark cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        return "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    return None


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_window_size(1280, 800)
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    return driver


def thread_ms(driver) -> float:
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return 1000 * next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def load(driver, path: Path) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get("about:blank")
    before = thread_ms(driver)
    driver.get(path.as_uri())
    body = driver.find_element(By.TAG_NAME, "body")
    WebDriverWait(driver, 60).until(lambda _: body.get_attribute("data-drawn") is not None)
    cpu = thread_ms(driver) - before
    nodes = driver.execute_script("return document.querySelectorAll('g.node').length")
    return {"ready_ms": float(body.get_attribute("data-ready")), "drawn_ms": float(body.get_attribute("data-drawn")),
            "cpu_ms": cpu, "nodes": nodes}


def run(quick: bool = False) -> dict:
    why = missing()
    if why:
        return {"skipped": why}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.html"
        cgrad = Path(sys.executable).with_name("cgrad")
        subprocess.run([str(cgrad) if cgrad.exists() else "cgrad", "graph", PROGRAM, *INPUTS, "-o", str(path)],
                       check=True)
        driver = browser()
        try:
            load(driver, path)  # untimed: the browser's own first start
            loads = [load(driver, path) for _ in range(3 if quick else 9)]
        finally:
            driver.quit()
        size = path.stat().st_size
    figures = {"loads": len(loads), "load": os.getloadavg()[0], "bytes": size, "nodes": loads[0]["nodes"]}
    for key in ("ready_ms", "drawn_ms", "cpu_ms"):
        values = [x[key] for x in loads]
        figures[key] = statistics.median(values)
        figures["best_" + key] = min(values)
    return figures


def report(f: dict) -> str:
    if "skipped" in f:
        return "   skipped: " + f["skipped"]
    return (f"   1003-node page, {f['bytes'] / 1e6:.2f} MB, {f['loads']} loads in chromium (load average "
            f"{f['load']:.1f}); median (best):\n"
            f"   ready (interactive, the figure in view drawn)  {f['ready_ms']:5.0f} ms ({f['best_ready_ms']:.0f})"
            f"   (target: < 1000 ms; 300 ms idle)\n"
            f"   drawn (the whole figure shown)                  {f['drawn_ms']:5.0f} ms ({f['best_drawn_ms']:.0f})"
            f"   main-thread CPU for all of it {f['cpu_ms']:4.0f} ms ({f['best_cpu_ms']:.0f})")

