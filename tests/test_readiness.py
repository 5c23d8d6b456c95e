"""run_kiosk.py --check on machines with and without each piece, simulated with stand-in commands on PATH
(a real machine cannot be made to lose its fonts or printer for a test)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.catalogs import ensure_compiled
from kiosk.content.serving import content_holder
from kiosk.deploy.readiness import catalogs_check, is_loopback, listening_problem, run_checks
from kiosk.languages import BY_TAG, LANGUAGES
from kiosk.shipped import TRANSLATIONS

from .conftest import CONTENT, ROOT, seeded


def command(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def machine(tmp_path: Path, *, browser=True, fonts=True, missing_font_lang=None, cups=True, printer=True) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    if browser:
        command(folder, "chromium", "exit 0")
    if fonts:
        body = 'echo "Noto Sans"'
        if missing_font_lang:
            body = f'case "$1" in *{missing_font_lang}*) exit 0;; esac\necho "Noto Sans"'
        command(folder, "fc-list", body)
    if cups:
        command(folder, "lp", "exit 0")
        command(folder, "lpstat", 'echo "system default destination: KioskPDF"' if printer
                else 'echo "no system default destination"')
    return folder


def check(tmp_path, folder, *args, pin=False):
    instance = seeded(tmp_path / "instance")
    if pin:
        from kiosk.staff.pin import set_pin
        set_pin(instance, "2468")
    env = {**os.environ, "PATH": str(folder), "KIOSK_INSTANCE": str(instance)}
    return subprocess.run([sys.executable, str(ROOT / "run_kiosk.py"), "--check", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def line(result, name) -> str:
    """The check line whose item name (after the OK/WARN/FAIL word) contains ``name``."""
    return next(row for row in result.stdout.splitlines() if name in row.split(":", 1)[0])


def test_a_ready_machine_passes(tmp_path):
    result = check(tmp_path, machine(tmp_path), pin=True)
    assert result.returncode == 0, result.stdout
    assert all(row.startswith("OK") for row in result.stdout.splitlines()), result.stdout
    assert "default printer KioskPDF" in result.stdout


def test_no_browser_is_essential(tmp_path):
    result = check(tmp_path, machine(tmp_path, browser=False))
    assert result.returncode == 1
    assert line(result, "browser").startswith("FAIL") and "apt-get install chromium" in line(result, "browser")


def test_no_browser_is_fine_when_serving_only(tmp_path):
    result = check(tmp_path, machine(tmp_path, browser=False), "--no-browser")
    assert result.returncode == 0
    assert line(result, "browser").startswith("WARN")


def test_missing_fonts_for_a_language_name_the_package(tmp_path):
    result = check(tmp_path, machine(tmp_path, missing_font_lang="zh-cn"))
    assert result.returncode == 1
    assert line(result, "zh-Hans").startswith("FAIL") and "fonts-noto-cjk" in line(result, "zh-Hans")
    assert line(result, "(ar)").startswith("OK")


def test_missing_fonts_only_matter_for_offered_languages(tmp_path):
    result = check(tmp_path, machine(tmp_path, missing_font_lang="zh-cn"), "--languages", "en,ar")
    assert result.returncode == 0
    assert "zh-Hans" not in result.stdout


@pytest.mark.parametrize("cups, printer, says", [(False, False, "CUPS is not installed"),
                                                 (True, False, "no default printer")])
def test_printing_problems_are_warnings(tmp_path, cups, printer, says):
    result = check(tmp_path, machine(tmp_path, cups=cups, printer=printer))
    assert result.returncode == 0
    assert line(result, "printer").startswith("WARN") and says in line(result, "printer")


def test_a_missing_staff_pin_is_a_warning(tmp_path):
    result = check(tmp_path, machine(tmp_path))
    assert line(result, "staff PIN").startswith("WARN")


def test_broken_content_is_reported(tmp_path):
    result = check(tmp_path, machine(tmp_path), "--content", str(ROOT / "tests" / "fixtures" / "mixed"))
    assert line(result, "content").startswith("WARN") and "14 errors" in line(result, "content")


def test_a_missing_content_folder_stops_with_a_clear_message(tmp_path):
    result = check(tmp_path, machine(tmp_path), "--content", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_an_open_listening_address_fails_the_check(tmp_path):
    result = check(tmp_path, machine(tmp_path), "--host", "0.0.0.0")
    assert result.returncode == 1
    assert line(result, "listening").startswith("FAIL")


def test_listening_rules():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    assert listening_problem("127.0.0.1", False, False) is None
    assert "--allow-remote" in listening_problem("0.0.0.0", False, True)
    assert "staff PIN" in listening_problem("0.0.0.0", True, False)
    assert listening_problem("0.0.0.0", True, True) is None


def test_serving_on_an_open_address_is_refused_without_allow_remote(tmp_path):
    env = {**os.environ, "KIOSK_INSTANCE": str(seeded(tmp_path / "instance"))}
    result = subprocess.run([sys.executable, "run_kiosk.py", "--host", "0.0.0.0", "--no-browser"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
    result = subprocess.run([sys.executable, "run_kiosk.py", "--host", "0.0.0.0", "--allow-remote",
                             "--no-browser"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "staff PIN" in result.stderr


@pytest.fixture
def translations_copy(tmp_path):
    """The shipped catalogs, compiled, in a folder a test may take some away from."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder)
    ensure_compiled(folder, LANGUAGES)
    return folder


def test_an_offered_language_without_a_catalog_fails_the_check(translations_copy):
    shutil.rmtree(translations_copy / BY_TAG["fr"].locale)
    offered = [BY_TAG["en"], BY_TAG["fr"], BY_TAG["es"]]
    result = catalogs_check(offered, translations_copy)
    assert not result.ok and result.essential
    assert result.detail == "no catalog for fr (flask --app kiosk translate init fr): its pages would be in English"
    assert catalogs_check([BY_TAG["en"], BY_TAG["es"]], translations_copy).ok  # only offered languages count


def test_an_offered_language_with_its_catalog_not_compiled_fails_the_check(translations_copy):
    (translations_copy / BY_TAG["es"].locale / "LC_MESSAGES" / "messages.mo").unlink()
    result = catalogs_check([BY_TAG["en"], BY_TAG["es"]], translations_copy)
    assert not result.ok
    assert result.detail == "not compiled for es: run flask --app kiosk translate compile"


def test_the_content_item_reports_the_library_the_kiosk_loaded(make_app, tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    app = make_app(content=folder, languages="en,es")
    served = len(content_holder(app).current.library.articles)
    shutil.rmtree(folder / "articles")  # read again, the folder would have no article at all
    content = next(check for check in run_checks(app) if check.name == "content")
    assert content.ok and content.detail.startswith(f"{served} articles")
