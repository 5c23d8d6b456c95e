"""A person's recording of an article, played by Listen in place of the kiosk's voice.

``GET /<lang>/articles/<slug>/narration.json`` says where the recording is and,
for each stretch of it, which sentences of the page are heard (the parts
read-aloud names, and where in each), so the page can highlight them in turn.
``GET /<lang>/articles/<slug>/narration.<ending>`` is the recording itself,
straight from the content folder, in pieces when the player asks for a range.
Both are for the version a reader of ``<lang>`` is shown; like read-aloud's
addresses they are sent with ``no-store`` and nothing about them is logged.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from ..content.files import open_inside
from ..content.model import Article, ArticleVersion, Narration
from ..content.narration import AUDIO_TYPES
from ..content.serving import get_library
from ..i18n import current_language
from ..reading import article_or_404

bp = Blueprint("narration", __name__)


def has_narration(version: ArticleVersion) -> bool:
    """Whether Listen plays a person's recording of ``version`` on this kiosk now."""
    return current_app.config["KIOSK_READ_ALOUD"] and version.narration is not None


def _narration(slug: str) -> tuple[Article, Narration]:
    article = article_or_404(slug)
    version = article.version_for(current_language().tag)
    if not has_narration(version):
        abort(404)
    return article, version.narration


@bp.get("/<lang>/articles/<slug>/narration.json")
def narration_timings(slug: str):
    """Where the recording is, and the sentences heard in each stretch: ``[start ms, end ms, [[part, at, length]]]``."""
    _, narration = _narration(slug)
    ending = narration.audio.suffix.lower().lstrip(".")
    return jsonify(audio=url_for("narration.narration_audio", slug=slug, ending=ending),
                   segments=[[segment.start_ms, segment.end_ms, [list(place) for place in segment.ranges]]
                             for segment in narration.segments])


@bp.get("/<lang>/articles/<slug>/narration.<any(ogg, opus, mp3):ending>")
def narration_audio(slug: str, ending: str):
    """The recording, from the content folder as it is (a range of it when asked: the player seeks)."""
    _, narration = _narration(slug)
    if narration.audio.suffix.lower() != f".{ending}":
        abort(404)
    try:
        # Checked again now: the folder may have changed since the library was read.
        audio = open_inside(get_library().folder, narration.audio)
    except OSError:
        abort(404)
    size = os.fstat(audio.fileno()).st_size
    response = Response(wrap_file(request.environ, audio), mimetype=AUDIO_TYPES[f".{ending}"],
                        direct_passthrough=True)
    response.content_length = size
    try:
        return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:  # answered with 416; the file is not sent, so closed now
        audio.close()
        raise
