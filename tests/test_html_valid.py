"""Every page type, in every language, is valid HTML by the Nu Html Checker (vnu.jar).

The checker comes from npm (``vnu-jar``) and needs Java; ``.ci/run`` installs
both. Where either is missing the test is skipped, loudly; with ``CI=true`` it
fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from kiosk.usage.recorder import every_figure
from kiosk.usage.release import release_day

from .conftest import ROOT, SHIPPED_TAGS, signed_in

CHECKER = Path(os.environ.get("VNU_JAR", ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"))
PAGES = [
    "/{tag}/", "/{tag}/?size=3&contrast=high", "/{tag}/topics/relationships", "/{tag}/articles/consent",
    "/{tag}/articles/intimacy?size=4", "/{tag}/articles/consent?compare={other}", "/{tag}/search?q=consent",
    "/{tag}/search?q=zzzz", "/{tag}/search", "/{tag}/about", "/{tag}/articles/consent/handout",
    "/{tag}/articles/consent/handout?with={other}", "/{tag}/no-such-page",
]


def checker_missing() -> str | None:
    if not shutil.which("java"):
        return "no Java runtime (apt-get install default-jre-headless)"
    if not CHECKER.is_file():
        return f"no {CHECKER} (npm install vnu-jar, or set VNU_JAR)"
    return None


@pytest.fixture(scope="module")
def checker():
    missing = checker_missing()
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the HTML CHECKER cannot run: {missing}")
    if missing:
        pytest.skip(f"HTML CHECKER NOT RUN: {missing}")
    return CHECKER


def test_every_page_type_in_every_language_is_valid_html(checker, client, staff_app, tmp_path):
    files = []
    for tag in SHIPPED_TAGS:
        other = "ar" if tag != "ar" else "en"
        for number, address in enumerate(PAGES):
            response = client.get(address.format(tag=tag, other=other))
            assert response.mimetype == "text/html"
            files.append(tmp_path / f"{tag}-{number}.html")
            files[-1].write_bytes(response.data)
    staff = signed_in(staff_app)
    for back in (2, 1):  # released usage figures, so that the Use screen draws its charts
        release_day(staff_app.instance_path, date.today() - timedelta(days=back), {"sessions": 9},
                    every_figure(staff_app), 1.0)
    for name, address in (("staff-dashboard", "/staff/"), ("staff-login", "/staff/login"), ("staff-use", "/staff/use")):
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes((staff_app.test_client() if name == "staff-login" else staff).get(address).data)
    result = subprocess.run(["java", "-jar", str(checker), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [(Path(m.get("url", "")).name, m.get("lastLine"), m["message"]) for m in messages if m["type"] == "error"]
    assert errors == []
