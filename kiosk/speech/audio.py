"""The read-aloud addresses: each part of an article spoken, and when each of its words is heard.

``GET /<lang>/articles/<slug>/speech/<part>.wav`` is the audio of one part (see
``parts.py``) of the article as a reader of ``<lang>`` is shown it;
``.../<part>.json`` is its text and word timings, for the highlight. Both are
made when asked for, in memory, and sent with ``no-store``: nothing is kept,
on disk or in memory, and nothing is logged.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, jsonify

from ..i18n import current_language
from ..languages import BY_TAG
from ..reading import article_or_404, translation_notice
from .engine import Speaker, SpeechError
from .parts import article_parts

bp = Blueprint("speech", __name__)
PART_NAME = re.compile(r"^(?:title|summary|notice-\d{1,2}|body-\d{1,5})$")


def speaker() -> Speaker | None:
    """The speech engine of the running kiosk (None where eSpeak NG is missing)."""
    return current_app.extensions["kiosk_speaker"]


def can_listen(tag: str) -> bool:
    """Whether text in language ``tag`` can be read aloud on this kiosk now."""
    return current_app.config["KIOSK_READ_ALOUD"] and tag in current_app.extensions["kiosk_voices"]


def _part(slug: str, part: str) -> tuple[str, str]:
    """(language, text) of one part, or the right error for a request that names none."""
    if not PART_NAME.match(part):
        abort(400)
    article = article_or_404(slug)
    reader = current_language()
    # The notices exactly as the page shows them to this reader.
    parts = article_parts(article, reader, str(translation_notice(article, reader)))
    if part not in parts:
        abort(404)
    language, text = parts[part]
    if not can_listen(language) or not text.strip():
        abort(404)
    return language, text


def _speak(slug: str, part: str):
    language, text = _part(slug, part)
    try:
        return text, speaker().speak(text, BY_TAG[language].voice)
    except SpeechError:
        abort(503)


@bp.get("/<lang>/articles/<slug>/speech/<part>.wav")
def audio(slug: str, part: str):
    """One part of the article, spoken (a WAV file)."""
    _, speech = _speak(slug, part)
    return Response(speech.wav, mimetype="audio/wav")


@bp.get("/<lang>/articles/<slug>/speech/<part>.json")
def timings(slug: str, part: str):
    """One part's text and, for each word, where it is in the text and when it is heard."""
    text, speech = _speak(slug, part)
    return jsonify(text=text, duration_ms=speech.duration_ms, words=[list(word) for word in speech.words])
