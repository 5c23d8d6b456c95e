"""What a patron has changed about the display: text size and contrast.

It lives only in the URL's query string, so it works without JavaScript,
sets no cookie and vanishes with a reset (the welcome page's address carries
none of it). ``url_for`` adds it to every link within the ``/<lang>/`` pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping
from urllib.parse import urlencode

from flask import Flask, current_app, g, request

TEXT_SIZES = (1, 2, 3, 4)


@dataclass(frozen=True)
class DisplayChoices:
    """Text size (1 is the default, 4 the largest) and high contrast on or off."""

    text_size: int = 1
    high_contrast: bool = False

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> "DisplayChoices":
        """Read ``size`` and ``contrast`` from the query string; anything odd means default."""
        size = args.get("size", "")
        return cls(
            text_size=int(size) if size.isascii() and size.isdigit() and int(size) in TEXT_SIZES else 1,
            high_contrast=args.get("contrast") == "high",
        )

    def query_values(self) -> dict[str, object]:
        """The query arguments that reproduce these choices (none for the defaults)."""
        values: dict[str, object] = {}
        if self.text_size != 1:
            values["size"] = self.text_size
        if self.high_contrast:
            values["contrast"] = "high"
        return values

    def with_size(self, size: int) -> "DisplayChoices":
        """These choices with another text size, kept within the offered steps."""
        return replace(self, text_size=min(max(size, TEXT_SIZES[0]), TEXT_SIZES[-1]))

    def toggled_contrast(self) -> "DisplayChoices":
        """These choices with high contrast switched."""
        return replace(self, high_contrast=not self.high_contrast)


def display_choices() -> DisplayChoices:
    """The display choices of the current request."""
    if "display" not in g:
        g.display = DisplayChoices.from_query(request.args)
    return g.display


def url_with_choices(choices: DisplayChoices) -> str:
    """The current page's address with other display choices."""
    args = {key: value for key, value in request.args.items() if key not in {"size", "contrast"}}
    args.update(choices.query_values())
    return request.script_root + request.path + ("?" + urlencode(args) if args else "")


def _carry_choices(endpoint: str, values: dict) -> None:
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        for key, value in display_choices().query_values().items():
            values.setdefault(key, value)


def init_app(app: Flask) -> None:
    """Carry display choices through links and expose them to templates."""
    app.url_defaults(_carry_choices)
    app.context_processor(lambda: {"display": display_choices(), "url_with_choices": url_with_choices})
