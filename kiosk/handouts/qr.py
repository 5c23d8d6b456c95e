"""QR codes, drawn here as inline SVG, so a patron can open a web address on their own phone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import segno
from flask_babel import pgettext
from markupsafe import Markup, escape

_DRAWN: ContextVar[dict[tuple[str, str], Markup] | None] = ContextVar("kiosk_qr_codes_drawn", default=None)


@contextmanager
def codes_drawn_once() -> Iterator[None]:
    """Within this block (rendering every article page ahead of time), each code is drawn once and reused.

    The same help services and sources appear on thousands of pages, and drawing a
    code is most of a page's rendering. Only the background renderer opens such a
    block, over every article: what it keeps says nothing about what patrons opened.
    """
    token = _DRAWN.set({})
    try:
        yield
    finally:
        _DRAWN.reset(token)


def qr_svg(address: str) -> Markup:
    """An inline SVG QR code for ``address``.

    Not cached for requests: a cache would hold the addresses of what patrons opened last.
    Article pages are rendered ahead of time, so their codes are drawn then (``codes_drawn_once``).
    """
    title = escape(pgettext("a square code a phone's camera reads, described for a screen reader", "QR code"))
    drawn = _DRAWN.get()
    if drawn is not None and (address, title) in drawn:
        return drawn[address, title]
    code = segno.make(address, error="m", micro=False)
    # A viewBox and no width or height: the stylesheet sizes the code, and the whole drawing
    # scales with it (with only a size, a smaller box crops the code to a corner on paper).
    svg = code.svg_inline(border=4, svgclass="qr", lineclass=None, omitsize=True)
    # The address is printed beside the code; screen readers need not hear the drawing. Its title is
    # for handout PDFs, where WeasyPrint makes it the figure's alternative text (PDF/UA wants one).
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    code_svg = Markup(svg.replace(">", f"><title>{title}</title>", 1))
    if drawn is not None:
        drawn[address, title] = code_svg
    return code_svg
