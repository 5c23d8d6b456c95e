"""Speaking mode on the server: the short texts a page sends are spoken, in their own languages, and never kept."""

from __future__ import annotations

import io
import json
import urllib.request
import wave

import pytest

from kiosk.languages import BY_TAG

from .conftest import EVERY_LANGUAGE
from .kiosk_process import kiosk_process

pytestmark = pytest.mark.usefixtures("own_instance")


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        return audio.getnframes() / audio.getframerate()


def say(client, *pieces, rate=165):
    return client.post("/speech/say", json={"say": [list(piece) for piece in pieces], "rate": rate})


@pytest.mark.parametrize("tag", ["en", "ar", "zh-Hans"])
def test_a_control_is_spoken_in_its_language_and_more_pieces_take_longer(client, tag):
    one = say(client, (tag, "Reading corner"))
    assert one.status_code == 200 and one.mimetype == "audio/wav"
    assert one.headers["Cache-Control"] == "no-store"
    two = say(client, (tag, "Reading corner"), ("en", "link"))
    assert seconds(two.data) > seconds(one.data) > 0.3


@pytest.mark.parametrize("tag, text", [("en", "Sexual health and consent"), ("ar", "الصحة الجنسية والموافقة"),
                                       ("zh-Hans", "性健康与知情同意")])
def test_each_word_comes_with_its_place_in_its_piece_and_when_it_is_heard(client, tag, text):
    # A piece with no voice (Tagalog) is left out, but the pieces keep the places they were sent in.
    response = say(client, ("tl", "Pahintulot"), (tag, text), ("en", "link"))
    words = json.loads(response.headers["Speech-Words"])
    assert {word[0] for word in words} == {1, 2}
    first = [word for word in words if word[0] == 1]
    said = [text[start:start + length] for _, start, length, _ in first]
    assert "".join(said).replace(" ", "") in text.replace(" ", "") and len("".join(said)) >= len(text) // 2, said
    assert words == sorted(words, key=lambda word: word[3])  # in the order heard
    # "link" is heard once the piece before it has been said, and before the audio ends.
    assert seconds(say(client, (tag, text)).data) * 1000 - 20 <= words[-1][3] < seconds(response.data) * 1000
    assert words[-1][1:3] == [0, 4]


def test_a_slower_rate_takes_longer(client):
    text = ("en", "Speaking mode is on. The arrow keys move, Enter chooses.")
    assert seconds(say(client, text, rate=110).data) > seconds(say(client, text, rate=240).data) * 1.5


def test_a_language_without_a_voice_is_left_out_not_read_in_another_voice(client):
    assert not BY_TAG["tl"].voice
    assert say(client, ("tl", "Pahintulot")).status_code == 204
    with_english = say(client, ("tl", "Pahintulot"), ("en", "link"))
    assert with_english.status_code == 200
    assert seconds(with_english.data) == pytest.approx(seconds(say(client, ("en", "link")).data), abs=0.01)


@pytest.mark.parametrize("body, status", [
    ({"say": [["en", "x" * 2001]], "rate": 165}, 413),
    ({"say": [["en", "a"]] * 1001, "rate": 165}, 413),
    ({"say": [["en", "hello"]], "rate": 9999}, 400),
    ({"say": [["en", "hello"]], "rate": "fast"}, 400),
    ({"say": [["en"]], "rate": 165}, 400),
    ({"say": "hello", "rate": 165}, 400),
    ([], 400),
])
def test_bad_requests_get_a_clear_answer(client, body, status):
    response = client.post("/speech/say", data=json.dumps(body), content_type="application/json")
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


def test_speech_is_asked_for_in_a_body_never_in_an_address(client):
    assert client.get("/speech/say?text=consent").status_code == 405


def test_with_read_aloud_off_nothing_is_spoken_and_no_button_shows(make_app):
    client = make_app(read_aloud="off").test_client()
    assert say(client, ("en", "link")).status_code == 404
    page = client.get("/en/").get_data(as_text=True)
    assert '"voices": []' in page
    assert '"voices": ["en", "es"' in make_app(languages=EVERY_LANGUAGE).test_client().get("/en/").get_data(as_text=True)


def test_a_page_in_a_language_without_a_voice_says_so_in_its_own_words_and_offers_english(client):
    page = client.get("/tl/articles/consent").get_data(as_text=True)
    assert "Hindi kayang magsalita ng kiosk na ito sa Tagalog." in page  # shown, in Tagalog
    assert "This kiosk cannot speak Tagalog. Press Enter to hear the kiosk in English." in page  # spoken
    assert '"nearest": "en"' in page
    assert '"no_voice": null' in client.get("/en/articles/consent").get_data(as_text=True)


def test_the_log_holds_nothing_that_was_spoken():
    with kiosk_process() as kiosk:
        for body in ({"say": [["en", "Sexual health, heading, level 1"]], "rate": 165}, {"say": "bad"}):
            request = urllib.request.Request(kiosk.base + "/speech/say", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            try:
                urllib.request.urlopen(request, timeout=30).read()
            except urllib.error.HTTPError as error:
                assert error.code == 400
    assert "Sexual" not in kiosk.output and "speech" not in kiosk.output and "say" not in kiosk.output
    assert "Reading kiosk ready" in kiosk.output
