"""Handouts: the printable page, and the PDF (the publisher's own file where there is one)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file
from flask_babel import pgettext

from ..content.files import open_inside
from ..content.model import Article
from ..content.serving import get_library
from ..i18n import current_language
from ..languages import Language
from ..layout import render_page, rendering_in
from ..reading import article_or_404, printed_today, second_language
from .pdf import html_to_pdf

bp = Blueprint("handouts", __name__)


@bp.get("/<lang>/articles/<slug>/handout")
def handout(slug: str):
    """The article laid out for paper; ``?with=<lang2>`` adds a second language beside it."""
    article, other = _article_and_second_language(slug)
    return _handout_page(article, current_language(), other)


def _handout_page(article: Article, language: Language, other: Language | None) -> str:
    title = article.version_for(language.tag).title
    handout = pgettext("page title: a sheet to print", "Handout")
    return render_page("handouts/handout.html", f"{title} · {handout}", article=article, other=other,
                       printed_on=printed_today())


@bp.get("/<lang>/articles/<slug>/handout.pdf")
def handout_pdf(slug: str):
    """The handout as PDF: the publisher's file, byte for byte, where this language has one."""
    article, other = _article_and_second_language(slug)
    language = current_language()
    publisher_pdf = publisher_pdf_for(article, language) if other is None else None
    if publisher_pdf is not None:
        # Sent from disk as it is (never regenerated), as the publisher's licence requires.
        try:
            pdf = open_inside(get_library().folder, publisher_pdf)
        except OSError:  # gone, or made a link to elsewhere since the library was read
            abort(404)
        return send_file(pdf, mimetype="application/pdf", conditional=False, etag=False,
                         download_name=f"{slug}-{language.tag}.pdf", as_attachment=False)
    name = f"{slug}-{language.tag}" + (f"-{other.tag}" if other else "") + ".pdf"
    return Response(generated_pdf(article, language, other), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def publisher_pdf_for(article: Article, language: Language):
    """The publisher's PDF for ``language``, if that language's own version supplies one."""
    version = article.versions.get(language.tag)
    return version.publisher_pdf if version is not None else None


def generated_pdf(article: Article, language: Language, other: Language | None = None) -> bytes:
    """Render the handout page for ``language`` (and ``other``) to PDF, in that language's interface."""
    with rendering_in(language):
        html = _handout_page(article, language, other)
    return html_to_pdf(html, current_app.config["KIOSK_PAPER_SIZE"])


def handout_pdf_bytes(article: Article, language: Language) -> bytes:
    """The PDF a patron would get for ``article`` in ``language`` (for printing in bulk)."""
    publisher_pdf = publisher_pdf_for(article, language)
    if publisher_pdf is None:
        return generated_pdf(article, language)
    with open_inside(get_library().folder, publisher_pdf) as pdf:
        return pdf.read()


def _article_and_second_language(slug: str) -> tuple[Article, Language | None]:
    """The article and the second language asked for (``?with=`` naming the page's own language is
    simply the one-language handout: the browser is sent there)."""
    return article_or_404(slug), second_language("with")
