"""Parsed articles and their search index kept between starts, so an unchanged library starts quickly.

Each article folder is stored under a fingerprint of everything its article
depends on: the bytes of every file in the folder, the folder's own path, the
topics that exist, and the code that parses and renders it. A changed file,
topic list or kiosk version simply misses, and is parsed again. The search
index is kept under the fingerprints of every article it holds. The file
holds content only (never anything about patrons) and lives in the owner-only
instance folder; it is written atomically, and a damaged one is ignored.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from pathlib import Path

from ..atomic import write_atomically
from ..instance import set_aside
from . import loader, markdown, model, narration, timings

CACHE_FILE = "content-cache.pickle"
_FORMAT = 1


def _code_key() -> bytes:
    digest = hashlib.blake2b(str(_FORMAT).encode(), digest_size=16)
    for module in (loader, markdown, model, narration, timings):
        digest.update(Path(module.__file__).read_bytes())
    from .. import languages
    from ..speech import parts  # narrations are matched to the parts Listen reads
    for module in (languages, parts):
        digest.update(Path(module.__file__).read_bytes())
    return digest.digest()


def _files_in(folder: Path) -> list[Path]:
    """The entries of ``folder``, or none if there is no such folder."""
    return list(folder.iterdir()) if folder.is_dir() else []


class StartupCache:
    """A ``FolderCache`` backed by one pickle file in the instance folder."""

    def __init__(self, instance: Path):
        self.path = Path(instance) / CACHE_FILE
        self._code = _code_key()
        stored = self._read()
        self._stored: dict[str, loader.FolderResult] = stored.get("entries", {})
        self._stored_index: tuple[str, bytes] | None = stored.get("index")
        self._used: dict[str, loader.FolderResult] = {}
        self._index: tuple[str, bytes] | None = None
        self.hits = 0

    def _read(self) -> dict:
        try:
            with self.path.open("rb") as file:
                stored = pickle.load(file)
        except FileNotFoundError:
            return {}
        except Exception:  # damaged (cut short by a full disk, say): start afresh
            set_aside(self.path, "the start-up cache; the content is read afresh")
            return {}
        if not isinstance(stored, dict):
            set_aside(self.path, "the start-up cache; the content is read afresh")
            return {}
        if stored.get("code") != self._code:  # another version of the kiosk wrote it
            return {}
        return stored

    def fingerprint(self, folder: Path, topics: frozenset[str] | None) -> str:
        """A key over the folder's path and files, the topic list and the code."""
        digest = hashlib.blake2b(self._code, digest_size=20)
        topic_list = ",".join(sorted(topics)) if topics is not None else "\0unchecked"
        digest.update(str(folder.resolve()).encode() + b"\0" + topic_list.encode() + b"\0")
        # The article's own files, and its recordings and their timings (narration.FOLDER).
        for path in sorted([*folder.iterdir(), *_files_in(folder / narration.FOLDER)]):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
                if path.suffix.lower() in narration.AUDIO_TYPES and path.parent.name == narration.FOLDER:
                    head, tail = narration.checked_bytes(path)
                    digest.update(str(path.stat().st_size).encode() + b"\0" + head + b"\0" + tail)
                else:
                    digest.update(path.read_bytes())
                digest.update(b"\0")
        return digest.hexdigest()

    def get(self, key: str) -> loader.FolderResult | None:
        """The stored result for ``key``, if the last start stored one."""
        result = self._stored.get(key)
        if result is not None:
            self.hits += 1
            self._used[key] = result
        return result

    def put(self, key: str, result: loader.FolderResult) -> None:
        """Keep ``result`` for the next start."""
        self._used[key] = result

    def index_key(self, languages: Iterable[str]) -> str:
        """A key over every article this load used, in order, and the languages indexed."""
        digest = hashlib.blake2b(self._code, digest_size=20)
        digest.update(",".join(languages).encode() + b"\0" + "\0".join(self._used).encode())
        return digest.hexdigest()

    def index(self, key: str) -> bytes | None:
        """The search index stored under ``key`` by the last start, if any."""
        if self._stored_index and self._stored_index[0] == key:
            self._index = self._stored_index
            return self._stored_index[1]
        return None

    def put_index(self, key: str, data: bytes) -> None:
        """Keep the search index for the next start."""
        self._index = (key, data)

    def save(self) -> None:
        """Write what this load used (and nothing else) if it differs from what was stored."""
        if self._used.keys() == self._stored.keys() and self._index == self._stored_index:
            return
        data = pickle.dumps({"code": self._code, "entries": self._used, "index": self._index},
                            protocol=pickle.HIGHEST_PROTOCOL)
        try:
            write_atomically(self.path, data)
        except OSError:  # a read-only instance folder only costs the next start some time
            pass
