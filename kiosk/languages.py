"""The one registry of languages the kiosk knows.

The language switcher, URL routing, gettext catalogs, content validation, the
readiness check and the tests all read this list, so adding a language starts
here (see "Adding a language" in the README).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Language:
    """A language the kiosk can be configured to offer.

    Each is registered once, as one object, and compared by identity: every request
    looks its language up among those offered, and comparing field by field took longer.
    """

    tag: str
    """BCP 47 tag used in URLs, file names and ``lang`` attributes."""
    native_name: str
    """The language's name in itself, as a patron looks for it."""
    english_name: str
    direction: str
    """``ltr`` or ``rtl``; sets ``dir`` on the page and on content."""
    locale: str
    """Babel locale identifier; also the catalog folder under ``translations/``."""
    fontconfig_lang: str
    """What ``fc-list :lang=...`` needs to find a font that covers the script."""
    font_package: str
    """The Debian package that provides a suitable font."""
    words_per_minute: int = 200
    """Reading speed used for the reading-time estimate; characters per
    minute for scripts written without spaces."""
    voice: str | None = None
    """The eSpeak NG voice that reads the language aloud (``espeak-ng --voices``), or None if it has none."""
    spoken_instead: str | None = None
    """For a language with no voice: the language with one that its speakers most likely also
    understand, which speaking mode offers instead."""

    def __reduce__(self):
        # Compared by identity, so a copy (pickled, or copied) must be the registered language itself.
        return find_language, (self.tag,)


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", "ltr", "en", "en", "fonts-noto-core", voice="en"),
    Language("es", "Español", "Spanish", "ltr", "es", "es", "fonts-noto-core", voice="es"),
    Language("fr", "Français", "French", "ltr", "fr", "fr", "fonts-noto-core", voice="fr"),
    Language("ar", "العربية", "Arabic", "rtl", "ar", "ar", "fonts-noto-core", 150, voice="ar"),
    Language("zh-Hans", "简体中文", "Chinese (Simplified)", "ltr", "zh_Hans", "zh-cn",
             "fonts-noto-cjk", 300, voice="cmn"),
    Language("uk", "Українська", "Ukrainian", "ltr", "uk", "uk", "fonts-noto-core", voice="uk"),
    Language("vi", "Tiếng Việt", "Vietnamese", "ltr", "vi", "vi", "fonts-noto-core", voice="vi"),
    # eSpeak NG has no Tagalog voice: no Listen, rather than a voice of another language.
    # Speaking mode offers English instead, the other official language of the Philippines.
    Language("tl", "Tagalog", "Tagalog", "ltr", "tl", "tl", "fonts-noto-core", spoken_instead="en"),
    # Brazilian: the variety of most Portuguese speakers, in the Americas and in the world.
    Language("pt-BR", "Português (Brasil)", "Portuguese (Brazil)", "ltr", "pt_BR", "pt", "fonts-noto-core",
             voice="pt-br"),
    Language("pl", "Polski", "Polish", "ltr", "pl", "pl", "fonts-noto-core", voice="pl"),
    Language("ro", "Română", "Romanian", "ltr", "ro", "ro", "fonts-noto-core", voice="ro"),
    Language("ur", "اردو", "Urdu", "rtl", "ur", "ur", "fonts-noto-core", 150, voice="ur"),
)

BY_TAG: dict[str, Language] = {language.tag: language for language in LANGUAGES}
_BY_FOLDED_TAG: dict[str, Language] = {language.tag.casefold(): language for language in LANGUAGES}


def find_language(tag: str) -> Language | None:
    """Return the registered language for ``tag``, ignoring letter case."""
    return _BY_FOLDED_TAG.get(tag.casefold())


def parse_language_list(text: str) -> tuple[Language, ...]:
    """Turn ``"en,es,ar"`` into registered languages, keeping the given order.

    Raises ``ValueError`` naming the first unknown tag.
    """
    languages: list[Language] = []
    for part in text.split(","):
        tag = part.strip()
        if not tag:
            continue
        language = find_language(tag)
        if language is None:
            known = ", ".join(language.tag for language in LANGUAGES)
            raise ValueError(f"unknown language {tag!r} (known: {known})")
        if language not in languages:
            languages.append(language)
    if not languages:
        raise ValueError("no language given")
    return tuple(languages)
