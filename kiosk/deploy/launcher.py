"""The full-screen browser: found, started with kiosk flags, restarted if it dies, stopped cleanly.

Each start gets a fresh throwaway profile folder, removed when the browser
exits, so nothing a patron did survives a browser restart either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SHORTEST_DELAY = 1.0
LONGEST_DELAY = 60.0
HEALTHY_RUN_SECONDS = 30.0
"""A browser that ran this long before exiting is restarted at once; a quicker exit doubles the wait."""
DISABLED_FEATURES = (
    "Translate", "TranslateUI", "OverscrollHistoryNavigation", "MediaRouter",
    # The address bar's list of suggestions is a web page of its own, kept loaded in a renderer
    # process of its own beside every window and redrawn at every navigation. A kiosk has no
    # address bar, so it is memory and CPU spent on nothing.
    "WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup",
)
"""Chromium features a kiosk turns off (Chromium keeps only the last ``--disable-features`` given)."""


def find_browser(path: str | None = None) -> str | None:
    """The first Chromium or Chrome on ``PATH``."""
    for name in BROWSER_NAMES:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def display_available(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether there is a graphical display to show a browser on."""
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def browser_command(browser: str, url: str, profile: str, as_root: bool) -> list[str]:
    """The command line of a locked-down, full-screen browser on ``url``."""
    command = [
        browser,
        "--kiosk",
        "--kiosk-printing",  # the Print button prints at once, on the default printer
        "--incognito",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--noerrdialogs",
        "--disable-session-crashed-bubble",
        "--disable-infobars",
        "--disable-translate",
        f"--disable-features={','.join(DISABLED_FEATURES)}",
        "--disable-pinch",
        "--overscroll-history-navigation=0",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--autoplay-policy=no-user-gesture-required",  # read-aloud goes on from part to part
        "--password-store=basic",
    ]
    if as_root:
        command.append("--no-sandbox")  # Chromium refuses to start as root without it
    return command + [url]


class BrowserSupervisor:
    """Keeps one browser running until stopped; waits longer and longer if it keeps dying at once."""

    def __init__(self, browser: str, url: str, *, shortest_delay: float = SHORTEST_DELAY,
                 longest_delay: float = LONGEST_DELAY, healthy_run: float = HEALTHY_RUN_SECONDS,
                 log: Callable[[str], None] = print):
        self.browser, self.url = browser, url
        self.shortest_delay, self.longest_delay, self.healthy_run = shortest_delay, longest_delay, healthy_run
        self.log = log
        self.starts = 0
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="kiosk-browser", daemon=True)

    def start(self) -> BrowserSupervisor:
        """Start the browser, and keep it running, in a background thread."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the browser and stop restarting it."""
        self._stop.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        delay = self.shortest_delay
        while not self._stop.is_set():
            began = time.monotonic()
            code = self._run_once()
            if self._stop.is_set():
                break
            ran = time.monotonic() - began
            delay = self.shortest_delay if ran >= self.healthy_run else min(delay * 2, self.longest_delay)
            self.log(f"browser exited with code {code}; starting it again in {delay:g} s")
            self._stop.wait(delay)

    def _run_once(self) -> int | None:
        profile = tempfile.mkdtemp(prefix="kiosk-browser-")
        try:
            command = browser_command(self.browser, self.url, profile, as_root=os.geteuid() == 0)
            with self._lock:
                if self._stop.is_set():
                    return None
                self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self.starts += 1
            return self._process.wait()
        except OSError as error:
            self.log(f"browser could not start: {error}")
            return None
        finally:
            shutil.rmtree(profile, ignore_errors=True)
