"""The handout addresses: the printable page, and the PDF (the publisher's own file where there is one)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from ..content.files import open_inside
from ..content.model import Article
from ..content.serving import get_library
from ..i18n import current_language
from ..languages import Language
from ..reading import article_or_404, second_language
from .handout import generated_pdf, handout_page, publisher_pdf_for

bp = Blueprint("handouts", __name__)


@bp.get("/<lang>/articles/<slug>/handout")
def handout(slug: str):
    """The article laid out for paper; ``?with=<lang2>`` adds a second language beside it."""
    article, other = _article_and_second_language(slug)
    return handout_page(article, current_language(), other)


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


def _article_and_second_language(slug: str) -> tuple[Article, Language | None]:
    """The article and the second language asked for (``?with=`` naming the page's own language is
    simply the one-language handout: the browser is sent there)."""
    return article_or_404(slug), second_language("with")
