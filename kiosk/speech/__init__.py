"""Read-aloud: articles spoken on the kiosk, offline, by eSpeak NG (or played from a person's recording),
highlighted as heard."""

from __future__ import annotations

from flask import Flask

from ..languages import LANGUAGES
from . import audio, narration, speaking
from .engine import Speaker, SpeechError, shared_speaker


def voices_available(speaker: Speaker | None) -> frozenset[str]:
    """The tags of the registered languages this kiosk can speak."""
    if speaker is None:
        return frozenset()
    return frozenset(language.tag for language in LANGUAGES if language.voice and speaker.has_voice(language.voice))


def init_app(app: Flask) -> None:
    """Load the speech engine (if it is installed), and register the read-aloud addresses."""
    try:
        speaker = shared_speaker()
    except SpeechError as error:
        app.logger.warning("read-aloud is off: %s", error)
        speaker = None
    app.extensions["kiosk_speaker"] = speaker
    app.extensions["kiosk_voices"] = voices_available(speaker)
    app.register_blueprint(audio.bp)
    app.register_blueprint(narration.bp)
    app.jinja_env.globals["can_listen"] = audio.can_listen
    app.jinja_env.globals["has_narration"] = narration.has_narration
    speaking.init_app(app)
