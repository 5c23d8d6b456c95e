"""What Chromium is started with: by the kiosk's launcher on a kiosk, and by Playwright for these tests.

The address bar's suggestion list is a web page of its own (``chrome://omnibox-popup.top-chrome``)
that Chromium keeps loaded, in a renderer process of its own, beside every window, and redraws at
every navigation. A kiosk shows no address bar: its launcher turns the page off, and the tests'
Chromium does as the kiosk's does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from kiosk.deploy.launcher import DISABLED_FEATURES, browser_command

from .conftest import CHROMIUM

pytestmark = pytest.mark.browser

ADDRESS_BAR_PAGE = "chrome://omnibox-popup"


def every_target(browser) -> list[dict]:
    """Every target the browser has: tabs, and its own pages (``browser_ui``)."""
    session = browser.new_browser_cdp_session()
    try:
        return session.send("Target.getTargets", {"filter": [{}]})["targetInfos"]
    finally:
        session.detach()


def test_the_tests_chromium_still_has_off_every_feature_playwright_turns_off(browser):
    session = browser.new_browser_cdp_session()
    process = next(info for info in session.send("SystemInfo.getProcessInfo")["processInfo"] if info["type"] == "browser")
    session.detach()
    arguments = Path(f"/proc/{process['id']}/cmdline").read_text().split("\0")
    lists = [argument.split("=", 1)[1].split(",") for argument in arguments if argument.startswith("--disable-features=")]
    assert len(lists) >= 2, arguments  # Playwright's own, then ours
    # Chromium takes the last one alone.
    assert {feature for features in lists for feature in features} == set(lists[-1])
    assert set(DISABLED_FEATURES) <= set(lists[-1])


def test_the_tests_chromium_loads_no_address_bar_page(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/")
    targets = every_target(page.context.browser)
    assert any(target["url"] == f"{live_kiosk.url}/en/" for target in targets), targets
    assert not [target for target in targets if target["url"].startswith(ADDRESS_BAR_PAGE)]


def test_a_kiosk_started_by_its_launcher_loads_no_address_bar_page(browser, live_kiosk):
    """The launcher's own command line, on Debian's Chromium, headless (no display here) and open to DevTools."""
    address = f"{live_kiosk.url}/en/"
    with tempfile.TemporaryDirectory() as profile:
        command = browser_command(CHROMIUM, address, profile, as_root=os.geteuid() == 0)
        command[1:1] = ["--headless", "--remote-debugging-port=0"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = devtools_port(Path(profile), process)
            kiosk_browser = browser.browser_type.connect_over_cdp(f"http://127.0.0.1:{port}")
            shown = shown_page(kiosk_browser)
            shown.wait_for_url(address)
            shown.wait_for_load_state("load")
            targets = every_target(kiosk_browser)
            kiosk_browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert [target["url"] for target in targets if target["type"] == "page"] == [address]
    assert not [target for target in targets if target["url"].startswith(ADDRESS_BAR_PAGE)], targets


def shown_page(browser):
    """The page a browser started on an address shows, once Playwright has it (it may come after connecting)."""
    context = browser.contexts[0]
    return context.pages[0] if context.pages else context.wait_for_event("page")


def devtools_port(profile: Path, process: subprocess.Popen, seconds: float = 60) -> int:
    """The port Chromium chose for DevTools, from the file it writes into its profile once listening."""
    written = profile / "DevToolsActivePort"
    deadline = time.monotonic() + seconds
    while not (written.exists() and written.read_text().strip()):
        assert process.poll() is None, f"Chromium exited with code {process.returncode}"
        assert time.monotonic() < deadline, "Chromium never opened DevTools"
        time.sleep(0.05)
    return int(written.read_text().split()[0])
