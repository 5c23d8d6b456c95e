"""Printing through CUPS: find the default printer, send a PDF with ``lp``, join PDFs into one."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

JOB_TITLE = "Kiosk handouts"  # never an article's name: print queues are visible to anyone at the server


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
