"""run_kiosk.py: the program `make run` calls. It serves with waitress and writes nothing about patrons."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from kiosk.settings import SETTINGS

from .conftest import ROOT, free_port

pytestmark = pytest.mark.usefixtures("own_instance")


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "run_kiosk.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, **kwargs)


def test_help_lists_every_setting_with_its_variable():
    result = run("--help")
    assert result.returncode == 0
    for setting in SETTINGS:
        assert setting.flag in result.stdout
        assert setting.env in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "--port"),
    (["--idle-seconds", "soon"], "--idle-seconds"),
    (["--content", "/no/such/folder"], "does not exist"),
    (["--default-language", "xx"], "--default-language"),
])
def test_bad_settings_stop_with_a_clear_message(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr



def test_serves_pages_and_logs_nothing_about_the_visit():
    port = free_port()
    process = subprocess.Popen([sys.executable, "run_kiosk.py", "--port", str(port), "--no-browser"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # however long a loaded machine takes to start it
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the kiosk never answered"
                time.sleep(0.1)
        visited = ["/es/articles/consent", "/fr/search?q=secretword", "/ar/topics/getting-help",
                   "/en/articles/when-something-is-not-okay?size=3"]
        for path in visited:
            assert urllib.request.urlopen(base + path, timeout=5).status == 200
        try:
            urllib.request.urlopen(base + "/en/articles/not-there", timeout=5)
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=120)
    assert "Reading kiosk ready" in output
    for trace in ("consent", "secretword", "getting-help", "when-something", "not-there", "/es/", "GET"):
        assert trace not in output, (trace, output)
