"""What the on-screen keyboard offers as a patron types, taken from the library itself.

- Completions: the titles of the articles and the names of the topics, in every
  language, whose words start with what was typed, so a few taps find an article.
- Chinese words by their pinyin: a patron with no Chinese input method spells
  the sound (``qinmi``) and taps the word (亲密). The words are those of the
  library's own Chinese text that are words (pypinyin's phrase list), pairs of
  characters the library uses often, and single characters, each with its
  pinyin worked out by pypinyin.

Everything is worked out once per library (the Chinese words, which take a
child process seconds, are kept with the start-up cache for the next start);
what a patron types is only compared with it, never kept.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import pinyin
from .markdown import CJK_CHARACTER, fold_for_search, plain_text
from .model import Library

MAX_COMPLETIONS = 6
MAX_CHINESE_WORDS = 12
CHINESE_TEXT_READ = 300_000
"""Characters of Chinese text the words are gathered from: thousands of words, in bounded memory."""
_CJK_RUN = re.compile(rf"[{CJK_CHARACTER}]+")
_WORD = re.compile(r"\w+")
_TONE_MARKS = re.compile("[\u0300-\u036f]")


@dataclass(frozen=True)
class Completion:
    """A title or topic name offered on the keyboard, and where it leads."""

    text: str
    language: str
    endpoint: str
    """``patron.article`` or ``patron.topic``."""
    slug: str


class TitlesOnDisk(Protocol):
    """The titles of a library's articles kept on disk, found by the words that start them (``title_words``)."""

    def find(self, words: list[str], language: str) -> list[tuple[tuple[int, int], Completion]]:
        """Each title with every one of ``words`` starting one of its words, and its (article, version) place;
        this language's first, and at most some thousands (a word of one letter starts very many)."""


@dataclass(frozen=True)
class KeyboardWords:
    """The titles, topic names and Chinese words of one library, ready to be matched."""

    completions: tuple[tuple[tuple[str, ...], Completion], ...]
    """Each completion with the folded words it can be found by."""
    chinese: tuple[tuple[str, str], ...]
    """(pinyin without tones or spaces, word), most used first."""
    titles: TitlesOnDisk | None = None
    """The titles of the articles read from disk, looked up there (a big library's would take tens of MiB)."""
    places: tuple[tuple[int, int], ...] = ()
    """The (article, version) place of each completion held here, in library order (topics: after every article)."""

    def complete(self, typed: str, language: str) -> list[Completion]:
        """Titles and topics whose words start with the last word typed (after the others), this language first."""
        words = fold_for_search(typed).split()
        if not words:
            return []
        places = self.places or [(index, 0) for index in range(len(self.completions))]
        found = [(place, completion) for place, (keys, completion) in zip(places, self.completions, strict=True)
                 if _matches(keys, words)]
        if self.titles is not None:
            found += self.titles.find(words, language)
        found.sort(key=lambda entry: (entry[1].language != language, entry[1].endpoint != "patron.topic", entry[0]))
        return [completion for _, completion in found[:MAX_COMPLETIONS]]

    def chinese_for(self, typed: str) -> list[str]:
        """Chinese words whose pinyin is, or starts with, what was typed (tone marks and spaces ignored)."""
        sound = plain_pinyin(typed)
        if not sound:
            return []
        exact = [word for pinyin, word in self.chinese if pinyin == sound]
        starting = [word for pinyin, word in self.chinese if pinyin.startswith(sound) and pinyin != sound]
        return (exact + starting)[:MAX_CHINESE_WORDS]


def _matches(keys: tuple[str, ...], typed: list[str]) -> bool:
    """Every typed word starts some key word (for Chinese, appears in the text)."""
    return all(any(key.startswith(word) or (_CJK_RUN.fullmatch(word) and word in key) for key in keys)
               for word in typed)


def plain_pinyin(typed: str) -> str:
    """Pinyin as a patron might type it, made comparable: lower case, no tone marks, spaces or apostrophes; ü as v."""
    decomposed = unicodedata.normalize("NFD", typed.casefold()).replace("u\u0308", "v")
    return re.sub(r"[^a-z]", "", _TONE_MARKS.sub("", decomposed))


def keyboard_words(library: Library, chinese_tag: str = "zh-Hans",
                   chinese: tuple[tuple[str, str], ...] | None = None) -> KeyboardWords:
    """Work out the completions and Chinese words of ``library``.

    The titles of articles read from disk are looked up there; only the topics'
    names (and any article held in memory) are held here. ``chinese``: the
    library's Chinese words as ``chinese_words`` worked them out before, if
    they were kept; else they are worked out now.
    """
    from .stored import StoredArticles, StoredTitles  # it imports Completion from here

    articles = library.articles
    titles = StoredTitles(articles) if isinstance(articles, StoredArticles) else None
    completions, places = [], []
    for index, slug in enumerate(articles):
        if titles is not None and titles.holds(slug):
            continue
        for position, version in enumerate(articles[slug].versions.values()):
            completions.append((_keys(version.title),
                                Completion(version.title, version.language, "patron.article", slug)))
            places.append((index, position))
    for index, topic in enumerate(library.topics.values()):
        for tag, name in topic.names.items():
            completions.append((_keys(name), Completion(name, tag, "patron.topic", topic.slug)))
            places.append((len(articles) + index, 0))
    if chinese is None:
        chinese = chinese_words(library, chinese_tag) or ()
    return KeyboardWords(tuple(completions), chinese, titles, tuple(places))


def _keys(text: str) -> tuple[str, ...]:
    folded = fold_for_search(text)
    return tuple(_WORD.findall(folded)) + tuple(_CJK_RUN.findall(folded))


def title_words(title: str) -> list[str]:
    """The words a title is found by when kept on disk: each word that what is typed may start, and every
    ending of a run of Chinese characters (typed Chinese is found anywhere in the run)."""
    words = set(_keys(title))
    for run in _CJK_RUN.findall(fold_for_search(title)):
        words.update(run[start:] for start in range(1, len(run)))
    return sorted(words)


def chinese_words(library: Library, tag: str = "zh-Hans") -> tuple[tuple[str, str], ...] | None:
    """Words of the library's Chinese text, most used first, each with its pinyin; None if pypinyin failed.

    The work is done by ``pinyin.py`` in a process of its own: pypinyin's
    dictionaries take some 55 MiB, which the kiosk should not hold for as long
    as it runs to answer what a few lookups answer.
    """
    texts: list[str] = []
    seen: set[int] = set()
    read = 0
    for article in library.articles.values():
        if read > CHINESE_TEXT_READ:
            break  # enough: a big library's other articles are not even read
        version = article.versions.get(tag)
        if version is None:
            continue
        for text in (version.title, version.summary, plain_text(version.html)):
            if hash(text) in seen:  # a text met before (the same article filed twice) adds nothing
                continue
            seen.add(hash(text))
            read += len(text)
            texts.append(text)
    if not any(_CJK_RUN.search(text) for text in texts):
        return ()
    try:
        return tuple(pinyin.words_in_a_child(texts, CJK_CHARACTER))
    except pinyin.PinyinError as error:  # the keyboard still offers titles and topics
        logging.getLogger("kiosk").warning("keyboard: no Chinese words by their pinyin (%s)", error)
        return None


def chinese_key(library: Library, tag: str = "zh-Hans") -> str | None:
    """What ``chinese_words`` of ``library`` are kept under: a digest of every article's fingerprint, in order,
    and of the code and pypinyin that work them out; None for a library with any article held in memory
    (only a fingerprint says what an article holds without reading it)."""
    from .stored import fingerprints

    keys = fingerprints(library)
    if len(keys) != len(library.articles):
        return None
    digest = hashlib.blake2b(f"{tag}\0{CHINESE_TEXT_READ}\0{_pypinyin_installed()}\0".encode(), digest_size=20)
    for module in (__file__, pinyin.__file__):
        digest.update(Path(module).read_bytes())
    for slug, key in keys.items():
        digest.update(f"{slug}\0{key}\n".encode())
    return digest.hexdigest()


def _pypinyin_installed() -> str:
    """Which pypinyin is installed, told cheaply: its package file's path, size and time, which an install changes
    (importing it loads its dictionaries; reading its metadata imports a mail parser, 40 ms of a restart)."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:  # the child fails too, and nothing is kept
        return ""
    state = os.stat(spec.origin)
    return f"{spec.origin}\0{state.st_size}\0{state.st_mtime_ns}"
