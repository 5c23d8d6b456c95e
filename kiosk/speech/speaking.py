"""Speaking mode's voice: the short things a page says as a patron moves through it.

``POST /speech/say`` speaks what the page sends in its body, as JSON:
``{"say": [[language tag, text], ...], "rate": words a minute}``, one WAV, with
the time each word is heard in its ``Speech-Words`` header (as read-aloud's
``.json`` gives it, see ``audio.py``), for the page to highlight the words it
holds as they are spoken. The page sends only text it holds (a control's name and role, a paragraph, a
sentence of help), each piece in its own language, so a control's role can be
said in the page's language and the article text beside it in the article's.
The body, unlike an address, is never written to a log; the audio is made in
memory and sent with ``no-store``; nothing is kept.
"""

from __future__ import annotations

import io
import json
import wave

from babel import Locale
from flask import Blueprint, Flask, Response, abort, current_app, request

from ..languages import BY_TAG, Language
from .engine import SpeechError

bp = Blueprint("speaking", __name__)

MOST_TEXT, MOST_PIECES = 2000, 40
"""Characters and pieces spoken in one request at most: a long paragraph is sent a sentence at a time."""
SLOWEST, FASTEST = 80, 400
"""The words a minute a page may ask for."""


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs; it is translated later, into a language chosen then."""
    return message


NO_VOICE = N_("This kiosk cannot speak %(language)s. Press Enter to hear the kiosk in %(nearest)s.")


def no_voice_notice(language: Language) -> dict[str, str] | None:
    """What a page in a language with no voice shows and says when speaking mode starts, or None.

    It is shown in the page's own language and spoken in the nearest language
    that has a voice (``Language.spoken_instead``), whose page Enter opens.
    """
    nearest = BY_TAG.get(language.spoken_instead or "")
    if language.voice or nearest is None or nearest not in current_app.config["KIOSK_LANGUAGES"]:
        return None
    catalogs = current_app.extensions["kiosk_catalogs"]

    def notice_in(reader: Language) -> str:
        names = Locale.parse(reader.locale).languages
        return catalogs[reader.tag].ugettext(NO_VOICE) % {
            "language": names.get(language.locale, language.native_name),
            "nearest": names.get(nearest.locale, nearest.native_name)}
    return {"shown": notice_in(language), "spoken": notice_in(nearest), "nearest": nearest.tag}


def speaking_voices() -> list[str]:
    """The tags of the offered languages speaking mode can speak, for the page to leave out the others."""
    return [language.tag for language in current_app.config["KIOSK_LANGUAGES"]
            if current_app.config["KIOSK_READ_ALOUD"] and language.tag in current_app.extensions["kiosk_voices"]]


WORDS_HEADER = "Speech-Words"
"""``[[piece, start, length, milliseconds], ...]``: for each word spoken, the piece of the body it is in
(counted from 0, as sent), where it is in that piece's text (UTF-16 code units, as JavaScript counts) and
when it is heard, from the start of the WAV. Numbers only: the header holds nothing that was said."""


def _pieces() -> tuple[list[tuple[int, str, str]], int]:
    """The (place in the body, voice, text) pieces and the rate the body asks for; 400 if it asks for nothing sensible."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("say"), list):
        abort(400)
    voices = current_app.extensions["kiosk_voices"]
    pieces, length = [], 0
    for place, piece in enumerate(body["say"]):
        if not (isinstance(piece, list) and len(piece) == 2 and all(isinstance(part, str) for part in piece)):
            abort(400)
        tag, text = piece
        length += len(text)
        # A piece in a language with no voice is left out: never read in a voice of another language.
        if tag in voices and text.strip():
            pieces.append((place, BY_TAG[tag].voice, text))
    if length > MOST_TEXT or len(body["say"]) > MOST_PIECES:
        abort(413)
    rate = body.get("rate", 0)
    if not isinstance(rate, int) or not SLOWEST <= rate <= FASTEST:
        abort(400)
    return pieces, rate


@bp.post("/speech/say")
def say():
    """The pieces of text in the body, spoken one after another (a WAV, with when each word is heard), or 204."""
    if not current_app.config["KIOSK_READ_ALOUD"] or current_app.extensions["kiosk_speaker"] is None:
        abort(404)
    pieces, rate = _pieces()
    if not pieces:
        return Response(status=204)
    speaker = current_app.extensions["kiosk_speaker"]
    try:
        spoken = [(place, speaker.speak(text, voice, rate)) for place, voice, text in pieces]
    except SpeechError:
        abort(503)
    wav, words = _joined(spoken, speaker.sample_rate)
    return Response(wav, mimetype="audio/wav", headers={WORDS_HEADER: json.dumps(words, separators=(",", ":"))})


def _joined(spoken, sample_rate: int) -> tuple[bytes, list[list[int]]]:
    """One WAV of several, one after another, and each word's piece, place and time in it (``WORDS_HEADER``)."""
    output, words, frames = io.BytesIO(), [], 0
    with wave.open(output, "wb") as joined:
        joined.setnchannels(1)
        joined.setsampwidth(2)
        joined.setframerate(sample_rate)
        for place, speech in spoken:
            started_ms = frames * 1000 // sample_rate
            words.extend([place, start, length, started_ms + milliseconds] for start, length, milliseconds in speech.words)
            with wave.open(io.BytesIO(speech.wav)) as part:
                frames += part.getnframes()
                joined.writeframes(part.readframes(part.getnframes()))
    return output.getvalue(), words


def init_app(app: Flask) -> None:
    """Register the speaking address and what the layout needs to speak on a page without a voice."""
    app.register_blueprint(bp)
    app.jinja_env.globals["no_voice_notice"] = no_voice_notice
    app.jinja_env.globals["speaking_voices"] = speaking_voices
