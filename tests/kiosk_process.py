"""The kiosk as an operator starts it (``run_kiosk.py``), in a process of its own, for tests that read its log."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from .conftest import ROOT, free_port


class KioskProcess:
    """A running kiosk's address, and once it has stopped, all it wrote (standard output and error)."""

    def __init__(self, base: str):
        self.base = base
        self.output = ""


@contextmanager
def kiosk_process(*arguments: str, start_seconds: float = 180):
    """``run_kiosk.py --no-browser`` serving on a free port, answering before the block starts and stopped after it.

    ``start_seconds``: however long a machine loaded with other tests takes to start it.
    """
    port = free_port()
    process = subprocess.Popen([sys.executable, "run_kiosk.py", "--port", str(port), "--no-browser", *arguments],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kiosk = KioskProcess(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                urllib.request.urlopen(kiosk.base + "/healthz", timeout=5).read()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the kiosk never answered"
                time.sleep(0.1)
        yield kiosk
    finally:
        process.terminate()
        kiosk.output = process.communicate(timeout=120)[0]
