"""When each stretch of a recorded narration is heard, read from the files people already make.

Three formats, each read into the same list of ``Cue`` (start, end, and the
words heard, where the format carries them):

- an **Audacity label track** exported as text (``.txt``): one label a line,
  ``start<TAB>end<TAB>label text``, times in seconds; a point label (start and
  end the same) lasts until the next label starts;
- **WebVTT** (``.vtt``), read with webvtt-py: one cue per stretch, its text the
  words heard (voice and styling tags are dropped);
- an **EPUB 3 Media Overlay** (``.smil``, as DAISY and Bloom books carry): one
  ``<par>`` per stretch, with the ``clipBegin`` and ``clipEnd`` of its
  ``<audio>``. Its words are in the book's own pages, not in the SMIL, so its
  cues carry no text and are matched to the article by their order.

A file that cannot be read raises ``UnreadableFile`` with the line where it went wrong.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from .files import UnreadableFile

SMIL_NAMESPACE = "http://www.w3.org/ns/SMIL"
# SMIL clock values: "12.5s", "300ms", "1.5min", "0.1h", a bare number of seconds, or "hh:mm:ss.fff" / "mm:ss.fff".
_TIMECOUNT = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>h|min|s|ms)?$")
_CLOCK = re.compile(r"^(?:(?P<hours>\d+):)?(?P<minutes>[0-5]?\d):(?P<seconds>[0-5]\d(?:\.\d+)?)$")
_SECONDS_IN = {"h": 3600.0, "min": 60.0, "s": 1.0, "ms": 0.001, None: 1.0}


@dataclass(frozen=True)
class Cue:
    """One stretch of a recording: when it starts and ends (ms), and the words heard, if the format says."""

    start_ms: int
    end_ms: int | None
    """``None``: until the recording ends (an Audacity point label that comes last)."""
    text: str | None
    number: int
    """Its place among the file's cues, from 1."""
    line: int | None
    """The line of the timing file it was read from, where the reader knows it."""

    @property
    def where(self) -> str:
        """The cue named for an editor: its number, and its line where known."""
        return f"cue {self.number}" + (f" (line {self.line})" if self.line else "")


def read_audacity_labels(text: str) -> list[Cue]:
    """The cues of an Audacity label track exported as text ("Export Labels")."""
    rows: list[tuple[int, int, int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        # A line starting with a backslash is a label's frequency range (spectral selection): no time.
        if not raw.strip() or raw.startswith("\\"):
            continue
        fields = raw.split("\t", 2)
        if len(fields) < 2:
            raise UnreadableFile("an Audacity label is start<TAB>end<TAB>text, in seconds", number)
        try:
            # Audacity writes the decimal separator of the editor's locale.
            start, end = (round(float(field.strip().replace(",", ".")) * 1000) for field in fields[:2])
        except ValueError:
            raise UnreadableFile(f"{fields[0].strip()!r} and {fields[1].strip()!r} are not times in seconds",
                                 number) from None
        if start < 0 or end < start:
            raise UnreadableFile("a label must start at 0 or later and end no earlier than it starts", number)
        rows.append((number, start, end, fields[2].strip() if len(fields) > 2 else ""))
    cues = []
    for index, (number, start, end, label) in enumerate(rows):
        if end == start:  # a point label: it lasts until the next one
            end = rows[index + 1][1] if index + 1 < len(rows) else None
        cues.append(Cue(start, end, label, index + 1, number))
    return cues


def read_webvtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file."""
    # Imported here: only a new version's recordings are read, and a restart serving its kept build reads none.
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        # Strict: a cue that cannot be read is an error, not silently left out.
        captions = webvtt.from_string(text, strict=True).captions
    except MalformedFileError as error:
        raise UnreadableFile(f"not a WebVTT file webvtt-py can read: {error}", 1) from None
    except MalformedCaptionError as error:
        raise UnreadableFile(f"a cue webvtt-py cannot read: {error}") from None
    lines = _cue_lines(text)
    return [Cue(caption.start_time.in_milliseconds(), caption.end_time.in_milliseconds(),
                " ".join(caption.text.split()), index + 1, lines[index] if index < len(lines) else None)
            for index, caption in enumerate(captions)]


def _cue_lines(text: str) -> list[int]:
    """The line of each cue's timing line (``... --> ...``), in order: webvtt-py does not keep them."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if "-->" in line]


def read_media_overlay(text: str) -> list[Cue]:
    """The cues of an EPUB 3 Media Overlay (SMIL): one per ``<par>``, in document order, without text.

    All of a narration's ``<par>`` elements must play one recording (the one
    beside the timing file), so every ``<audio src>`` must name the same file.
    """
    # Entities are how an XML file grows from a few bytes to gigabytes; a Media Overlay needs none.
    if "<!ENTITY" in text:
        raise UnreadableFile("XML entity declarations (<!ENTITY) are not allowed in a Media Overlay",
                             text.count("\n", 0, text.index("<!ENTITY")) + 1)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise UnreadableFile(f"not well-formed XML: {error}", error.position[0]) from None
    if root.tag != f"{{{SMIL_NAMESPACE}}}smil":
        raise UnreadableFile(f"not a Media Overlay: the root element must be <smil> in {SMIL_NAMESPACE}", 1)
    cues = []
    sources = set()
    for number, par in enumerate(root.iter(f"{{{SMIL_NAMESPACE}}}par"), start=1):
        audio = par.find(f"{{{SMIL_NAMESPACE}}}audio")
        if audio is None or par.find(f"{{{SMIL_NAMESPACE}}}text") is None:
            raise UnreadableFile(f"<par> number {number} needs both a <text> and an <audio>")
        sources.add(audio.get("src", ""))
        start = _clock_ms(audio.get("clipBegin", "0"), number)
        end = _clock_ms(audio.get("clipEnd"), number) if audio.get("clipEnd") is not None else None
        if end is not None and end < start:
            raise UnreadableFile(f"<par> number {number} ends (clipEnd) before it begins (clipBegin)")
        cues.append(Cue(start, end, None, number, None))
    if len(sources) > 1:
        raise UnreadableFile(f"the <audio> elements play {len(sources)} files; a narration is one recording")
    return cues


def _clock_ms(value: str, par: int) -> int:
    """A SMIL clock value in milliseconds."""
    value = value.strip()
    found = _TIMECOUNT.match(value)
    if found:
        return round(float(found["number"]) * _SECONDS_IN[found["unit"]] * 1000)
    found = _CLOCK.match(value)
    if found:
        seconds = int(found["hours"] or 0) * 3600 + int(found["minutes"]) * 60 + float(found["seconds"])
        return round(seconds * 1000)
    raise UnreadableFile(f"<par> number {par}: {value!r} is not a SMIL clock value (e.g. 12.5s or 0:00:12.500)")


READERS = {".txt": read_audacity_labels, ".vtt": read_webvtt, ".smil": read_media_overlay}
"""The timing file's ending -> how it is read."""
