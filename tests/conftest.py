"""Shared fixtures: the app over the shipped library, over fixture folders, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.content import get_library
from kiosk.languages import LANGUAGES

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_TAGS = [language.tag for language in LANGUAGES]


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
    """Build a kiosk with other settings, e.g. ``make_app(content=folder, languages="en,ar")``."""
    def build(**config):
        return create_app({"TESTING": True, "instance": tmp_path / "instance", **config})
    return build


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the real browser or the real print server were not used."""
    reasons = {str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
               for report in terminalreporter.stats.get("skipped", [])}
    missing = sorted(reason for reason in reasons
                     if "Chromium is not installed" in reason or "REAL PRINT SERVER" in reason)
    if missing:
        terminalreporter.write_sep("!", "SOME TESTS DID NOT RUN", red=True, bold=True)
        for reason in missing:
            terminalreporter.write_line(f"  {reason.removeprefix('Skipped: ')}", red=True, bold=True)
        terminalreporter.write_line("  Install them (see README) to run the whole suite; CI runs everything.",
                                    red=True)
