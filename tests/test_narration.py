"""A person's recording of an article: the three timing formats, the checks on it, and how it is served."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from kiosk.content.files import UnreadableFile
from kiosk.content.loader import load_library
from kiosk.content.narration import MAX_AUDIO_BYTES, comparable, recording_ms, sentences
from kiosk.content.timings import read_audacity_labels, read_media_overlay, read_webvtt

FIXTURE = Path(__file__).parent / "fixtures" / "narration"
_MAKER = importlib.util.spec_from_file_location("make_recording", FIXTURE / "make_recording.py")
_made_by = importlib.util.module_from_spec(_MAKER)
_MAKER.loader.exec_module(_made_by)
SENTENCES = _made_by.SENTENCES
"""The fixture article's sentences, as Listen reads them (title, summary, heading, paragraph, list),
as the script that recorded them says them."""
FORMATS = {"labels": "txt", "webvtt": "vtt", "smil": "smil"}


@pytest.fixture
def content(tmp_path):
    """A copy of the narration fixture to spoil."""
    folder = tmp_path / "content"
    shutil.copytree(FIXTURE, folder)
    return folder


def timing_file(folder: Path, timed_as: str) -> Path:
    return folder / "articles" / f"narrated-{timed_as}" / "narration" / f"en.{FORMATS[timed_as]}"


def narration_problems(library):
    return [str(problem) for problem in library.problems if "narration" in str(problem.path)]


# The three readers


def test_audacity_labels_are_read_with_point_labels_lasting_until_the_next():
    cues = read_audacity_labels("0.5\t1,25\tHello there.\n\\\t100.0\t2000.0\n2\t2\tA point.\n3.5\t3.5\tLast one.\n")
    assert [(cue.start_ms, cue.end_ms, cue.text, cue.line) for cue in cues] == [
        (500, 1250, "Hello there.", 1), (2000, 3500, "A point.", 3), (3500, None, "Last one.", 4)]


@pytest.mark.parametrize("line, why", [("1.0 2.0 words", "start<TAB>end"), ("a\tb\twords", "not times"),
                                       ("2.0\t1.0\twords", "no earlier")])
def test_a_bad_audacity_label_names_its_line(line, why):
    with pytest.raises(UnreadableFile, match=why) as raised:
        read_audacity_labels(f"0\t1\tfine\n{line}\n")
    assert raised.value.line == 2


def test_webvtt_cues_are_read_without_their_tags_with_their_lines():
    cues = read_webvtt("WEBVTT\n\nintro\n00:00.250 --> 00:01.500\n<v Ann>Hello</v> <b>there</b>.\n\n"
                       "00:01:02.000 --> 00:01:03.000 align:start\nTwo\nlines.\n")
    assert [(cue.start_ms, cue.end_ms, cue.text, cue.line) for cue in cues] == [
        (250, 1500, "Hello there.", 4), (62000, 63000, "Two lines.", 7)]


def test_a_file_that_is_not_webvtt_is_refused():
    with pytest.raises(UnreadableFile, match="not a WebVTT file"):
        read_webvtt("1\n00:00:00,000 --> 00:00:01,000\nan SRT file\n")


def test_a_media_overlay_gives_each_par_its_clip_in_document_order():
    cues = read_media_overlay(
        '<smil xmlns="http://www.w3.org/ns/SMIL" version="3.0"><body><seq>'
        '<par><text src="c.xhtml#a"/><audio src="a.mp3" clipBegin="0:00:01.5" clipEnd="2500ms"/></par>'
        '<seq><par><text src="c.xhtml#b"/><audio src="a.mp3" clipBegin="3s" clipEnd="0.1min"/></par></seq>'
        '<par><text src="c.xhtml#c"/><audio src="a.mp3" clipBegin="7"/></par>'
        '</seq></body></smil>')
    assert [(cue.start_ms, cue.end_ms, cue.text, cue.number) for cue in cues] == [
        (1500, 2500, None, 1), (3000, 6000, None, 2), (7000, None, None, 3)]


@pytest.mark.parametrize("smil, why", [
    ('<?xml version="1.0"?><!DOCTYPE smil [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     '<smil xmlns="http://www.w3.org/ns/SMIL"/>', "entity declarations"),
    ("<smil xmlns='http://www.w3.org/ns/SMIL'><par>", "not well-formed"),
    ("<html/>", "root element must be <smil>"),
    ("<smil xmlns='http://www.w3.org/ns/SMIL'><par><audio src='a.mp3' clipBegin='1s'/></par></smil>",
     "needs both a <text> and an <audio>"),
    ("<smil xmlns='http://www.w3.org/ns/SMIL'><par><text src='a#b'/><audio src='a.mp3' clipBegin='soon'/></par>"
     "</smil>", "not a SMIL clock value"),
    ("<smil xmlns='http://www.w3.org/ns/SMIL'><par><text src='a#b'/><audio src='a.mp3' clipBegin='1s'/></par>"
     "<par><text src='a#c'/><audio src='b.mp3' clipBegin='2s'/></par></smil>", "a narration is one recording"),
])
def test_a_bad_or_hostile_media_overlay_is_refused(smil, why):
    with pytest.raises(UnreadableFile, match=why):
        read_media_overlay(smil)


def test_sentences_are_cut_in_every_script_and_compared_without_spaces_or_punctuation():
    found = sentences({"a": "One. Two? «Three!» Then", "b": "你好。我们走吧！", "c": "ہاں۔ نہیں؟ نعم."})
    assert [sentence.text for sentence in found] == [
        "One.", "Two?", "«Three!»", "Then", "你好。", "我们走吧！", "ہاں۔", "نہیں؟", "نعم."]
    assert [(sentence.part, sentence.start, sentence.length) for sentence in found][:3] == [
        ("a", 0, 4), ("a", 5, 4), ("a", 10, 8)]
    assert comparable("  It’s — OKAY, really!") == comparable("its okay really")


# Checking a narration against its article


def test_the_fixture_is_valid_in_every_format():
    library = load_library(FIXTURE)
    assert narration_problems(library) == []
    assert library.error_count == 0
    for timed_as in FORMATS:
        narration = library.articles[f"narrated-{timed_as}"].versions["en"].narration
        assert narration is not None and narration.audio.name == "en.opus"
        assert len(narration.segments) == (6 if timed_as == "webvtt" else 7)
        starts = [segment.start_ms for segment in narration.segments]
        assert starts == sorted(starts) and starts[0] == 0


@pytest.mark.parametrize("timed_as", ["labels", "webvtt"])
def test_cues_out_of_order_are_one_error_and_the_article_still_serves(content, timed_as):
    path = timing_file(content, timed_as)
    if timed_as == "labels":
        lines = path.read_text().splitlines(keepends=True)
        lines[3], lines[4] = lines[4], lines[3]
        path.write_text("".join(lines))
    else:
        text = path.read_text()
        path.write_text(text.replace("00:07.564 --> 00:08.657", "00:00.500 --> 00:08.657"))
    library = load_library(content)
    [problem] = narration_problems(library)
    assert f"en.{FORMATS[timed_as]}:" in problem and "error" in problem
    assert "in the order they are heard" in problem and "the kiosk's own voice instead" in problem
    article = library.articles[f"narrated-{timed_as}"]
    assert article.versions["en"].narration is None and article.versions["en"].title == SENTENCES[0]


@pytest.mark.parametrize("change, why", [
    (lambda text: text.replace("Some people like to hear an article.", "Some people like an article."),
     "is not the article's next sentence"),
    (lambda text: "".join(text.splitlines(keepends=True)[:-2]), "the cues stop before the end of the text"),
    (lambda text: text + "17.3\t17.5\tAnd one more.\n", "comes after the end of the article's text"),
    (lambda text: text.replace("Some people like to hear an article.", "Some people like"),
     "is not the article's next sentence"),
])
def test_timings_that_do_not_cover_the_text_in_order_are_refused(content, change, why):
    path = timing_file(content, "labels")
    path.write_text(change(path.read_text()))
    [problem] = narration_problems(load_library(content))
    assert why in problem


def test_punctuation_case_and_spaces_may_differ(content):
    path = timing_file(content, "labels")
    labels = path.read_text().replace("Some people like to hear an article.", "some  PEOPLE like to hear an article")
    path.write_text(labels.replace("Why listen", "Why listen:"))
    library = load_library(content)
    assert narration_problems(library) == []
    assert library.articles["narrated-labels"].versions["en"].narration is not None


def test_a_media_overlay_needs_one_par_per_sentence(content):
    path = timing_file(content, "smil")
    text = path.read_text()
    first = text.index('      <par id="p7">')
    path.write_text(text[:first] + text[text.index("</par>", first) + len("</par>\n"):])
    [problem] = narration_problems(load_library(content))
    assert "6 <par> elements for the 7 sentences" in problem


@pytest.mark.parametrize("spoil, why", [
    (lambda audio: audio.write_bytes(b"RIFF....WAVEfmt " + bytes(100)), "not an Ogg Opus file"),
    (lambda audio: audio.rename(audio.with_suffix(".mp3")), "not an MP3 file"),
    (lambda audio: audio.write_bytes(b"OggS" + bytes(MAX_AUDIO_BYTES)), "larger than 32 MiB"),
    (lambda audio: audio.unlink(), "no recording beside it"),
])
def test_a_bad_recording_is_one_error_naming_it(content, spoil, why):
    audio = content / "articles" / "narrated-webvtt" / "narration" / "en.opus"
    spoil(audio)
    library = load_library(content)
    [problem] = narration_problems(library)
    assert why in problem and "narrated-webvtt/narration/en." in problem
    assert library.articles["narrated-webvtt"].versions["en"].narration is None


def test_a_recording_linked_from_outside_the_content_folder_is_not_read(content, tmp_path):
    outside = tmp_path / "elsewhere.opus"
    shutil.copyfile(FIXTURE / "articles" / "narrated-webvtt" / "narration" / "en.opus", outside)
    audio = content / "articles" / "narrated-webvtt" / "narration" / "en.opus"
    audio.unlink()
    audio.symlink_to(outside)
    [problem] = narration_problems(load_library(content))
    assert "outside the article's folder" in problem


def test_an_oversized_timing_file_is_refused_unread(content):
    timing_file(content, "webvtt").write_text("WEBVTT\n\n" + "x" * (1024 * 1024 + 1))
    [problem] = narration_problems(load_library(content))
    assert "larger than 1024 KiB" in problem


def test_stray_files_and_narrations_of_missing_languages_are_warnings(content):
    narration = content / "articles" / "narrated-labels" / "narration"
    (narration / "notes.doc").write_text("hello")
    shutil.copyfile(narration / "en.txt", narration / "fr.txt")
    library = load_library(content)
    found = narration_problems(library)
    assert len(found) == 2 and all(": warning: " in line for line in found)
    assert library.articles["narrated-labels"].versions["en"].narration is not None


def test_content_check_prints_one_line_naming_the_bad_file(content, runner):
    path = timing_file(content, "webvtt")
    path.write_text(path.read_text().replace("This one is short.", "This one is long."))
    result = runner.invoke(args=["content", "check", str(content)])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "narration" in line]
    assert line.startswith(f"{path}:") and ": error: cue 4 (line 12)" in line


def test_a_changed_narration_is_read_again_at_the_next_start(content, make_app):
    path = timing_file(content, "labels")
    app = make_app(content=content)
    with app.app_context():
        from kiosk.content.serving import get_library
        assert get_library().articles["narrated-labels"].versions["en"].narration is not None
    path.write_text("0\t1\tSomething else entirely\n")
    app = make_app(content=content)
    with app.app_context():
        assert get_library().articles["narrated-labels"].versions["en"].narration is None


def test_a_changed_recording_is_checked_again_at_the_next_start(content, make_app):
    audio = content / "articles" / "narrated-smil" / "narration" / "en.opus"
    app = make_app(content=content)
    with app.app_context():
        from kiosk.content.serving import get_library
        assert get_library().articles["narrated-smil"].versions["en"].narration is not None
    audio.write_bytes(audio.read_bytes()[:len(audio.read_bytes()) // 2])  # cut short: its last page says less
    app = make_app(content=content)
    with app.app_context():
        assert get_library().articles["narrated-smil"].versions["en"].narration is None


# Serving it


@pytest.fixture
def narrated_client(make_app):
    return make_app(content=FIXTURE, languages="en,es").test_client()


def test_the_timings_say_where_each_sentence_is_on_the_page(narrated_client):
    response = narrated_client.get("/en/articles/narrated-webvtt/narration.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    timings = response.get_json()
    assert timings["audio"] == "/en/articles/narrated-webvtt/narration.opus"
    assert [places for _, _, places in timings["segments"]] == [
        [["title", 0, 18]], [["summary", 0, 84]], [["body-0", 0, 10]], [["body-1", 0, 55]],
        [["body-2", 0, 14]], [["body-3", 0, 18]]]


def test_the_recording_is_sent_whole_or_in_ranges_and_never_kept(narrated_client):
    recording = (FIXTURE / "articles" / "narrated-smil" / "narration" / "en.opus").read_bytes()
    address = "/en/articles/narrated-smil/narration.opus"
    with narrated_client.get(address) as whole:
        assert whole.status_code == 200 and whole.data == recording and whole.mimetype == "audio/ogg"
        assert whole.headers["Cache-Control"] == "no-store"
    with narrated_client.get(address, headers={"Range": "bytes=100-199"}) as part:
        assert part.status_code == 206 and part.data == recording[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(recording)}"
    with narrated_client.get(address, headers={"Range": f"bytes={len(recording)}-"}) as beyond:
        assert beyond.status_code == 416
    assert narrated_client.get("/en/articles/narrated-smil/narration.mp3").status_code == 404


def test_the_article_page_offers_the_recording_where_there_is_one(narrated_client):
    page = narrated_client.get("/en/articles/narrated-labels").get_data(as_text=True)
    assert 'data-narration="/en/articles/narrated-labels/narration.json"' in page
    # A reader of another language is shown the English version, and so hears its recording.
    assert narrated_client.get("/es/articles/narrated-labels/narration.json").status_code == 200


def test_the_shipped_library_has_no_recordings(client):
    assert client.get("/en/articles/consent/narration.json").status_code == 404
    assert "data-narration" not in client.get("/en/articles/consent").get_data(as_text=True)


def test_with_read_aloud_off_there_is_no_recording(make_app):
    client = make_app(content=FIXTURE, read_aloud=False).test_client()
    assert client.get("/en/articles/narrated-labels/narration.json").status_code == 404
    assert client.get("/en/articles/narrated-labels/narration.opus").status_code == 404
    assert "data-narration" not in client.get("/en/articles/narrated-labels").get_data(as_text=True)


def test_a_language_without_a_voice_is_heard_through_its_recording(content, make_app):
    """Tagalog has no eSpeak NG voice: an article with a Tagalog recording still offers Listen in Tagalog."""
    article = content / "articles" / "narrated-labels"
    source = (article / "en.md").read_text()
    front, body = source.split("---\n")[1:3]
    kept = [line for line in front.splitlines() if line.startswith(("title:", "summary:"))]
    (article / "tl.md").write_text("---\n" + "\n".join(kept) + "\ntranslated_from: 1\nreviewed: false\n---\n" + body)
    client = make_app(content=content, languages="en,tl").test_client()
    assert 'class="listen"' not in client.get("/tl/articles/narrated-labels").get_data(as_text=True)
    for ending in ("opus", "txt"):
        shutil.copyfile(article / "narration" / f"en.{ending}", article / "narration" / f"tl.{ending}")
    client = make_app(content=content, languages="en,tl").test_client()
    page = client.get("/tl/articles/narrated-labels").get_data(as_text=True)
    assert 'data-narration="/tl/articles/narrated-labels/narration.json"' in page
    assert client.get("/tl/articles/narrated-labels/narration.json").status_code == 200


def test_a_webvtt_cue_that_cannot_be_read_is_not_silently_left_out():
    with pytest.raises(UnreadableFile, match="a cue webvtt-py cannot read"):
        read_webvtt("WEBVTT\n\n00:00.000 --> soon\nHello.\n\n00:01.000 --> 00:02.000\nThere.\n")


def test_a_cue_after_the_end_of_the_recording_is_refused(content):
    path = timing_file(content, "labels")
    path.write_text(path.read_text().replace("15.539229\t17.172426", "15.539229\t19.000000"))
    [problem] = narration_problems(load_library(content))
    assert "cue 7 (line 7) ends at 19.000 s, after the recording ends (17.572 s)" in problem


def test_how_long_an_ogg_recording_is_comes_from_its_last_page(tmp_path):
    opus = FIXTURE / "articles" / "narrated-labels" / "narration" / "en.opus"
    assert recording_ms(opus) == 17572  # the seven sentences and a pause after each
    vorbis = tmp_path / "vorbis.ogg"
    page = b"OggS\x00\x02" + (0).to_bytes(8, "little") + bytes(13)
    identification = b"\x01vorbis" + bytes(4) + b"\x01" + (44100).to_bytes(4, "little") + bytes(16)
    last = b"OggS\x00\x04" + (3 * 44100).to_bytes(8, "little") + bytes(13)
    vorbis.write_bytes(page + identification + bytes(1000) + last)
    assert recording_ms(vorbis) == 3000
    assert recording_ms(tmp_path / "any.mp3") is None


@pytest.mark.parametrize("timed_as", list(FORMATS))
def test_timings_saved_with_a_byte_order_mark_and_windows_line_ends_are_read(content, timed_as):
    path = timing_file(content, timed_as)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_text().replace("\n", "\r\n").encode())
    library = load_library(content)
    assert narration_problems(library) == []
    assert library.articles[f"narrated-{timed_as}"].versions["en"].narration is not None
