"""A kiosk fed by real Syncthing: the publisher's Send Only folder, the kiosk's Receive Only copy.

Two Syncthing instances run on loopback with homes of their own, no discovery and
no relays (``tests/syncthing_pair.py``); a real kiosk on waitress serves the
receiving folder. It takes a version published on the other side, and while a
large file of the next version is still arriving it keeps serving the last one.
Skipped, and said so, where Syncthing is not installed; mandatory under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from kiosk import create_app
from kiosk.content.manifest import MANIFEST, publish
from kiosk.deploy.readiness import run_checks

from .conftest import CONTENT, ROOT, free_port, wait_until_answering
from .syncthing_pair import SyncthingPair, syncthing_available

if syncthing_available() is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("syncthing is not installed, and CI must run the fleet test (apt-get install syncthing)")
    pytest.skip("syncthing is not installed (apt-get install syncthing): the fleet test did not run",
                allow_module_level=True)

WATER = """---
title: Drinking water
summary: Why water matters, and how much is enough.
topics: [getting-help]
revision: 1
attribution: "© Test"
licence: CC BY 4.0
publisher_pdf: water.pdf
---

Water keeps you well.
"""


def get(base: str, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def health(base: str) -> dict:
    return json.loads(get(base, "/healthz")[1])


def test_a_kiosk_fed_by_syncthing_takes_each_published_version_and_never_half_of_one(tmp_path):
    with SyncthingPair(tmp_path / "sync") as pair:
        shutil.copytree(CONTENT, pair.publisher_folder, dirs_exist_ok=True)
        publish(pair.publisher_folder, "v1")
        pair.rescan()
        pair.wait_in_sync(timeout=60)

        port = free_port()
        code = ("from waitress import serve; from kiosk import create_app; "
                f"serve(create_app({{'instance': {str(tmp_path / 'instance')!r}, "
                f"'content': {str(pair.kiosk_folder)!r}, 'content_poll_seconds': 0.2}}), "
                f"host='127.0.0.1', port={port}, threads=4, ident=None)")
        server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(base, server)
            status = health(base)
            assert status["content_version"] == "v1" and status["content_published"] is True
            app = create_app({"TESTING": True, "instance": tmp_path / "instance-check",
                              "content": pair.kiosk_folder})
            line = next(str(check) for check in run_checks(app, path="") if check.name == "content updates")
            assert "a Syncthing folder, published version v1" in line

            # A new article with a large publisher PDF, sent slowly: it takes seconds to arrive. v2 is
            # made and published apart, then put in the publisher's folder manifest first: the folder
            # is scanned every 2 s, and a scan between the PDF and the manifest that names it sent the
            # PDF first (Syncthing pulls a file it learns of later after the ones it is pulling).
            pair.set_send_rate(1000)
            staging = tmp_path / "v2"
            shutil.copytree(pair.publisher_folder, staging, ignore=shutil.ignore_patterns(".st*"))
            article = staging / "articles" / "water"
            article.mkdir()
            (article / "en.md").write_text(WATER, encoding="utf-8")
            large = b"%PDF-1.4\n" + os.urandom(8 * 1024 * 1024) + b"\n%%EOF\n"
            (article / "water.pdf").write_bytes(large)
            publish(staging, "v2")
            (pair.publisher_folder / "articles" / "water").mkdir()
            for name in (MANIFEST, "articles/water/en.md", "articles/water/water.pdf"):
                os.replace(staging / name, pair.publisher_folder / name)
            pair.rescan()

            seen_waiting = False
            looked: list[tuple] = []  # what each look found, for a failure to show
            deadline = time.monotonic() + 120
            while True:
                # The article first, then the version: had v2 been served for the article, the
                # version asked for after it could not still be v1.
                water = get(base, "/en/articles/water")[0]
                status = health(base)
                arrived = pair.status()
                looked.append((round(time.monotonic() - deadline + 120, 2), status["content_version"],
                               status["content_waiting"], arrived["completion"].get("completion")))
                if status["content_version"] == "v1":
                    assert water == 404  # nothing of v2 while it arrives
                    if status["content_waiting"] and status["content_waiting"]["version"] == "v2":
                        seen_waiting = True
                else:
                    assert status["content_version"] == "v2"
                    break
                assert time.monotonic() < deadline, f"v2 never taken: {status}, {arrived}"
                time.sleep(0.2)
            assert seen_waiting, looked  # the kiosk saw v2 arriving, and said so, before it was complete
            code, page = get(base, "/en/articles/water")
            assert code == 200 and b"Water keeps you well." in page
            assert get(base, "/en/articles/water/handout.pdf") == (200, large)
        finally:
            server.terminate()
            server.wait(timeout=10)
