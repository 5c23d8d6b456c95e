"""What Chromium is started with: by the kiosk's launcher on a kiosk, and by Playwright for these tests.

The address bar's suggestion list is a web page of its own (``chrome://omnibox-popup.top-chrome``)
that Chromium keeps loaded, in a renderer process of its own, beside every window, and redraws at
every navigation. A kiosk shows no address bar: its launcher turns the page off, and the tests'
Chromium does as the kiosk's does.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
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


def test_a_kiosk_started_by_its_launcher_loads_no_address_bar_page(live_kiosk):
    """The launcher's own command line, on Debian's Chromium, headless (no display here) and open to DevTools."""
    address = f"{live_kiosk.url}/en/"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        command = browser_command(CHROMIUM, address, profile, as_root=os.geteuid() == 0)
        command[1:1] = ["--headless", "--remote-debugging-port=0"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            targets = targets_once_shown(devtools_port(Path(profile), process), address)
            # Each page of the browser's own is drawn by a renderer process marked as such.
            own_pages = [pid for pid in os.listdir("/proc") if pid.isdigit() and "--top-chrome-webui" in command_line(pid)
                         and profile in command_line(pid)]
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert [target["url"] for target in targets if target["type"] == "page"] == [address]
    assert not [target for target in targets if target["url"].startswith(ADDRESS_BAR_PAGE)], targets
    assert own_pages == []


def command_line(pid: str) -> str:
    """A process's command line, its arguments joined by spaces ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def targets_once_shown(port: int, address: str, seconds: float = 60) -> list[dict]:
    """What DevTools lists (pages, and the browser's own: ``browser_ui``) once ``address`` is shown with its title."""
    deadline = time.monotonic() + seconds
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        if any(target["url"] == address and target.get("title") not in ("", address) for target in targets):
            return targets
        assert time.monotonic() < deadline, targets
        time.sleep(0.05)


def devtools_port(profile: Path, process: subprocess.Popen, seconds: float = 60) -> int:
    """The port Chromium chose for DevTools, from the file it writes into its profile once listening."""
    written = profile / "DevToolsActivePort"
    deadline = time.monotonic() + seconds
    while not (written.exists() and written.read_text().strip()):
        assert process.poll() is None, f"Chromium exited with code {process.returncode}"
        assert time.monotonic() < deadline, "Chromium never opened DevTools"
        time.sleep(0.05)
    return int(written.read_text().split()[0])
