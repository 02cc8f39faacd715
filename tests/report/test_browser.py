"""The page in a real headless Chromium, opened from file:// with no network.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and Python ``selenium`` (test
extra); skipped, saying which is missing, only where they are not installed.
"""

from __future__ import annotations

import shutil

import pytest
from report.conftest import EVIL

from mmbench.report.inputs import collect
from mmbench.report.output import write_board

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian packages chromium and chromium-driver (apt-get install -y chromium "
    "chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1400,1000",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


#: Chromium's own resources (its UI's icons, loaded when it likes): never the network.
BROWSER_INTERNAL = ("chrome:", "chrome-extension:", "devtools:")


def _network_requests(driver) -> list[str]:
    """The URLs requested since the last call, Chromium's own resources left out (one of
    them, ``chrome://resources/images/icon_clear_old.svg``, was once requested after the
    start-up drain below, under load)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(BROWSER_INTERNAL):
                urls.append(url)
    return urls


def test_page_in_headless_chromium(browser, board_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    board, _ = write_board(collect([board_dir]), tmp_path, n_resamples=100)
    page = tmp_path / "index.html"
    _network_requests(browser)  # drain what the browser itself loaded at start-up
    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#table-overall tbody tr")
    assert len(rows) == len(board.models) == 4

    def first_column():
        cells = browser.find_elements(By.CSS_SELECTOR, "#table-overall tbody tr td:first-child")
        return [c.text for c in cells]

    before = first_column()
    header = browser.find_element(By.CSS_SELECTOR, "#table-overall th.name")
    header.click()
    after_click = first_column()
    assert after_click == sorted(before, key=str.lower) and after_click != before
    header.send_keys(Keys.ENTER)  # keyboard: the same header sorts the other way
    assert first_column() == after_click[::-1]

    panel = browser.find_element(By.ID, "panel-2")
    assert not panel.is_displayed()
    browser.find_element(By.ID, "tab-2").click()
    assert panel.is_displayed()
    assert not browser.find_element(By.ID, "panel-overall").is_displayed()
    assert panel.find_elements(By.CSS_SELECTOR, "img.plot")[0].get_property("naturalWidth") > 0

    # the sample browser: any two models, disagreement computed in the page
    from selenium.webdriver.support.select import Select

    first = panel.find_element(By.CSS_SELECTOR, "select.sb-a")
    second = panel.find_element(By.CSS_SELECTOR, "select.sb-b")
    titles = [h.text for h in panel.find_elements(By.CSS_SELECTOR, ".sb-out h4")]
    model_a = Select(first).first_selected_option.text
    assert titles[0] == f"worst samples of {model_a}"
    Select(first).select_by_visible_text("alpha-small")
    Select(second).select_by_visible_text(EVIL)
    table = panel.find_element(By.CSS_SELECTOR, ".sb-disagree")
    assert table.find_element(By.TAG_NAME, "h4").text == (
        f"where alpha-small and {EVIL} disagree most"
    )
    header = [th.text for th in table.find_elements(By.TAG_NAME, "th")]
    assert header[2:4] == ["alpha-small", EVIL]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 5  # a small board shows 5; these two differ on many samples
    # markup in predictions is shown as text, never parsed
    assert not panel.find_elements(By.CSS_SELECTOR, ".sb-out b")

    requests = _network_requests(browser)
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no CSP violation, no script error
    assert browser.execute_script("return window.alertCalled === undefined")

    png = browser.get_screenshot_as_png()
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("L")
    low, high = image.getextrema()
    assert high - low > 100  # not blank


def test_embedded_media_show_in_the_browser(browser, template, tmp_path):
    from report.synthetic import write_inputs
    from selenium.webdriver.common.by import By

    runs = tmp_path / "runs"
    write_inputs(
        runs, template, ["m1", "m2"], [("toy_asr", "asr")], n_samples=6, media_dir=tmp_path / "m"
    )
    write_board(collect([runs]), tmp_path / "board", n_resamples=50, embed_media=True)
    browser.get((tmp_path / "board" / "index.html").as_uri())
    browser.find_element(By.ID, "tab-1").click()
    images = browser.find_elements(By.CSS_SELECTOR, ".sb-out img")
    assert images and all(0 < i.get_property("naturalWidth") <= 128 for i in images)
    assert browser.find_elements(By.CSS_SELECTOR, ".sb-out audio")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
