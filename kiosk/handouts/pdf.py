"""Handout HTML to PDF with WeasyPrint, fetching nothing but the kiosk's own static files.

The PDF is tagged (PDF/UA-1): a screen reader gets its headings, lists and paragraphs in
reading order, in the handout's language, under the handout's title.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from ..shipped import STATIC

MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
# WeasyPrint places grid columns left to right even on a right-to-left page (browsers
# mirror them), so a bilingual handout that starts with Arabic is mirrored by hand here.
WEASYPRINT_RTL_GRID = """
html[dir="rtl"] .handout-bilingual > .handout-column:first-child { grid-column: 2; grid-row: 1; }
html[dir="rtl"] .handout-bilingual > .handout-column:last-child { grid-column: 1; grid-row: 1; }
"""
# WeasyPrint works out a grid's rows by laying out its items again and again, and help near you
# nests a grid in every service of its row of three: a third of a handout's time. On paper each
# service is a plain block instead, room kept at its end for its code, which is placed there (on
# screen, and in the browser's print, it stays a grid). WeasyPrint places a positioned box wrongly
# in a right-to-left box, and maps logical sides by the page's direction rather than the box's: so
# there the service is laid out left to right, its text kept right to left, and its sides named;
# and as with a bilingual handout's columns, the row of services is mirrored by hand.
WEASYPRINT_SERVICES = """
.help-here .service { display: block; position: relative; padding-right: calc(13mm + 2mm + 3pt);
  min-block-size: calc(13mm + 6pt); }
.help-here .service-codes { position: absolute; top: 1.5pt; right: 3pt; }
.help-here .service-details { display: block; }
html[dir="rtl"] .help-here .service { direction: ltr; padding-right: 3pt; padding-left: calc(13mm + 2mm + 3pt); }
html[dir="rtl"] .help-here .service > :not([dir]) { direction: rtl; }
html[dir="rtl"] .help-here .service-codes { right: auto; left: 3pt; }
html[dir="rtl"] .help-here .service:nth-child(1) { grid-column: 3; grid-row: 1; }
html[dir="rtl"] .help-here .service:nth-child(2) { grid-column: 2; grid-row: 1; }
html[dir="rtl"] .help-here .service:nth-child(3) { grid-column: 1; grid-row: 1; }
"""
# A PDF's text layer maps each glyph to one piece of text. Noto Nastaliq Urdu draws a letter as a
# skeleton and its dots, each shared by several letters (one dot below is both ب and ج), so no
# map can be right and Urdu read back as other letters. Noto Naskh Arabic has a glyph of its own
# for each form of each letter, so the PDF's Urdu (its text, and what a screen reader says) is
# the article's. Paper printed from the screen by Chromium keeps Nastaliq. (Important: WeasyPrint
# gives the stylesheets passed to it a user's place in the cascade, below the page's own.)
WEASYPRINT_URDU_FONT = """
[lang|="ur"] { --font: "Noto Naskh Arabic", "Noto Sans", sans-serif !important; }
"""
# The page's own stylesheets, as layout.html links them. WeasyPrint parses a linked stylesheet for
# every document (about a sixth of a handout's time), so each is parsed once and given to it
# ready, and its link taken out of the copy WeasyPrint reads. Given stylesheets take the user's
# place in the cascade rather than the author's: the page has no other author styles (the CSP
# allows no inline style), so nothing else they meet changes.
LINKED_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"(?: media="([a-z]+)")?>')
PDF_VARIANT = "pdf/ua-1"
"""Tagged, with the document's language and title: what screen readers and PDF/UA checkers expect."""


def static_file_for(url: str) -> bytes:
    """The bytes of the static file ``url`` names; ``ValueError`` for anything else."""
    path = urlsplit(url).path
    if path.startswith("/static/"):
        target = (STATIC / path.removeprefix("/static/")).resolve()
        if target.is_relative_to(STATIC.resolve()) and target.is_file():
            return target.read_bytes()
    raise ValueError(f"a handout may only use the kiosk's own static files, not {url}")


@lru_cache(maxsize=1)
def _local_fetcher():
    # WeasyPrint is imported on first use: it is slow to load and only PDFs need it.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """Serves ``/static/`` files from disk and refuses every other address: never the network."""

        def fetch(self, url, headers=None):
            body = static_file_for(url)
            suffix = "." + urlsplit(url).path.rsplit(".", 1)[-1]
            return URLFetcherResponse(url, body, {"Content-Type": MIME_TYPES.get(suffix, "text/plain")})

    return LocalOnlyFetcher()


@lru_cache(maxsize=16)
def page_stylesheet(url: str):
    """The static stylesheet at ``url`` (with its version), parsed; a new version is a new address."""
    import weasyprint

    return weasyprint.CSS(string=static_file_for(url).decode(), base_url=url)


@lru_cache(maxsize=2)
def _for_paper(paper_size: str):
    import weasyprint

    return weasyprint.CSS(string=f"@page {{ size: {paper_size}; }}" + WEASYPRINT_RTL_GRID + WEASYPRINT_SERVICES
                          + WEASYPRINT_URDU_FONT)


def laid_out(html: str, paper_size: str):
    """One handout page laid out by WeasyPrint on ``paper_size`` (``A4`` or ``letter``): its pages and their boxes."""
    import weasyprint

    stylesheets = [page_stylesheet(f"http://kiosk.invalid{url}") for url, media in LINKED_STYLESHEET.findall(html)
                   if media in ("", "print", "all")]
    document = weasyprint.HTML(string=LINKED_STYLESHEET.sub("", html), base_url="http://kiosk.invalid/",
                               url_fetcher=_local_fetcher())
    return document.render(stylesheets=[*stylesheets, _for_paper(paper_size)], pdf_variant=PDF_VARIANT)


def html_to_pdf(html: str, paper_size: str) -> bytes:
    """Render one handout page to PDF on ``paper_size`` (``A4`` or ``letter``)."""
    return laid_out(html, paper_size).write_pdf(pdf_variant=PDF_VARIANT)
