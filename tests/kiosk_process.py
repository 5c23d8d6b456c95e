"""The kiosk as an operator starts it (``run_kiosk.py``, or an installed ``reading-kiosk``), in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import ROOT, free_port, wait_until_answering


class KioskProcess:
    """A running kiosk's address, and once it has stopped, all it wrote (standard output and error)."""

    def __init__(self, base: str):
        self.base = base
        self.output = ""


@contextmanager
def kiosk_process(*arguments: str, command: Sequence[str] = (sys.executable, "run_kiosk.py"), cwd: Path = ROOT,
                  start_seconds: float = 180):
    """``command --no-browser`` serving on a free port, answering before the block starts and stopped after it.

    ``start_seconds``: however long a machine loaded with other tests takes to start it.
    """
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port), "--no-browser", *arguments],
                               cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kiosk = KioskProcess(f"http://127.0.0.1:{port}")
    try:
        try:
            wait_until_answering(kiosk.base, process, timeout=start_seconds)
        except AssertionError:
            process.terminate()
            kiosk.output = process.communicate(timeout=120)[0]
            pytest.fail(f"the kiosk never answered; it wrote:\n{kiosk.output}")
        yield kiosk
    finally:
        if process.returncode is None:
            process.terminate()
            kiosk.output = process.communicate(timeout=120)[0]
