"""Handouts: the printable page, and the PDF (the publisher's own file where there is one)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file

from .content import get_library
from .i18n import choose_language, current_language
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
    language = current_language().tag
    version = article.versions.get(language)
    if other is None and version is not None and version.publisher_pdf is not None:
        # Sent from disk as it is (never regenerated), as the publisher's licence requires.
        return send_file(version.publisher_pdf, mimetype="application/pdf", conditional=False, etag=False,
                         download_name=f"{slug}-{language}.pdf", as_attachment=False)
    html = render_template("handout.html", article=article, other=other, printed_on=date.today())
    pdf = html_to_pdf(html, current_app.config["KIOSK_PAPER_SIZE"])
    name = f"{slug}-{language}" + (f"-{other.tag}" if other else "") + ".pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


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
