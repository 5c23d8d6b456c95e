"""A real Chromium (Debian's package) driven by Playwright, against the kiosk served by waitress.

When Chromium is not installed the browser tests are skipped, loudly; with
``CI=true`` (as ``.ci/run`` sets) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

from kiosk import create_app
from kiosk.deploy.launcher import DISABLED_FEATURES

from ..conftest import LiveKiosk, seeded

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin",
    "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch",
    "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
)
"""What Playwright turns off in its own ``--disable-features`` (its chromiumSwitches.ts).

Chromium keeps only the last ``--disable-features`` it is given, and ours comes after Playwright's:
so ours names Playwright's too, or they would be on again (``test_chromium_flags.py`` checks it)."""
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-gpu", "--disable-quic",
    "--disable-features=" + ",".join(dict.fromkeys(PLAYWRIGHT_DISABLED_FEATURES + DISABLED_FEATURES)),
    "--autoplay-policy=no-user-gesture-required",
]
"""The kiosk's own features off (as its launcher has them), and what the tests need."""


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    browser_items = [item for item in items if "browser" in item.keywords]
    if os.environ.get("CI") == "true" and browser_items:
        raise pytest.UsageError("CI=true but Chromium is not installed: the browser tests are mandatory in CI")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))


@pytest.fixture(scope="session")
def live_kiosk(tmp_path_factory):
    """The shipped kiosk, served for real."""
    with LiveKiosk(create_app({"instance": seeded(tmp_path_factory.mktemp("live-instance"))})) as kiosk:
        yield kiosk


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run."""
    from playwright.sync_api import expect, sync_playwright
    # An expectation waits for its condition as long as an action waits for its element (Playwright's own
    # default is 5 s, which a keyboard fetched on a touch exceeded on a machine running four test workers).
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh, isolated browser context and page for each test."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    page = context.new_page()
    yield page
    context.close()


PORTRAIT = {"width": 1080, "height": 1920}


@pytest.fixture
def touch(browser):
    """New pages on a touch screen of the given size (portrait unless asked), each in a context of its own."""
    contexts = []

    def open_page(viewport=PORTRAIT, **options):
        context = browser.new_context(viewport=viewport, has_touch=True, **options)
        contexts.append(context)
        return context.new_page()
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def touch_page(touch):
    """One page on a portrait touch screen."""
    return touch()


@pytest.fixture(scope="module")
def shared_page(browser):
    """A ``page`` shared by a module's tests that load an address and look (or print it), each loading
    its own address first: a page of its own costs a new renderer process with cold caches (see ``screens``)."""
    context = browser.new_context(viewport=PORTRAIT)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def screens(browser):
    """Touch screens shared by a module's tests that load an address and look: one page for each size,
    which every such test loads afresh before it looks.

    A page of its own costs a new renderer process with cold caches (half a second on a quiet 2-core
    machine, more on a loaded one). A test that installs a clock, routes requests, adds a script or
    emulates print keeps to ``touch``, which gives it a context of its own.
    """
    pages = {}

    def screen(viewport=PORTRAIT):
        size = (viewport["width"], viewport["height"])
        if size not in pages:
            pages[size] = browser.new_context(viewport=viewport, has_touch=True).new_page()
        return pages[size]
    yield screen
    for page in pages.values():
        page.context.close()
