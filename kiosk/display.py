"""What a patron has changed about the display: text size and contrast.

It lives only in the URL's query string, so it works without JavaScript,
sets no cookie and vanishes with a reset (the welcome page's address carries
none of it). Every link on a patron page carries it on. Like the language, it
is request-wide: the layout, the patron pages and the keyboard's script read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import product
from urllib.parse import urlencode

from flask import g, request

TEXT_SIZES = (1, 2, 3, 4)
SIZE, CONTRAST = "size", "contrast"
DISPLAY_ARGUMENTS = (SIZE, CONTRAST)
"""The query arguments that carry display choices: the one place their names are written (the
layout writes them into every page for ``static/keyboard.js``)."""


@dataclass(frozen=True)
class DisplayChoices:
    """Text size (1 is the default, 4 the largest) and high contrast on or off."""

    text_size: int = 1
    high_contrast: bool = False

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> DisplayChoices:
        """Read ``size`` and ``contrast`` from the query string; anything odd means default."""
        size = args.get(SIZE, "")
        return cls(
            text_size=int(size) if size.isascii() and size.isdigit() and int(size) in TEXT_SIZES else 1,
            high_contrast=args.get(CONTRAST) == "high",
        )

    def query_values(self) -> dict[str, object]:
        """The query arguments that reproduce these choices (none for the defaults)."""
        values: dict[str, object] = {}
        if self.text_size != 1:
            values[SIZE] = self.text_size
        if self.high_contrast:
            values[CONTRAST] = "high"
        return values

    @cached_property
    def query(self) -> str:
        """``query_values`` as a URL query string without its ``?`` (empty for the defaults)."""
        return urlencode(self.query_values())

    def with_size(self, size: int) -> DisplayChoices:
        """These choices with another text size, kept within the offered steps."""
        return replace(self, text_size=min(max(size, TEXT_SIZES[0]), TEXT_SIZES[-1]))

    def toggled_contrast(self) -> DisplayChoices:
        """These choices with high contrast switched."""
        return replace(self, high_contrast=not self.high_contrast)


DEFAULT_DISPLAY = DisplayChoices()
ALL_DISPLAY_CHOICES: tuple[DisplayChoices, ...] = tuple(
    DisplayChoices(size, contrast) for size, contrast in product(TEXT_SIZES, (False, True)))


# The query string of a page carrying only display choices, as links write it.
_BY_QUERY = {choices.query.encode(): choices for choices in ALL_DISPLAY_CHOICES}


def display_of_query(query_string: bytes) -> DisplayChoices | None:
    """The display choices a query string holds, if it holds nothing else and is written exactly as the
    kiosk's own links write it (most addresses are); else None, and its arguments must be read."""
    return _BY_QUERY.get(query_string)


def display_choices() -> DisplayChoices:
    """The display choices of the current request."""
    display = g.get("display")
    if display is None:
        display = g.display = display_of_query(request.query_string) or DisplayChoices.from_query(request.args)
    return display
