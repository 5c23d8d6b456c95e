"""Read-aloud on the server: eSpeak NG for real, every part of an article, every language with a voice."""

from __future__ import annotations

import io
import re
import urllib.request
import wave

import pytest

from kiosk.languages import LANGUAGES
from kiosk.speech.parts import speech_parts

from .kiosk_process import kiosk_process

pytestmark = pytest.mark.usefixtures("own_instance")
VOICED_TAGS = [language.tag for language in LANGUAGES if language.voice]
SILENT_TAGS = [language.tag for language in LANGUAGES if not language.voice]
WORD = re.compile(r"(?:\w|[\u064b-\u065f\u0670])+")  # a word, with any Arabic vowel marks


def duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        return audio.getnframes() / audio.getframerate()


@pytest.mark.parametrize("tag", VOICED_TAGS)
def test_every_language_with_a_voice_is_spoken_and_longer_text_takes_longer(app, client, tag):
    assert tag in app.extensions["kiosk_voices"]
    title = client.get(f"/{tag}/articles/boundaries/speech/title.wav")
    body = client.get(f"/{tag}/articles/boundaries/speech/body-0.wav")
    assert title.status_code == body.status_code == 200
    assert title.mimetype == "audio/wav" and title.headers["Cache-Control"] == "no-store"
    assert 0.3 < duration(title.data) < duration(body.data)


@pytest.mark.parametrize("tag", VOICED_TAGS)
def test_word_timings_follow_the_words_of_the_part_in_order(client, tag):
    data = client.get(f"/{tag}/articles/consent/speech/body-3.json").get_json()
    text, words = data["text"], data["words"]
    assert words and data["duration_ms"] > words[-1][2]
    starts = [start for start, _, _ in words]
    times = [milliseconds for _, _, milliseconds in words]
    assert starts == sorted(starts) and times == sorted(times) and times[0] == 0
    for (start, length, _), following in zip(words, [*starts[1:], len(text)], strict=True):
        spoken = text[start:start + length]
        assert spoken.strip() == spoken and WORD.search(spoken), (spoken, text)
        assert start + length <= following
    if tag == "zh-Hans":
        assert all(length == 1 for _, length, _ in words)  # Chinese is followed character by character
    else:
        said = {start for start, _, _ in words}
        found = [match.start() for match in WORD.finditer(text)]
        assert len(said & set(found)) >= 0.7 * len(found)  # most words are heard where they stand


def test_the_parts_are_the_text_on_the_page(client, shipped_library):
    page = client.get("/ar/articles/consent").get_data(as_text=True)
    on_page = speech_parts(page)
    assert list(on_page)[:4] == ["notice-1", "title", "summary", "body-0"]
    for name, text in on_page.items():
        assert client.get(f"/ar/articles/consent/speech/{name}.json").get_json()["text"] == text
    assert "**" not in "".join(on_page.values())


def test_link_numbers_are_not_read(mixed_client):
    page = mixed_client.get("/en/articles/good").get_data(as_text=True)
    assert '<span class="offsite-link">guide to rest</span><sup class="offsite-marker">1</sup>' in page
    assert speech_parts(page)["body-3"] == "Friends, and a guide to rest"
    spoken = mixed_client.get("/en/articles/good/speech/body-3.json").get_json()
    assert spoken["text"] == "Friends, and a guide to rest"


@pytest.mark.parametrize("address, status", [
    ("/en/articles/no-such-article/speech/title.wav", 404),
    ("/xx/articles/consent/speech/title.wav", 404),
    ("/en/articles/consent/speech/body-99999.wav", 404),
    ("/en/articles/consent/speech/body--1.wav", 400),
    ("/en/articles/consent/speech/body-1000000000000.json", 400),
    ("/en/articles/consent/speech/notice-0.wav", 404),  # English is the source: no notice
    ("/en/articles/consent/speech/<script>.json", 400),
    ("/en/articles/consent/speech/title.mp3", 404),
])
def test_bad_requests_get_a_clear_answer(client, address, status):
    response = client.get(address)
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_language_without_a_voice_is_not_spoken_and_shows_no_listen(make_app):
    app = make_app()
    app.extensions["kiosk_voices"] = frozenset({"en"})
    client = app.test_client()
    assert client.get("/uk/articles/consent/speech/title.wav").status_code == 404
    assert client.get("/en/articles/consent/speech/title.wav").status_code == 200


def test_staff_can_turn_read_aloud_off(make_app):
    app = make_app(read_aloud="off")
    client = app.test_client()
    assert client.get("/en/articles/consent/speech/title.wav").status_code == 404
    assert 'class="listen"' not in client.get("/en/articles/consent").get_data(as_text=True)
    assert 'class="listen"' in make_app().test_client().get("/en/articles/consent").get_data(as_text=True)


def test_every_article_offers_listen_and_each_column_side_by_side(client):
    for tag in VOICED_TAGS:
        page = client.get(f"/{tag}/articles/intimacy").get_data(as_text=True)
        assert page.count('class="listen"') == 1
        assert f'data-speech-base="/{tag}/articles/intimacy/speech/"' in page
    compare = client.get("/fr/articles/intimacy?compare=ar").get_data(as_text=True)
    assert 'data-speech-base="/fr/articles/intimacy/speech/"' in compare
    assert 'data-speech-base="/ar/articles/intimacy/speech/"' in compare


def test_tagalog_has_no_voice_so_no_listen_and_says_nothing(app, client):
    """eSpeak NG has no Tagalog voice: rather than read Tagalog in another language's voice, it offers nothing."""
    assert SILENT_TAGS == ["tl"] and "tl" not in app.extensions["kiosk_voices"]
    page = client.get("/tl/articles/intimacy").get_data(as_text=True)
    assert 'class="listen"' not in page and "data-speech=" in page
    assert client.get("/tl/articles/intimacy/speech/title.wav").status_code == 404
    compare = client.get("/tl/articles/intimacy?compare=en").get_data(as_text=True)
    assert compare.count('class="listen"') == 1  # the English column only
    assert 'data-speech-base="/en/articles/intimacy/speech/"' in compare


def test_the_log_names_no_article_after_listening():
    with kiosk_process() as kiosk:
        for address in ("/fr/articles/boundaries/speech/title.wav", "/fr/articles/boundaries/speech/body-2.json"):
            urllib.request.urlopen(kiosk.base + address, timeout=10).read()
    assert "boundaries" not in kiosk.output and "speech" not in kiosk.output and "body-2" not in kiosk.output
    assert "Reading kiosk ready" in kiosk.output


def test_words_without_events_from_the_engine_are_spread_over_the_audio():
    from kiosk.speech.engine import _spread
    text = "Consent, “yes” and 你好"
    placed = _spread(text, 1900)
    assert [text[start:start + length] for start, length, _ in placed] == ["Consent", "yes", "and", "你好"]
    assert [heard for _, _, heard in placed] == [0, 1900 * 7 // 15, 1900 * 10 // 15, 1900 * 13 // 15]
    assert _spread("Consent", 611) == ((0, 7, 0),)
