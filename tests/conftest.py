"""Shared fixtures and helpers: the app over the shipped library or fixture folders, a CLI runner,
a free port, an instance folder of a test's own, and signing in to the staff screens."""

from __future__ import annotations

import atexit
import functools
import gc
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.content.serving import content_holder, get_library
from kiosk.deploy.command import make_server
from kiosk.i18n import COMPILED_TEMPLATES
from kiosk.languages import LANGUAGES
from kiosk.patron.article_pages import article_pages
from kiosk.staff.pin import set_pin
from kiosk.staff.sessions import COOKIE as STAFF_COOKIE
from kiosk.staff.sessions import staff_sessions

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_TAGS = [language.tag for language in LANGUAGES]
SLUGS = ["intimacy", "consent", "boundaries", "healthy-relationships", "talking-about-feelings",
         "when-something-is-not-okay"]
STAFF_PIN = "482913"
# The languages a test's own kiosk offers unless the test asks for others: one written left to
# right and one right to left. A kiosk's start is mostly its layouts, eight for each language;
# with all twelve it took three times as long, in tests that are not about how many there are.
# A test about every language says ``languages=EVERY_LANGUAGE``.
TEST_LANGUAGES = "en,ar"
EVERY_LANGUAGE = ",".join(SHIPPED_TAGS)


class LiveKiosk:
    """A kiosk served by waitress, set up exactly as ``reading-kiosk`` serves it, on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server(app, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        # waitress's own run() loops until its sockets are closed under it; closing them from this
        # thread, between two turns of the loop, stops it without a select() on a closed socket.
        while not self._stopping.is_set():
            self.server.asyncore.loop(timeout=0.2, map=self.server._map, count=1)
        self.server.task_dispatcher.shutdown()
        self.server.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        self.server.pull_trigger()
        self.thread.join(timeout=30)


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(base: str, server: subprocess.Popen, path: str = "/healthz", timeout: float = 180) -> None:
    """Wait until the kiosk ``server`` started at ``base`` answers ``path`` with 200 (a loaded machine starts it
    slowly); fail at once if it ended instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the kiosk ended as it started (exit {server.returncode})"
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the kiosk did not answer {path} within {timeout} s")


@functools.cache
def _first_start() -> Path:
    """An instance folder as a first start of the shipped kiosk leaves it, its background work done."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-first-start-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    app = create_app({"TESTING": True, "instance": folder})
    content = content_holder(app).current
    content.index.result()  # the index built, and with it the start-up cache kept
    content.words.result()
    assert article_pages(app).wait_until_built()  # and every article page, so none is rendered again
    # A test's own kiosk offers TEST_LANGUAGES: its pages (rendered for the languages offered) are kept too.
    assert article_pages(create_app({"TESTING": True, "instance": folder, "languages": TEST_LANGUAGES})
                         ).wait_until_built()
    return folder


def seeded(instance: Path) -> Path:
    """``instance``, an instance folder as the shipped kiosk's first start leaves it.

    Compiling every language's templates, parsing and indexing the library and rendering its
    article pages are most of a kiosk's first start (two to three seconds); a test about
    something else starts its kiosk as a restarted one does. The compiled templates are
    linked, not copied (the kiosk replaces such a file whole, never writes into one); the
    rest is copied, as the kiosk writes into them. A kiosk over another content folder
    finds a start-up cache of another library, and reads its own as after a change.
    """
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    first = _first_start()
    for kept in first.iterdir():
        if kept.name == COMPILED_TEMPLATES:
            shutil.copytree(kept, instance / COMPILED_TEMPLATES, copy_function=_link_once, dirs_exist_ok=True)
        elif kept.is_file() and not (instance / kept.name).exists():
            shutil.copy2(kept, instance / kept.name)
    return instance


def _link_once(source: str, target: str) -> None:
    if not os.path.exists(target):
        os.link(source, target)


@pytest.fixture
def own_instance(tmp_path, monkeypatch):
    """An instance folder for kiosks started by this test (so a developer's PIN or settings never leak in),
    as the shipped kiosk's first start leaves it."""
    monkeypatch.setenv("KIOSK_INSTANCE", str(seeded(tmp_path / "instance")))
    return tmp_path / "instance"


@functools.cache
def _pin_files() -> Path:
    """A folder holding the files ``set_pin`` writes for ``STAFF_PIN``, written once: scrypt takes a
    tenth of a second, and most staff tests start with the PIN set."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-staff-pin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    set_pin(folder, STAFF_PIN)
    return folder


@pytest.fixture
def staff_instance(tmp_path):
    """An instance folder with the staff PIN set."""
    folder = seeded(tmp_path / "staff-instance")
    for written in _pin_files().iterdir():
        shutil.copy2(written, folder / written.name)
    return folder


@pytest.fixture
def staff_app(staff_instance):
    """The shipped kiosk with a staff PIN, in ``TEST_LANGUAGES``."""
    return create_app({"TESTING": True, "instance": staff_instance, "languages": TEST_LANGUAGES})


def pin_form_token(client) -> str:
    """The one-time token of a fresh PIN form."""
    page = client.get("/staff/login").get_data(as_text=True)
    return re.search(r'name="nonce" value="([^"]+)"', page).group(1)


def sign_in(client, pin: str = STAFF_PIN):
    """Send ``pin`` on the PIN form, as staff would."""
    return client.post("/staff/login", data={"nonce": pin_form_token(client), "pin": pin})


def csrf_token(client) -> str:
    """The form token of the signed-in staff session."""
    page = client.get("/staff/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app):
    """A test client with an unlocked staff session, opened as the right PIN opens one.

    The PIN's own tests send it on the form (``sign_in``); the others start from here, as the
    check of a PIN is scrypt's tenth of a second, a hundred times a run.
    """
    client = app.test_client()
    client.set_cookie(STAFF_COOKIE, staff_sessions(app).start().token, path="/staff")
    return client


@pytest.fixture(scope="session")
def instance(tmp_path_factory):
    """An empty instance folder, so a developer's own saved settings or PIN never leak into tests."""
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app(instance):
    """The kiosk over the shipped library, as `make run` serves it (read-only, so shared)."""
    return create_app({"TESTING": True, "instance": instance})


@pytest.fixture
def client(app):
    """A test client for the shipped kiosk."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask --app kiosk ...` commands."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def shipped_library(app):
    """The shipped library as loaded at start-up."""
    with app.app_context():
        return get_library()


@pytest.fixture(scope="session")
def mixed_app(instance):
    """The kiosk over tests/fixtures/mixed: good articles beside every kind of broken file."""
    return create_app({"TESTING": True, "content": FIXTURES / "mixed", "instance": instance})


@pytest.fixture
def mixed_client(mixed_app):
    """A test client for the mixed fixture library."""
    return mixed_app.test_client()


@pytest.fixture
def make_app(tmp_path):
    """Build a kiosk with other settings, e.g. ``make_app(content=folder)``, in ``TEST_LANGUAGES`` unless given."""
    def build(**config):
        return create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "languages": TEST_LANGUAGES,
                           **config})
    return build


def pytest_collection_finish(session):
    """Every test module and what it imports is loaded: the garbage collector leaves those objects alone.

    A kiosk gives back memory with a full collection (after building, at each session's end),
    which in a test process would otherwise walk every test module's and pytest's own objects
    too (some sixty thousand and more) each time.
    """
    gc.freeze()


_tests_since_frozen = 0
FROZEN_EVERY = 20
"""Tests between two freezes of what has lived on: modules imported since (WeasyPrint's, Playwright's),
the fixtures of a module or the run. What a finished test left as garbage is collected first."""


def pytest_runtest_logfinish(nodeid, location):
    global _tests_since_frozen
    _tests_since_frozen += 1
    if _tests_since_frozen >= FROZEN_EVERY:
        _tests_since_frozen = 0
        gc.collect()
        gc.freeze()


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the real browser or the real print server were not used."""
    reasons = {str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
               for report in terminalreporter.stats.get("skipped", [])}
    missing = sorted(reason for reason in reasons
                     if "Chromium is not installed" in reason or "REAL PRINT SERVER" in reason
                     or "HTML CHECKER NOT RUN" in reason)
    if missing:
        terminalreporter.write_sep("!", "SOME TESTS DID NOT RUN", red=True, bold=True)
        for reason in missing:
            terminalreporter.write_line(f"  {reason.removeprefix('Skipped: ')}", red=True, bold=True)
        terminalreporter.write_line("  Install them (see README) to run the whole suite; CI runs everything.",
                                    red=True)
