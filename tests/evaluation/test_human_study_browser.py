"""End to end in a real headless browser: the study page shows images, saves judgments, reports.

Needs Chromium, its chromedriver and Selenium (Debian:
`apt-get install chromium chromium-driver`, `pip install selenium`); skipped
with the reason when one is missing. Selenium Manager is never used (the
driver's path is given), so nothing is downloaded.
"""

import json
import os
import shutil
import time
import urllib.request

import numpy as np
import pytest

from keras_gen.evaluation import human_study
from keras_gen.evaluation.human_study import HumanStudy
from keras_gen.evaluation.human_study import hype_report
from keras_gen.evaluation.human_study import read_judgments
from keras_gen.evaluation.human_study import serve_study

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

WAIT_SECONDS = 20


def find_program(*names):
    for name in names:
        path = shutil.which(name) or next(
            (p for p in (f"/usr/bin/{name}", f"/usr/lib/chromium/{name}") if os.access(p, os.X_OK)),
            None)
        if path:
            return path
    return None


@pytest.fixture
def browser(tmp_path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium; it is in the `test` extra)")
    chromium = find_program("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    if chromium is None:
        pytest.skip("no Chromium/Chrome browser found (Debian: apt-get install chromium chromium-driver)")
    chromedriver = find_program("chromedriver")
    if chromedriver is None:
        pytest.skip("no chromedriver found (Debian: apt-get install chromium-driver)")

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--window-size=800,800",
                     f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.set_script_timeout(WAIT_SECONDS)
        yield driver
    finally:
        driver.quit()


def wait_for(condition, message):
    """Polls `condition()` until it is truthy; fails after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {WAIT_SECONDS} s waiting for {message}")


def shown_image(driver):
    """(token, natural width, natural height) of a loaded image with enabled buttons, or None."""
    return driver.execute_script("""
        const image = document.getElementById("stimulus");
        const ready = !image.hidden && image.complete && image.naturalWidth > 0
                      && !document.getElementById("judge-real").disabled;
        const src = image.getAttribute("src") || "";
        return ready ? [decodeURIComponent(src.split("/image/")[1]),
                        image.naturalWidth, image.naturalHeight] : null;
    """)


def get_report(url):
    with urllib.request.urlopen(url + "report", timeout=WAIT_SECONDS) as response:
        return json.load(response)


def test_judging_in_a_headless_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    rng = np.random.default_rng(0)
    np.save(tmp_path / "samples.npy", rng.uniform(-1, 1, (2, 28, 28, 1)).astype("float32"))
    (tmp_path / "real").mkdir()
    for i in range(2):
        pixels = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        (tmp_path / "real" / f"digit_{i}.png").write_bytes(human_study.encode_png(pixels))
    output = tmp_path / "judgments.jsonl"
    study = HumanStudy(tmp_path / "samples.npy", tmp_path / "real", output=output, seed=0)
    server, url = serve_study(study)
    try:
        browser.get(url)

        # An image is shown: the study's first, 28x28, named by an opaque token.
        token, width, height = wait_for(lambda: shown_image(browser), "the first image")
        assert token == study.next_trial()["token"] and (width, height) == (28, 28)
        assert browser.find_element(By.ID, "progress").text == "Image 1 of 4"

        # A click saves that judgment at once.
        browser.find_element(By.ID, "judge-real").click()
        wait_for(lambda: output.exists() and len(read_judgments(str(output))) == 1, "the saved judgment")
        (record,) = read_judgments(str(output))
        first = study.images[0]
        assert (record["image"], record["label"], record["judgment"]) == (first.key, first.label, "real")
        assert record["response_ms"] >= 0
        report = get_report(url)
        assert report == hype_report([record])
        if first.label == "fake":
            assert report["fake_judged_real"] | {"ci": None} == {
                "rate": 1.0, "ci": None, "errors": 1, "total": 1}
        else:
            assert report["real_judged_fake"] | {"ci": None} == {
                "rate": 0.0, "ci": None, "errors": 0, "total": 1}

        # The rest: one by keyboard, two by the buttons; then the page shows the report.
        answers = ["real", "fake", "real", "fake"]
        for position in (2, 3, 4):
            wait_for(lambda: browser.find_element(By.ID, "progress").text
                     == f"Image {position} of 4" and shown_image(browser), f"image {position}")
            if position == 2:
                browser.find_element(By.TAG_NAME, "body").send_keys("f")
            else:
                browser.find_element(By.ID, f"judge-{answers[position - 1]}").click()
        wait_for(lambda: browser.find_element(By.ID, "report").is_displayed(), "the final report")

        records = read_judgments(str(output))
        assert [r["image"] for r in records] == [im.key for im in study.images]
        assert [r["judgment"] for r in records] == answers
        report = get_report(url)
        assert report == hype_report(records) == study.report()
        errors = {label: sum(r["judgment"] != label for r in records if r["label"] == label)
                  for label in ("fake", "real")}
        assert report["fake_judged_real"]["rate"] == errors["fake"] / 2
        assert report["real_judged_fake"]["rate"] == errors["real"] / 2
        assert report["hype_infinity"]["rate"] == (errors["fake"] + errors["real"]) / 4
        for key in ("fake_judged_real", "real_judged_fake", "hype_infinity"):
            row = browser.find_element(By.ID, f"report-{key}")
            assert float(row.get_attribute("data-rate")) == report[key]["rate"]
            assert f"{100 * report[key]['rate']:.1f}%" in row.text
        assert browser.find_element(By.ID, "progress").text == "All images judged. Thank you!"
        assert browser.find_element(By.ID, "message").text == ""
    finally:
        server.shutdown()
        server.server_close()

    # Restarted: nothing left to show, the same report.
    resumed = HumanStudy(tmp_path / "samples.npy", tmp_path / "real", output=output, seed=0)
    assert resumed.next_trial()["done"] and resumed.report() == report
