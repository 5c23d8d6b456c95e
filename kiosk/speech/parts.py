"""What is read aloud: the parts of a page marked ``data-speech``, each with the very text shown.

An article is read in parts, in order: the notices a reader of the language is
shown (``notice-N``), the title, the summary, then every block of the body
(``body-N``, numbered when the Markdown is rendered). Each part's text is the
element's text exactly as the browser has it (``textContent``), but for the
numbers that mark links, which mean nothing aloud: so a word's place in the
text is its place on the page, and the highlight lands on it.
"""

from __future__ import annotations

from html.parser import HTMLParser

from ..content.model import Article
from ..languages import Language


class _SpeechParts(HTMLParser):
    """Collects the text of every ``data-speech`` element, leaving out link markers."""

    VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "col", "embed", "track"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, part, skipped)

    def handle_starttag(self, tag, attrs):
        """Open an element: a part of its own if marked, skipped if it is a link marker."""
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        part = attributes.get("data-speech")
        skipped = tag == "sup" and "offsite-marker" in (attributes.get("class") or "").split()
        if part is not None and part not in self.parts:
            self.parts[part] = []
        self._open.append((tag, part, skipped))

    def handle_endtag(self, tag):
        """Close the element, and any left open inside it."""
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        """Add text to every part it is inside, unless it is in a link marker."""
        if any(skipped for _, _, skipped in self._open):
            return
        for _, part, _ in self._open:
            if part is not None:
                self.parts[part].append(data)


def speech_parts(html: str) -> dict[str, str]:
    """Every ``data-speech`` part of ``html``, by name, in the order they come."""
    parser = _SpeechParts()
    parser.feed(html)
    parser.close()
    return {name: "".join(pieces) for name, pieces in parser.parts.items()}


def article_parts(article: Article, reader: Language, notices_html: str) -> dict[str, tuple[str, str]]:
    """What a reader of ``reader`` hears of ``article``, in order: part name -> (language tag, text).

    ``notices_html`` is the notices as the page shows them to that reader (in the
    reader's language, which may not be the article's).
    """
    version = article.version_for(reader.tag)
    parts = {name: (reader.tag, text) for name, text in speech_parts(notices_html).items()}
    parts["title"] = (version.language, version.title)
    parts["summary"] = (version.language, version.summary)
    parts.update({name: (version.language, text) for name, text in speech_parts(version.html).items()})
    return parts
