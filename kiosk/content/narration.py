"""A person's recording of an article: found beside the article, checked, and matched to its sentences.

An article folder may hold a ``narration/`` folder with, for a language, one
recording and one timing file named by its language tag::

    articles/consent/narration/en.ogg   # or .opus or .mp3
    articles/consent/narration/en.vtt   # or .txt (Audacity labels) or .smil (EPUB 3 Media Overlay)

The recording must be what its ending says (its first bytes are checked) and no
larger than ``MAX_AUDIO_BYTES``. The timings must cover the language version's
text (title, summary, then the body, as Listen reads it) in order: each cue's
words are one or more whole sentences, the next ones, compared without case,
spaces or punctuation; a Media Overlay, whose words are in the book's pages,
must have one ``<par>`` per sentence. Cues may not go back in time.

Anything wrong is one error naming the file, and that language's Listen goes
on using the kiosk's own voice: a narration never keeps an article from being served.
"""

from __future__ import annotations

import itertools
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .files import UnreadableFile, inside, read_text
from .model import ArticleVersion, Narration, NarrationSegment, Problem, Severity
from .timings import READERS, Cue

FOLDER = "narration"
AUDIO_TYPES = {".ogg": "audio/ogg", ".opus": "audio/ogg", ".mp3": "audio/mpeg"}
"""A recording's ending -> the type it is served as (all three play in Chromium)."""
MAX_AUDIO_BYTES = 32 * 1024 * 1024
"""Ten minutes of speech is under 10 MiB even as a 128 kbit/s MP3; a file far larger is not a narration."""
FALLBACK = "Listen reads with the kiosk's own voice instead, where the language has one"
HEAD_BYTES, TAIL_BYTES = 4096, 65536
"""What is read of a recording: enough of its start for its kind, of its end for its last Ogg page."""
LATE_MS = 250
"""How far past the end of an Ogg recording a cue may end (a label dragged a little long) before it is an error."""

# A sentence runs to . ! ? … (or the Arabic and Urdu marks) and any closing quotation marks or brackets,
# then a space or the end; Chinese full stops need no space after them.
_SENTENCE = re.compile(r"\S.*?(?:[.!?…؟۔]+[\"'”’»)\]]*(?=\s|$)|[。！？]+[”’」』）]*|$)", re.DOTALL)


@dataclass(frozen=True)
class Sentence:
    """One sentence of what Listen reads, and where it is on the page."""

    part: str
    """The read-aloud part it is in (``title``, ``summary``, ``body-N``)."""
    start: int
    length: int
    text: str
    compared: str
    """The letters and digits only, folded: what a cue's words are compared with."""


def comparable(text: str) -> str:
    """``text`` as timings are compared with the article: letters, marks and digits only, case folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LMN")


def sentences(parts: Mapping[str, str]) -> list[Sentence]:
    """Every sentence of ``parts`` (part name -> its text on the page), in order, with its place in its part."""
    found = []
    for part, text in parts.items():
        for match in _SENTENCE.finditer(text):
            sentence = match.group().rstrip()
            if comparable(sentence):
                found.append(Sentence(part, match.start(), len(sentence), sentence, comparable(sentence)))
    return found


def read_parts(version: ArticleVersion) -> dict[str, str]:
    """The parts Listen reads of ``version`` (title, summary, each block), as the page shows their text."""
    # Imported here: the speech package serves the library, so it is loaded after it.
    from ..speech.parts import speech_parts

    return {"title": version.title, "summary": version.summary, **speech_parts(version.html)}


def add_narrations(folder: Path, versions: Mapping[str, ArticleVersion],
                   problems: list[Problem]) -> dict[str, ArticleVersion]:
    """``versions``, each with its narration where ``folder/narration/`` holds a good one for it."""
    narration_folder = folder / FOLDER
    if not narration_folder.is_dir():
        return dict(versions)
    if not inside(folder, narration_folder):
        problems.append(Problem(narration_folder, None,
                                f"a link to outside the article's folder: not read; {FALLBACK}"))
        return dict(versions)
    recordings: dict[str, list[Path]] = {}
    timing_files: dict[str, list[Path]] = {}
    for path in sorted(narration_folder.iterdir()):
        if path.name.startswith("."):
            continue
        ending = path.suffix.lower()
        if ending not in AUDIO_TYPES and ending not in READERS:
            problems.append(Problem(path, None, "not a narration file (a recording is .ogg, .opus or .mp3; "
                                                "its timings .vtt, .txt or .smil): ignored", Severity.WARNING))
        elif path.stem not in versions:
            problems.append(Problem(path, None, f"a narration for {path.stem!r}, but the article has no "
                                                f"readable {path.stem}.md: ignored", Severity.WARNING))
        else:
            (recordings if ending in AUDIO_TYPES else timing_files).setdefault(path.stem, []).append(path)
    chosen = dict(versions)
    for tag in sorted(recordings.keys() | timing_files.keys()):
        narration = _narration(recordings.get(tag, []), timing_files.get(tag, []), folder, versions[tag], problems)
        if narration is not None:
            chosen[tag] = replace(versions[tag], narration=narration)
    return chosen


def _narration(audio_files: list[Path], timing_files: list[Path], folder: Path, version: ArticleVersion,
               problems: list[Problem]) -> Narration | None:
    """The narration of one language from its files, or None with the problem recorded."""
    for kind, found, endings in (("recording", audio_files, ".ogg, .opus or .mp3"),
                                 ("timing file", timing_files, ".vtt, .txt or .smil")):
        if len(found) > 1:
            problems.append(Problem(found[1], None, f"a second {kind} for {version.language}: keep one; {FALLBACK}"))
            return None
        if not found:
            problems.append(Problem((audio_files + timing_files)[0], None,
                                    f"no {kind} beside it (a {endings} file named {version.language}); {FALLBACK}"))
            return None
    audio, timing = audio_files[0], timing_files[0]
    try:
        _check_audio(folder, audio)
        length_ms = recording_ms(audio)
    except UnreadableFile as error:
        problems.append(Problem(audio, None, f"{error.message}; {FALLBACK}"))
        return None
    try:
        if not inside(folder, timing):
            raise UnreadableFile("a link to a file outside the article's folder: not read")
        # Editors on Windows often save a byte-order mark first; it is not part of the timings.
        cues = READERS[timing.suffix.lower()](read_text(timing).removeprefix("\ufeff"))
        segments = match_timings(cues, sentences(read_parts(version)), timed_by_order=timing.suffix.lower() == ".smil",
                                 recording_ms=length_ms)
    except UnreadableFile as error:
        problems.append(Problem(timing, error.line, f"{error.message}; {FALLBACK}"))
        return None
    return Narration(audio=audio, timings=timing, segments=segments)


def _check_audio(folder: Path, path: Path) -> None:
    """Raise ``UnreadableFile`` unless ``path`` is in the folder, of a sensible size, and what its ending says."""
    if not inside(folder, path):
        raise UnreadableFile("a link to a file outside the article's folder: not read")
    size = path.stat().st_size
    if size > MAX_AUDIO_BYTES:
        raise UnreadableFile(f"the recording is larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MiB")
    head = checked_bytes(path)[0]
    ending = path.suffix.lower()
    if ending in (".ogg", ".opus"):
        good = head.startswith(b"OggS") and (ending == ".ogg" or b"OpusHead" in head)
    else:  # an MP3 starts with its ID3 tag, or straight away with a frame (eleven bits set)
        good = head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if not good:
        kind = {".ogg": "an Ogg", ".opus": "an Ogg Opus", ".mp3": "an MP3"}[ending]
        raise UnreadableFile(f"not {kind} file, as its name says")


def checked_bytes(path: Path) -> tuple[bytes, bytes]:
    """The start and the end of a recording: all its check reads (its kind, then its length from its last page).

    The start-up cache keys a recording by these and its size rather than by
    every byte, so an unchanged library of long recordings starts without reading them.
    """
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
        file.seek(max(0, os.fstat(file.fileno()).st_size - TAIL_BYTES))
        return head, file.read()


def recording_ms(path: Path) -> int | None:
    """How long an Ogg recording lasts (its last page's granule position); None where that is not known (MP3)."""
    if path.suffix.lower() not in (".ogg", ".opus"):
        return None
    head, tail = checked_bytes(path)
    last = tail.rfind(b"OggS")
    granule = int.from_bytes(tail[last + 6:last + 14], "little") if last >= 0 else -1
    if b"OpusHead" in head:  # Opus counts at 48 kHz, less the decoder's pre-skip
        at = head.index(b"OpusHead")
        rate, samples = 48000, granule - int.from_bytes(head[at + 10:at + 12], "little")
    elif b"\x01vorbis" in head:  # Vorbis counts at the sample rate in its identification header
        at = head.index(b"\x01vorbis")
        rate, samples = int.from_bytes(head[at + 12:at + 16], "little"), granule
    else:
        return None
    if granule < 0 or granule == 0xFFFFFFFFFFFFFFFF or rate <= 0:
        raise UnreadableFile("the recording's last Ogg page does not say how long it is: is the file complete?")
    return round(max(samples, 0) * 1000 / rate)


def match_timings(cues: list[Cue], text: list[Sentence], *, timed_by_order: bool = False,
                  recording_ms: int | None = None) -> tuple[NarrationSegment, ...]:
    """The narration's stretches, each with the sentences heard in it; ``UnreadableFile`` if they do not fit.

    ``timed_by_order``: the cues carry no words (a Media Overlay), so there must
    be one per sentence, taken in order. ``recording_ms``: how long the
    recording is, where known; no cue may end (much) after it.
    """
    if not cues:
        raise UnreadableFile("no cues: the file times nothing")
    if recording_ms is not None:
        for cue in cues:
            if max(cue.start_ms, cue.end_ms or 0) > recording_ms + LATE_MS:
                raise UnreadableFile(f"{cue.where} ends at {max(cue.start_ms, cue.end_ms or 0) / 1000:.3f} s, "
                                     f"after the recording ends ({recording_ms / 1000:.3f} s)", cue.line)
    if timed_by_order and len(cues) != len(text):
        raise UnreadableFile(f"{len(cues)} <par> elements for the {len(text)} sentences of the article: "
                             "a Media Overlay needs one per sentence, in order")
    for previous, cue in itertools.pairwise(cues):
        if cue.start_ms < previous.start_ms:
            raise UnreadableFile(f"{cue.where} starts at {cue.start_ms / 1000:.3f} s, before {previous.where} "
                                 f"({previous.start_ms / 1000:.3f} s): cues must be in the order they are heard",
                                 cue.line)
    spans = [[sentence] for sentence in text] if timed_by_order else _sentences_of_cues(cues, text)
    segments = []
    for index, (cue, heard) in enumerate(zip(cues, spans, strict=True)):
        end = cue.end_ms
        if end is None and index + 1 < len(cues):
            end = cues[index + 1].start_ms
        segments.append(NarrationSegment(cue.start_ms, end, _ranges(heard)))
    return tuple(segments)


def _sentences_of_cues(cues: list[Cue], text: list[Sentence]) -> list[list[Sentence]]:
    """For each cue, the whole sentences its words are (the next ones in the text)."""
    spans = []
    position = 0
    for cue in cues:
        words = comparable(cue.text or "")
        if not words:
            raise UnreadableFile(f"{cue.where} has no words: each cue's text is the sentences heard in it", cue.line)
        if position == len(text):
            raise UnreadableFile(f"{cue.where} ({_quote(cue.text)}) comes after the end of the article's text",
                                 cue.line)
        taken = ""
        end = position
        while end < len(text) and words.startswith(taken + text[end].compared) and len(taken) < len(words):
            taken += text[end].compared
            end += 1
        if taken != words:
            raise UnreadableFile(f"{cue.where} ({_quote(cue.text)}) is not the article's next sentence, "
                                 f"{_quote(text[position].text)}: each cue must be whole sentences, in order",
                                 cue.line)
        spans.append(text[position:end])
        position = end
    if position < len(text):
        raise UnreadableFile(f"the cues stop before the end of the text: sentence {position + 1} of {len(text)}, "
                             f"{_quote(text[position].text)}, and those after it are not timed", cues[-1].line)
    return spans


def _ranges(heard: list[Sentence]) -> tuple[tuple[str, int, int], ...]:
    """Where ``heard`` is on the page: one range per part (sentences of one part are next to each other)."""
    ranges: list[tuple[str, int, int]] = []
    for sentence in heard:
        if ranges and ranges[-1][0] == sentence.part:
            part, start, _ = ranges[-1]
            ranges[-1] = (part, start, sentence.start + sentence.length - start)
        else:
            ranges.append((sentence.part, sentence.start, sentence.length))
    return tuple(ranges)


def _quote(text: str | None) -> str:
    """Text for a message: quoted, and cut short if long."""
    text = " ".join((text or "").split())
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"
