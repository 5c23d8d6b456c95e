"""Reading a content file that may be hostile: a bounded size, UTF-8, and YAML without aliases.

Content reaches every kiosk of a fleet through Syncthing, so one bad file must
cost a kiosk nothing but that file. A YAML alias lets a few hundred bytes stand
for gigabytes once anything walks the values (the "billion laughs"); nothing the
kiosk's files need is said with one, so aliases are refused, as are files far
larger than any article or list a person writes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
"""Characters no font of the kiosk draws, and which the kiosk keeps for itself (``kiosk/layout.py``
marks the holes of its pages with them): no content may carry one."""
MAX_FILE_BYTES = 1024 * 1024
"""An article of a few minutes' reading is some 20 KiB in any script; a file 50 times that is not one."""


class UnreadableFile(Exception):
    """A content file that cannot be taken; ``line`` (1-based, or None) and the message say why."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text; ``UnreadableFile`` if it is too large or not UTF-8."""
    with Path(path).open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"the file is larger than {limit // 1024} KiB; nothing in it is used")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile("not UTF-8 text") from None
    found = PRIVATE_USE.search(text)
    if found:
        raise UnreadableFile(f"holds a private-use character (U+{ord(found.group()):04X}), which cannot be shown",
                             text.count("\n", 0, found.start()) + 1)
    return text


def refuse_aliases(node: yaml.Node | None, first_line: int = 1) -> None:
    """Raise ``UnreadableFile`` if the composed document ``node`` uses an alias.

    An alias makes the composer hand back the anchored node again, so a node met
    twice is one; the walk never goes into it twice, however often it is repeated.
    ``first_line`` is the file line the document starts on.
    """
    seen: set[int] = set()
    waiting = [node] if node is not None else []
    while waiting:
        current = waiting.pop()
        if id(current) in seen:
            raise UnreadableFile("YAML aliases (*name) are not allowed in content files: the value anchored "
                                 "here is repeated", current.start_mark.line + first_line)
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            waiting.extend(part for pair in current.value for part in pair)
        elif isinstance(current, yaml.SequenceNode):
            waiting.extend(current.value)


def inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, is within ``folder``.

    A link in a synced content folder may point anywhere on the kiosk; only what
    is really in the folder is content.
    """
    try:
        return Path(path).resolve(strict=True).is_relative_to(Path(folder).resolve(strict=True))
    except (OSError, RuntimeError):  # missing, or a loop of links
        return False


def open_inside(folder: Path, path: Path):
    """``path`` opened for reading, if it is within ``folder`` (checked again now: it may have changed).

    Raises ``FileNotFoundError`` otherwise.
    """
    if not inside(folder, path):
        raise FileNotFoundError(f"{path} is not in the content folder")
    real = Path(path).resolve(strict=True)
    return os.fdopen(os.open(real, os.O_RDONLY | os.O_NOFOLLOW), "rb")
