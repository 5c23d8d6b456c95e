"""QR codes, drawn here as inline SVG, so a patron can open a web address on their own phone."""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=4096)
def qr_svg(address: str) -> Markup:
    """An inline SVG QR code for ``address`` (the same address always gives the same code)."""
    code = segno.make(address, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=4, svgclass="qr", lineclass=None)
    # The address is printed beside the code; screen readers need not hear the drawing.
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))
