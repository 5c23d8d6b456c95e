"""An installed kiosk (a wheel, outside the checkout) serves the shipped library, styled and translated.

The wheel is built from a copy of the repository's tracked files, as a clean
clone has them (no compiled catalogs), and installed into a throwaway
environment that borrows this one's dependencies but not its kiosk.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

import pytest

from .conftest import ROOT
from .kiosk_process import kiosk_process

WARNINGS = ("warning", "deprecat")


def tracked_copy(target: Path) -> Path:
    """The repository's tracked files (or, outside git, everything but local state) copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            if name and (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
    else:
        shutil.copytree(ROOT, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".venv", ".git", "instance", "build", "*.egg-info", "__pycache__", "*.mo", "node_modules"))
    return target


@pytest.fixture(scope="module")
def installed_kiosk(tmp_path_factory):
    """The path of the ``reading-kiosk`` command of a kiosk installed from a freshly built wheel."""
    source = tracked_copy(tmp_path_factory.mktemp("source"))
    wheels = tmp_path_factory.mktemp("wheels")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "-w", str(wheels), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    assert not [line for line in (built.stdout + built.stderr).splitlines()
                if any(word in line.lower() for word in WARNINGS)], built.stdout + built.stderr
    environment = tmp_path_factory.mktemp("env")
    venv.create(environment, with_pip=True)
    purelib = subprocess.run([environment / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    # The throwaway environment borrows this one's dependencies (never its kiosk, which is not there).
    (Path(purelib) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("reading_kiosk-*.whl"))
    installed = subprocess.run([environment / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index",
                                "--root-user-action=ignore", str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert not [line for line in (installed.stdout + installed.stderr).splitlines()
                if any(word in line.lower() for word in WARNINGS)], installed.stdout + installed.stderr
    return environment / "bin" / "reading-kiosk"


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_a_wheel_installs_and_serves_outside_the_checkout(installed_kiosk, tmp_path):
    with kiosk_process("--instance", str(tmp_path / "instance"), command=[installed_kiosk], cwd=tmp_path) as kiosk:
        base = kiosk.base
        status, _, page = get(f"{base}/en/articles/intimacy")
        assert status == 200 and b"<h1 id=\"article-title\" data-speech=\"title\">Intimacy</h1>" in page
        stylesheet = page.split(b'rel="stylesheet" href="', 1)[1].split(b'"', 1)[0].decode().replace("&amp;", "&")
        status, kind, css = get(base + stylesheet)
        assert status == 200 and kind.startswith("text/css") and b".exit-button" in css
        _, _, french = get(f"{base}/fr/")
        assert b"Rechercher dans les articles" in french
        probe = subprocess.run([installed_kiosk.parent / "python", "-c", "import kiosk; print(kiosk.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path)
        assert not probe.stdout.startswith(str(ROOT))
