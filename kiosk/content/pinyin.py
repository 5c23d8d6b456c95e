"""The Chinese words of a library with their pinyin, worked out by pypinyin in a process of its own.

The words offered are those of the library's own Chinese text that are words
(pypinyin's phrase list), pairs of characters the library uses often, and
single characters. pypinyin's dictionaries are large (some 55 MiB once
loaded), so ``words_in_a_child`` runs this module as a short-lived process
(this file run by path, importing nothing of the kiosk, so it starts quickly:
texts in as JSON, words out as JSON) and the kiosk never holds them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

# Characters that make a frequent run of Chinese a phrase fragment rather than a word
# when they start or end it (particles, pronouns, "and", "is", "not", "one").
_FRAGMENT_EDGES = set("的了是在和与也就都而及或你我他她它这那有不一会要把被让着过吗呢吧啊")
CHILD_SECONDS = 300


class PinyinError(RuntimeError):
    """The child process could not work out the words."""


def chinese_words(texts: list[str], characters: str) -> list[tuple[str, str]]:
    """(pinyin without tones or spaces, word) for the words of ``texts``, most used first.

    ``characters`` is the regular-expression class body of the Chinese characters.
    """
    from pypinyin import lazy_pinyin
    from pypinyin.constants import PHRASES_DICT

    runs = re.compile(f"[{characters}]+")
    counts: Counter[str] = Counter()
    for text in texts:
        for run in runs.findall(text):
            counts.update(run[start:start + size] for size in (2, 3, 4) for start in range(len(run) - size + 1))
            counts.update(run)
    # A word of the dictionary, or two characters the library uses often that do not
    # start or end on a particle (the library's own terms, such as 边界, boundary).
    words = [(count, word) for word, count in counts.items()
             if len(word) == 1 or word in PHRASES_DICT
             or (len(word) == 2 and count >= 3 and not _FRAGMENT_EDGES.intersection(word))]
    words.sort(key=lambda entry: (-entry[0], entry[1]))
    return [("".join(lazy_pinyin(word, v_to_u=False)), word) for _, word in words]


def words_in_a_child(texts: list[str], characters: str) -> list[tuple[str, str]]:
    """``chinese_words(texts, characters)``, worked out in a process of its own; ``PinyinError`` if it fails."""
    question = json.dumps({"texts": texts, "characters": characters}, ensure_ascii=False)
    try:
        finished = subprocess.run([sys.executable, "-I", __file__], input=question,
                                  capture_output=True, text=True, encoding="utf-8", timeout=CHILD_SECONDS)
    except (OSError, subprocess.SubprocessError) as error:
        raise PinyinError(f"could not run pypinyin: {type(error).__name__}") from None
    if finished.returncode != 0:
        raise PinyinError(f"pypinyin failed: {finished.stderr.strip().splitlines()[-1:]}")
    return [(pinyin, word) for pinyin, word in json.loads(finished.stdout)]


def main() -> None:
    """Read texts and the character class (JSON) on standard input; write their words (a JSON list of pairs)."""
    question = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    answer = json.dumps(chinese_words(question["texts"], question["characters"]), ensure_ascii=False)
    sys.stdout.buffer.write(answer.encode("utf-8"))


if __name__ == "__main__":
    main()
