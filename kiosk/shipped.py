"""The folders that ship with the kiosk: static files, interface catalogs and the starter library.

In a checkout they are ``static/``, ``translations/`` and ``content/`` at the top
of the repository. An installed kiosk (a wheel, a Debian package) carries
them inside the package, as ``kiosk/static``, ``kiosk/translations`` and
``kiosk/starter_library`` (``setup.py`` copies them there), and they are
found with ``importlib.resources``: nothing depends on where the code was
checked out.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.resources import files
from pathlib import Path

# name inside the installed package -> name at the top of a checkout
_FOLDERS = {"static": "static", "translations": "translations", "starter_library": "content"}


def shipped_folder(name: str) -> Path:
    """The folder ``name`` (``static``, ``translations`` or ``starter_library``) of this kiosk."""
    package = Path(str(files(__package__)))
    installed = package / name
    if installed.is_dir():
        return installed
    return package.parent / _FOLDERS[name]


STATIC = shipped_folder("static")
TRANSLATIONS = shipped_folder("translations")
STARTER_LIBRARY = shipped_folder("starter_library")
KIOSK = Path(__file__).resolve().parent


@functools.cache
def code_digest() -> bytes:
    """A digest of everything in the kiosk that a page is rendered with: its code, templates and catalogs (what
    is rendered ahead of time and kept, the layouts and the article pages, is kept by it)."""
    digest = hashlib.blake2b(digest_size=16)
    for folder, pattern in ((KIOSK, "**/*.py"), (KIOSK / "templates", "**/*.html"), (TRANSLATIONS, "**/*.mo")):
        for path in sorted(folder.glob(pattern)):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.digest()
