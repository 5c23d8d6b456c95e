"""A handout: an article laid out for paper, and its PDF (the publisher's own file where there is one).

Made for the patron's handout addresses (``pages.py``) and for the staff's
printing in bulk alike.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import pgettext

from ..content.files import open_inside
from ..content.model import Article
from ..content.serving import get_library
from ..languages import Language
from ..layout import render_page, rendering_in
from ..reading import printed_today
from .pdf import html_to_pdf


def handout_page(article: Article, language: Language, other: Language | None) -> str:
    """The handout page of ``article`` for a reader of ``language`` (beside ``other``, if any)."""
    title = article.version_for(language.tag).title
    handout = pgettext("page title: a sheet to print", "Handout")
    return render_page("handouts/handout.html", f"{title} · {handout}", article=article, other=other,
                       printed_on=printed_today())


def publisher_pdf_for(article: Article, language: Language):
    """The publisher's PDF for ``language``, if that language's own version supplies one."""
    version = article.versions.get(language.tag)
    return version.publisher_pdf if version is not None else None


def generated_pdf(article: Article, language: Language, other: Language | None = None) -> bytes:
    """Render the handout page for ``language`` (and ``other``) to PDF, in that language's interface."""
    with rendering_in(language):
        html = handout_page(article, language, other)
    return html_to_pdf(html, current_app.config["KIOSK_PAPER_SIZE"])


def handout_pdf_bytes(article: Article, language: Language) -> bytes:
    """The PDF a patron would get for ``article`` in ``language`` (for printing in bulk)."""
    publisher_pdf = publisher_pdf_for(article, language)
    if publisher_pdf is None:
        return generated_pdf(article, language)
    with open_inside(get_library().folder, publisher_pdf) as pdf:
        return pdf.read()
