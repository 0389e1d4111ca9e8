"""The web UI suite: headless Chromium (Debian's chromium and chromium-driver)
drives the real gateway binary, started against the mock provider.

Without chromium the suite is skipped, except under CI=true, where it fails:
.ci/run installs both packages, so a missing browser there is a broken setup.
Screenshots of every page go to a directory under pytest's tmp path, printed
at the end of the run together with page-load timings.
"""

import importlib.util
import json
import os
import pathlib
import shutil
import urllib.error
import urllib.request

import pytest

HERE = pathlib.Path(__file__).resolve().parent

# The SDK suite's process helpers (start a binary, wait for its "listening
# on" line) are reused as they are; loaded under another module name because
# both directories have a conftest.py.
_spec = importlib.util.spec_from_file_location("sdk_conftest", HERE.parent / "python" / "conftest.py")
sdk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sdk)

MASTER_KEY = sdk.MASTER_KEY
SCREENSHOTS = {"dir": None}
TIMINGS = []


def chromium_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return browser, driver


# The same mock provider and gateway as the SDK suite (its `gpt` group
# points at the mock), started once for this suite.
mock_url = sdk.mock_url
gateway_url = sdk.gateway_url


class Api:
    """Plain HTTP to the gateway, for checks behind what the browser shows."""

    def __init__(self, base, key=MASTER_KEY):
        self.base = base
        self.key = key

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {self.key}", "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text.decode(errors="replace")


@pytest.fixture(scope="session")
def api(gateway_url):
    return Api(gateway_url)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ui-screenshots")
    SCREENSHOTS["dir"] = directory
    return directory


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    browser_path, driver_path = chromium_paths()
    if not (browser_path and driver_path):
        message = "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"UI suite under CI: {message}", pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ]:
        options.add_argument(flag)
    # The given chromedriver path keeps Selenium Manager from downloading one.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS["dir"] is not None:
        terminalreporter.write_line(f"UI screenshots: {SCREENSHOTS['dir']}")
    if TIMINGS:
        terminalreporter.write_line("UI timings (ms, in the browser):")
        for name, elapsed in TIMINGS:
            terminalreporter.write_line(f"  {name:<48} {elapsed:8.1f}")
