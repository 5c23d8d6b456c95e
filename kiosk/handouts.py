"""Handouts: the printable page, and the PDF (the publisher's own file where there is one)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, g, render_template, request, send_file
from flask_babel import force_locale

from .content import get_library
from .i18n import choose_language, current_language
from .languages import Language
from .library import Article
from .pdf import html_to_pdf

bp = Blueprint("handouts", __name__)


@bp.get("/<lang>/articles/<slug>/handout")
def handout(slug: str):
    """The article laid out for paper; ``?with=<lang2>`` adds a second language beside it."""
    article, other = _article_and_second_language(slug)
    return render_template("handout.html", article=article, other=other, printed_on=date.today())


@bp.get("/<lang>/articles/<slug>/handout.pdf")
def handout_pdf(slug: str):
    """The handout as PDF: the publisher's file, byte for byte, where this language has one."""
    article, other = _article_and_second_language(slug)
    language = current_language()
    publisher_pdf = publisher_pdf_for(article, language) if other is None else None
    if publisher_pdf is not None:
        # Sent from disk as it is (never regenerated), as the publisher's licence requires.
        return send_file(publisher_pdf, mimetype="application/pdf", conditional=False, etag=False,
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
    previous = g.get("language")
    g.language = language
    try:
        with force_locale(language.locale):
            html = render_template("handout.html", article=article, other=other, printed_on=date.today())
    finally:
        g.language = previous
    return html_to_pdf(html, current_app.config["KIOSK_PAPER_SIZE"])


def handout_pdf_bytes(article: Article, language: Language) -> bytes:
    """The PDF a patron would get for ``article`` in ``language`` (for printing in bulk)."""
    publisher_pdf = publisher_pdf_for(article, language)
    return publisher_pdf.read_bytes() if publisher_pdf is not None else generated_pdf(article, language)


def _article_and_second_language(slug: str):
    article: Article | None = get_library().articles.get(slug)
    if article is None:
        abort(404)
    second = request.args.get("with")
    if not second:
        return article, None
    other = choose_language(second)
    if other is None or other == current_language():
        abort(404)
    return article, other
