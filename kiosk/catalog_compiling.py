"""Compiling the gettext catalogs: the one way, used at start-up, by ``make`` and by the package build.

``kiosk.catalogs.ensure_compiled`` calls it before the kiosk serves; the
Makefile runs this file (``python kiosk/catalog_compiling.py translations``);
``setup.py`` loads it by its path, because a package build has Babel but none
of the kiosk's other dependencies. So it imports nothing of the kiosk.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path


def catalog_files(folder: Path, locale: str) -> tuple[Path, Path]:
    """The ``messages.po`` and ``messages.mo`` of ``locale`` under ``folder``."""
    base = Path(folder) / locale / "LC_MESSAGES"
    return base / "messages.po", base / "messages.mo"


def compiled_catalog(po: Path, locale: str) -> bytes:
    """``po`` compiled (fuzzy entries left out, as gettext would)."""
    # Imported only to compile: a start whose catalogs are compiled already (every start but the first after
    # a change) reads none, and Babel's catalog reader and writer took 20 ms of each to import.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as file:
        catalog = read_po(file, locale=locale)
    output = io.BytesIO()
    write_mo(output, catalog)
    return output.getvalue()


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def compile_stale(folder: Path, locales: Iterable[str] | None = None,
                  write: Callable[[Path, bytes], None] = _replace) -> list[str]:
    """Compile each catalog (of ``locales``, or every one under ``folder``) whose ``.mo`` is missing, or older
    than its ``.po`` and different; ``write(path, data)`` writes it. Returns the locales compiled."""
    if locales is None:
        locales = sorted(po.parent.parent.name for po in Path(folder).glob("*/LC_MESSAGES/messages.po"))
    compiled = []
    for locale in locales:
        po, mo = catalog_files(folder, locale)
        if not po.is_file() or (mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime):
            continue
        data = compiled_catalog(po, locale)
        if mo.is_file() and mo.read_bytes() == data:
            continue  # only older on disk: an installed package unpacks its .mo before its .po
        write(mo, data)
        compiled.append(locale)
    return compiled


if __name__ == "__main__":
    for name in compile_stale(Path(sys.argv[1])):
        print(f"compiled the {name} catalog")
