"""run_kiosk.py: the program `make run` calls. It serves with waitress and writes nothing about patrons."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest

from kiosk.settings import SETTINGS

from .conftest import ROOT
from .kiosk_process import kiosk_process

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
    with kiosk_process() as kiosk:
        visited = ["/es/articles/consent", "/fr/search?q=secretword", "/ar/topics/getting-help",
                   "/en/articles/when-something-is-not-okay?size=3"]
        for path in visited:
            assert urllib.request.urlopen(kiosk.base + path, timeout=5).status == 200
        try:
            urllib.request.urlopen(kiosk.base + "/en/articles/not-there", timeout=5)
        except urllib.error.HTTPError as error:
            assert error.code == 404
    assert "Reading kiosk ready" in kiosk.output
    for trace in ("consent", "secretword", "getting-help", "when-something", "not-there", "/es/", "GET"):
        assert trace not in kiosk.output, (trace, kiosk.output)


def test_the_kiosk_starts_again_under_the_scrubbing_allocator_with_few_memory_pools(monkeypatch):
    from kiosk.deploy import command

    class StartedAgain(Exception):
        pass

    def execv(path, arguments):
        raise StartedAgain(dict(os.environ))
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(os, "execv", execv)
    with pytest.raises(StartedAgain) as started:
        command.run()
    environment = started.value.args[0]
    # Freed memory overwritten at once; two pools, not eight a core each keeping what its threads gave back.
    assert (environment["PYTHONMALLOC"], environment["MALLOC_ARENA_MAX"]) == ("pymalloc_debug", "2")


def test_started_by_its_systemd_unit_the_kiosk_is_under_the_scrubbing_allocator_at_once(monkeypatch):
    # The unit gives the allocator and pools in the environment: a restart is one Python start, not two.
    from kiosk.deploy import command
    unit = (ROOT / "deploy" / "reading-kiosk.service").read_text(encoding="utf-8")
    given = dict(pair.split("=", 1) for line in unit.splitlines() if line.startswith("Environment=")
                 for pair in line.removeprefix("Environment=").split())
    assert (given["PYTHONMALLOC"], given["MALLOC_ARENA_MAX"]) == ("pymalloc_debug", "2")
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "execv", lambda *arguments: pytest.fail("started itself again"))
    monkeypatch.setattr(command, "main", lambda: "served")
    assert command.run() == "served"


def test_what_runs_before_the_kiosk_starts_again_imports_none_of_its_parts():
    # They are imported after the start again, once: imported before it too, they took 0.3 to 0.6 s of a restart.
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, kiosk.deploy.command; print(' '.join(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert "kiosk.deploy.command" in imported
    assert not {"flask", "jinja2", "babel", "apsw", "kiosk.content", "kiosk.patron", "kiosk.web"} & set(imported)
