"""Bulk printing through a real print server: CUPS with a cups-pdf virtual printer as the default.

.ci/run installs and starts it. Without it these tests are skipped, loudly
(and with CI=true they fail instead).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk import create_app
from kiosk.handouts.printing import default_printer
from kiosk.staff.pin import set_pin

from .conftest import seeded

PRINTED = Path.home() / "PDF"
CUPSD_CONF = Path("/etc/cups/cupsd.conf")


def cups_pdf_ready() -> str | None:
    """Why the real print server cannot be used here, or None if it can."""
    if shutil.which("lp") is None or shutil.which("lpstat") is None:
        return "CUPS is not installed (apt-get install cups printer-driver-cups-pdf)"
    printer = default_printer()
    if printer is None:
        return "no default printer: start cupsd and add the cups-pdf printer as .ci/run does"
    device = subprocess.run(["lpstat", "-v", printer], capture_output=True, text=True).stdout
    if "cups-pdf:" not in device:
        return f"the default printer {printer} is not a cups-pdf virtual printer"
    return None


REASON = cups_pdf_ready()
if REASON and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI=true but the real print server is not ready: {REASON}")
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"REAL PRINT SERVER TESTS SKIPPED: {REASON}")


def printed_files() -> set[Path]:
    return set(PRINTED.glob("*.pdf")) if PRINTED.is_dir() else set()


def jobs_waiting() -> bool:
    """Whether the print server still has a job not finished."""
    return bool(subprocess.run(["lpstat", "-o"], capture_output=True, text=True).stdout.strip())


def wait_for_new_pdf(before: set[Path], timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = printed_files() - before
        if new and not jobs_waiting():  # cups-pdf has finished writing it
            return new.pop()
        time.sleep(0.25)
    raise AssertionError("nothing was printed")


def test_bulk_print_reaches_the_printer_with_every_page_and_copy(tmp_path):
    set_pin(tmp_path, "13579")
    app = create_app({"TESTING": True, "instance": seeded(tmp_path)})
    client = app.test_client()
    form = client.get("/staff/login").get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
    assert client.post("/staff/login", data={"nonce": nonce, "pin": "13579"}).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/").get_data(as_text=True)).group(1)
    expected = client.post("/staff/print", data={"csrf_token": token, "articles": ["consent"],
                                                 "languages": ["en", "uk"], "copies": "1", "action": "pdf"})
    pages = len(PdfReader(io.BytesIO(expected.data)).pages)
    before = printed_files()
    response = client.post("/staff/print", data={"csrf_token": token, "articles": ["consent"],
                                                 "languages": ["en", "uk"], "copies": "3", "action": "print"})
    assert response.status_code == 200
    assert f"Sent {pages * 3} pages to the printer" in response.get_data(as_text=True)
    printed = wait_for_new_pdf(before)
    assert len(PdfReader(printed).pages) == pages * 3
    assert "consent" not in printed.name.lower()  # the job title names no article


def test_the_privacy_settings_leave_no_completed_job():
    conf = CUPSD_CONF.read_text() if CUPSD_CONF.exists() else ""
    if "PreserveJobHistory No" not in conf and os.environ.get("CI") != "true":
        pytest.skip("REAL PRINT SERVER TEST SKIPPED: deploy/cupsd-privacy.conf is not applied to this CUPS")
    before = printed_files()
    subprocess.run(["lp", "-t", "Kiosk handouts", "-"], input=b"privacy check\n", check=True, capture_output=True)
    wait_for_new_pdf(before)  # printed, and no job left waiting
    completed = subprocess.run(["lpstat", "-W", "completed", "-o"], capture_output=True, text=True)
    assert completed.stdout.strip() == ""
