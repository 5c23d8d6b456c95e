"""The on-screen keyboard of each language: its rows of keys, beside the language registry.

A kiosk has a touch screen and no keyboard, so the search box brings up one
drawn by the kiosk, in the page's language. Each layout is the one people of
that language know from their own keyboards (QWERTY, AZERTY, ЙЦУКЕН, the
standard Arabic layout), with the letters their language adds. Chinese is typed
as pinyin: the letters are spelled out and the kiosk offers the words of its
own library that sound like them. Adding a language adds a layout here; a test
checks that every registered language has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .languages import LANGUAGES


@dataclass(frozen=True)
class KeyboardLayout:
    """The letter keys of one language's on-screen keyboard, row by row."""

    rows: tuple[tuple[str, ...], ...]
    direction: str = "ltr"
    """``rtl`` for a right-to-left script: keys run from right to left, as on its own keyboards."""
    spells_pinyin: bool = False
    """Letters spell pinyin, and the kiosk offers the Chinese words that sound like them."""
    marks: tuple[tuple[str, str], ...] = ()
    """Tone marks, each a combining character and its name: tapped after a letter, they go on it
    (Vietnamese is typed so, as on its own keyboards, rather than with a key for each of its
    134 toned letters)."""


def _rows(*rows: str) -> tuple[tuple[str, ...], ...]:
    """Rows written as space-separated keys."""
    return tuple(tuple(row.split()) for row in rows)


QWERTY = ("q w e r t y u i o p", "a s d f g h j k l", "z x c v b n m")

KEYBOARDS: dict[str, KeyboardLayout] = {
    "en": KeyboardLayout(_rows(*QWERTY)),
    "es": KeyboardLayout(_rows("q w e r t y u i o p", "a s d f g h j k l ñ", "z x c v b n m",
                               "á é í ó ú ü")),
    "fr": KeyboardLayout(_rows("a z e r t y u i o p", "q s d f g h j k l m", "w x c v b n ’",
                               "é è ê ë à â ç î ï ô ù û œ")),
    "ar": KeyboardLayout(_rows("ض ص ث ق ف غ ع ه خ ح ج د", "ش س ي ب ل ا ت ن م ك ط", "ئ ء ؤ ر ى ة و ز ظ ذ",
                               "أ إ آ"), direction="rtl"),
    "zh-Hans": KeyboardLayout(_rows(*QWERTY), spells_pinyin=True),
    "uk": KeyboardLayout(_rows("й ц у к е н г ш щ з х ї", "ф і в а п р о л д ж є", "я ч с м и т ь б ю ґ ’")),
    "vi": KeyboardLayout(_rows(*QWERTY, "ă â đ ê ô ơ ư"),
                         marks=(("\u0300", "huyền"), ("\u0301", "sắc"), ("\u0309", "hỏi"), ("\u0303", "ngã"),
                                ("\u0323", "nặng"))),
    "tl": KeyboardLayout(_rows("q w e r t y u i o p", "a s d f g h j k l ñ", "z x c v b n m")),
    "pt-BR": KeyboardLayout(_rows("q w e r t y u i o p", "a s d f g h j k l ç", "z x c v b n m",
                                  "á â ã à é ê í ó ô õ ú")),
    "pl": KeyboardLayout(_rows(*QWERTY, "ą ć ę ł ń ó ś ź ż")),
    "ro": KeyboardLayout(_rows(*QWERTY, "ă â î ș ț")),
    # The phonetic layout Urdu speakers know: each letter on the Latin key that sounds like it.
    "ur": KeyboardLayout(_rows("ق و ع ر ت ے ء ی ہ پ", "ا س د ف گ ح ج ک ل", "ز ش چ ط ب ن م",
                               "آ ص ڈ غ ھ ض خ ٹ ث ذ ڑ ں ظ", "ژ ئ ؤ ۂ ۓ"), direction="rtl"),
}


def keyboard_for(tag: str) -> KeyboardLayout:
    """The on-screen keyboard of language ``tag``."""
    return KEYBOARDS[tag]


def _check_every_language_has_a_keyboard() -> None:
    missing = [language.tag for language in LANGUAGES if language.tag not in KEYBOARDS]
    if missing:
        raise RuntimeError(f"no on-screen keyboard for {', '.join(missing)}: add one to kiosk/keyboards.py")


_check_every_language_has_a_keyboard()
