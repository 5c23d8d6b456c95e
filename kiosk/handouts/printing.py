"""Printing through CUPS: find the default printer and its state, send a PDF with ``lp``, join PDFs into one."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

JOB_TITLE = "Kiosk handouts"  # never an article's name: print queues are visible to anyone at the server
STATE_REQUEST = Path(__file__).with_name("printer-state.test")
PRINTER_STATES = {3: "idle", 4: "processing", 5: "stopped"}
"""IPP's ``printer-state`` values (RFC 8011, 5.4.11) by the word the kiosk uses for each."""


class PrintError(RuntimeError):
    """The print system refused or failed the job; the message says why."""


def cups_available(path: str | None = None) -> bool:
    """Whether the CUPS client commands are installed (on ``path``, default ``PATH``)."""
    return shutil.which("lp", path=path) is not None and shutil.which("lpstat", path=path) is not None


def default_printer(path: str | None = None) -> str | None:
    """The name of CUPS's default printer, or None (no CUPS, no server, or no default set)."""
    if not cups_available(path):
        return None
    environ = {**os.environ, "PATH": path} if path is not None else None
    try:
        result = subprocess.run(["lpstat", "-d"], capture_output=True, text=True, timeout=10, env=environ)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = result.stdout.strip()
    if result.returncode != 0 or ":" not in line or "no system default" in line:
        return None
    return line.rsplit(":", 1)[1].strip() or None


def send_to_printer(pdf: bytes, copies: int) -> str:
    """Print ``copies`` collated copies of ``pdf`` on the default printer; return what ``lp`` said."""
    command = ["lp", "-n", str(copies), "-o", "collate=true", "-t", JOB_TITLE, "-"]
    try:
        result = subprocess.run(command, input=pdf, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PrintError(str(error)) from None
    if result.returncode != 0:
        raise PrintError(result.stderr.decode("utf-8", "replace").strip() or "lp failed")
    return result.stdout.decode("utf-8", "replace").strip()


def combine(pdfs: list[bytes]) -> tuple[bytes, int]:
    """Join PDFs into one document; return it and its page count."""
    # Imported here: only staff joining handouts need pypdf, and importing it would cost every start 50 ms.
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue(), len(writer.pages)


@dataclass(frozen=True)
class PrinterStatus:
    """What CUPS says of one printer: nothing about any job, only the printer itself."""

    name: str
    state: str
    """``idle``, ``processing`` or ``stopped`` (from IPP's ``printer-state``)."""
    accepting_jobs: bool
    reasons: tuple[str, ...]
    """CUPS's ``printer-state-reasons`` without their ``-error``/``-warning``/``-report`` ending,
    e.g. ``media-empty``, ``media-jam``, ``door-open``, ``paused``; empty when all is well."""
    supplies: tuple[tuple[str, float], ...]
    """(supply name, level from 0 to 1) for each supply the printer reports a level of."""


def printer_status(name: str) -> PrinterStatus | None:
    """The state of printer ``name`` asked of the local CUPS with ``ipptool``, or None if it cannot be known."""
    if shutil.which("ipptool") is None:
        return None
    try:
        result = subprocess.run(["ipptool", "-j", "-T", "10", f"ipp://localhost/printers/{name}",
                                 str(STATE_REQUEST)], check=False, capture_output=True, text=True, timeout=20)
        groups = json.loads(result.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    found = next((group for group in groups if group.get("group-tag") == "printer-attributes-tag"), None)
    if result.returncode != 0 or found is None:
        return None
    reasons = tuple(_without_severity(reason) for reason in _as_list(found.get("printer-state-reasons"))
                    if reason != "none")
    levels = _as_list(found.get("marker-levels"))
    supplies = tuple((str(supply), level / 100) for supply, level in zip(_as_list(found.get("marker-names")), levels, strict=False)
                     if isinstance(level, int) and 0 <= level <= 100)  # below 0: the printer cannot tell
    return PrinterStatus(name, PRINTER_STATES.get(found.get("printer-state"), "unknown"),
                         bool(found.get("printer-is-accepting-jobs")), reasons, supplies)


def _as_list(value) -> list:
    """ipptool writes a one-value attribute as that value, and more values as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _without_severity(reason: str) -> str:
    for ending in ("-error", "-warning", "-report"):
        if reason.endswith(ending):
            return reason[:-len(ending)]
    return reason
