"""QR codes, drawn here as inline SVG, so a patron can open a web address on their own phone."""

from __future__ import annotations

import segno
from flask_babel import pgettext
from markupsafe import Markup, escape


def qr_svg(address: str) -> Markup:
    """An inline SVG QR code for ``address``.

    Not cached: a cache would hold the addresses of what patrons opened last.
    Article pages are rendered ahead of time, so their codes are drawn then.
    """
    code = segno.make(address, error="m", micro=False)
    # A viewBox and no width or height: the stylesheet sizes the code, and the whole drawing
    # scales with it (with only a size, a smaller box crops the code to a corner on paper).
    svg = code.svg_inline(border=4, svgclass="qr", lineclass=None, omitsize=True)
    # The address is printed beside the code; screen readers need not hear the drawing. Its title is
    # for handout PDFs, where WeasyPrint makes it the figure's alternative text (PDF/UA wants one).
    title = escape(pgettext("a square code a phone's camera reads, described for a screen reader", "QR code"))
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return Markup(svg.replace(">", f"><title>{title}</title>", 1))
