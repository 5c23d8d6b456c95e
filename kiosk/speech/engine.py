"""eSpeak NG, through its C library: text in, audio and the time each word is spoken out.

The command line gives only the audio; the library (``libespeak-ng.so.1``,
Debian's ``libespeak-ng1``, which ``espeak-ng`` brings) also reports, for every
word, where it is in the text and when it is heard, which is what the
highlight follows. It is reached with ctypes, from Python's standard library:
no binding to keep up to date. The library holds one voice at a time, so one
text is spoken at a time.

Audio is made in memory when asked for and handed back; nothing is written to
disk, logged or kept.
"""

from __future__ import annotations

import ctypes
import functools
import io
import re
import threading
import wave
from dataclasses import dataclass

LIBRARY = "libespeak-ng.so.1"
_SYNCHRONOUS = 2          # espeak_AUDIO_OUTPUT: AUDIO_OUTPUT_SYNCHRONOUS (hand every buffer to the callback)
_DONT_EXIT = 0x8000       # espeakINITIALIZE_DONT_EXIT: an error must not end the kiosk
_POSITION_CHARACTER = 1   # espeak_POSITION_TYPE: POS_CHARACTER
_TEXT_UTF8 = 1            # espeakCHARS_UTF8
_RATE = 1                 # espeak_PARAMETER: espeakRATE, in words a minute
_EVENT_END_OF_LIST, _EVENT_WORD = 0, 1
WORDS_A_MINUTE = 165
"""A little slower than eSpeak's own 175: these are texts to follow, not skim."""


class _Event(ctypes.Structure):
    """espeak_EVENT, as speak_lib.h declares it."""

    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class SpeechError(RuntimeError):
    """The speech engine is missing, or could not speak this text in this voice."""


@dataclass(frozen=True)
class Speech:
    """A text spoken: the audio as a WAV file, and when each word of the text is heard."""

    wav: bytes
    words: tuple[tuple[int, int, int], ...]
    """(start, length, milliseconds) per word; start and length count UTF-16 code units, as JavaScript does."""
    duration_ms: int


class Speaker:
    """eSpeak NG, loaded once; ``speak`` is safe to call from any thread.

    The library is one per process, with one callback: use ``shared_speaker``
    rather than making a second Speaker, whose callback would take the first's audio.
    """

    def __init__(self, library: str = LIBRARY):
        try:
            self._espeak = ctypes.CDLL(library)
        except OSError as error:
            raise SpeechError(f"{library} is not installed (apt-get install espeak-ng)") from error
        self.sample_rate = self._espeak.espeak_Initialize(_SYNCHRONOUS, 0, None, _DONT_EXIT)
        if self.sample_rate <= 0:
            raise SpeechError("eSpeak NG did not start (is espeak-ng-data installed?)")
        self._lock = threading.Lock()
        self._samples: list[bytes] = []
        self._words: list[tuple[int, int, int]] = []
        self._callback = _CALLBACK(self._collect)  # kept: the library holds only a pointer to it
        self._espeak.espeak_SetSynthCallback(self._callback)

    def _collect(self, samples, count, events) -> int:
        if count > 0:
            self._samples.append(ctypes.string_at(samples, count * 2))
        index = 0
        while events[index].type != _EVENT_END_OF_LIST:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._words.append((event.text_position, event.length, event.audio_position))
            index += 1
        return 0

    def has_voice(self, voice: str) -> bool:
        """Whether ``voice`` is installed."""
        with self._lock:
            return self._espeak.espeak_SetVoiceByName(voice.encode()) == 0

    def speak(self, text: str, voice: str, words_a_minute: int = WORDS_A_MINUTE) -> Speech:
        """``text`` spoken in ``voice``; raises ``SpeechError`` if the voice is not there."""
        encoded = text.encode("utf-8")
        with self._lock:
            if self._espeak.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechError(f"no eSpeak NG voice {voice!r}")
            self._espeak.espeak_SetParameter(_RATE, words_a_minute, 0)
            self._samples, self._words = [], []
            if self._espeak.espeak_Synth(encoded, len(encoded) + 1, 0, _POSITION_CHARACTER, 0, _TEXT_UTF8,
                                         None, None) != 0:
                raise SpeechError("eSpeak NG could not speak this text")
            pcm, words = b"".join(self._samples), self._words
            self._samples, self._words = [], []
        duration_ms = len(pcm) * 1000 // (2 * self.sample_rate)
        # Now and then, on a busy machine, eSpeak NG sends a text's audio without its word
        # events (asking again does not help): the words are then spread over the audio by length.
        placed = _in_utf16(text, words) or _spread(text, duration_ms)
        return Speech(self._wav(pcm), placed, duration_ms)

    def _wav(self, pcm: bytes) -> bytes:
        output = io.BytesIO()
        with wave.open(output, "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(self.sample_rate)
            audio.writeframes(pcm)
        return output.getvalue()


@functools.cache
def shared_speaker(library: str = LIBRARY) -> Speaker:
    """The process's one Speaker (raises ``SpeechError`` if eSpeak NG is missing; asked again next time)."""
    return Speaker(library)


# A word: letters and digits with their combining marks (Arabic harakat, accents, Urdu marks).
_WORD = re.compile(r"(?:\w|[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed])+")


def _spread(text: str, duration_ms: int) -> tuple[tuple[int, int, int], ...]:
    """Each word of ``text`` (UTF-16 offset, length, ms) timed by its share of the letters."""
    found = list(_WORD.finditer(text))
    letters = sum(len(match.group()) for match in found) or 1
    placed, heard = [], 0
    for match in found:
        start = len(text[:match.start()].encode("utf-16-le")) // 2
        placed.append((start, len(match.group().encode("utf-16-le")) // 2, duration_ms * heard // letters))
        heard += len(match.group())
    return tuple(placed)


def _in_utf16(text: str, words: list[tuple[int, int, int]]) -> tuple[tuple[int, int, int], ...]:
    """eSpeak's word places (1-based, in characters) made fit to highlight: 0-based UTF-16 offsets.

    eSpeak sometimes reports a word with no length (one in quotation marks) or
    an empty place between words: the first is given the length of the word
    found there, the second left out, so the places follow the text in order.
    """
    def units(count: int) -> int:
        return len(text[:count].encode("utf-16-le")) // 2

    placed: list[tuple[int, int, int]] = []
    reached = 0
    for position, length, milliseconds in sorted(words, key=lambda word: word[2]):
        start = max(position - 1, 0)
        if length <= 0:
            found = _WORD.match(text, start)
            length = found.end() - start if found else 0
        if length <= 0 or start < reached:
            continue
        placed.append((units(start), units(start + length) - units(start), milliseconds))
        reached = start + length
    return tuple(placed)
