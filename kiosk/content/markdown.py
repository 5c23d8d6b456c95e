"""Markdown to safe HTML, done once per article file at start-up.

Authors write plain Markdown. Raw HTML, images, first-level headings and links
other than to websites are refused (the loader reports them with their line).
Links to websites are not followable on a kiosk: their text stays in place with
a numbered marker, and the addresses are returned so the page can show each as
a QR code to scan with a phone. The result is sanitised with nh3 as a second
line of defence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING

import nh3

from .model import WEB_ADDRESS

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote",
    "code", "pre", "hr", "br", "aside", "span", "sup",
}
ALLOWED_ATTRIBUTES = {
    "aside": {"class", "role"},
    "span": {"class"},
    "sup": {"class"},
    "ol": {"start"},
    **{tag: {"data-speech"} for tag in ("p", "li", "h2", "h3", "h4")},
}
# Scripts written without spaces between words: counted and searched by character.
CJK_CHARACTER = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK = re.compile(f"[{CJK_CHARACTER}]")
_WORD = re.compile(rf"[^\W{CJK_CHARACTER}]+")


@dataclass(frozen=True)
class MarkdownProblem:
    """Something an author wrote that the kiosk will not show."""

    line: int
    """1-based line within the Markdown body."""
    message: str


@dataclass(frozen=True)
class RenderedMarkdown:
    """The outcome of rendering one article body."""

    html: str
    text: str
    """Plain text of the body, for search and word counts."""
    web_links: tuple[str, ...]
    """Website addresses in the order of their numbered markers."""
    problems: tuple[MarkdownProblem, ...]


def _render_care(renderer, tokens, index, options, env) -> str:
    # role="note": a complementary landmark nested in <main> would confuse
    # screen-reader landmark navigation.
    return '<aside class="care" role="note">\n' if tokens[index].nesting == 1 else "</aside>\n"


@functools.cache
def _markdown() -> MarkdownIt:
    """The parser, made when the first body is parsed: a restart that serves its kept build parses none, and
    markdown-it took 30 to 40 ms of every start to import."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin

    return MarkdownIt("commonmark", {"html": True}).use(container_plugin, "care", render=_render_care)


def render_markdown(body: str) -> RenderedMarkdown:
    """Render an article body, reporting anything an author may not use."""
    parser = _markdown()
    tokens = parser.parse(body)
    problems: list[MarkdownProblem] = []
    web_links: list[str] = []
    text_parts: list[str] = []
    for token in tokens:
        line = (token.map[0] + 1) if token.map else 1
        if token.type == "html_block":
            problems.append(MarkdownProblem(line, "raw HTML is not allowed; write Markdown"))
        elif token.type == "heading_open" and token.tag == "h1":
            problems.append(MarkdownProblem(
                line, "a '#' heading is not allowed; the title comes from the front matter, use '##'"))
        elif token.type == "inline":
            token.children = _inline_children(token.children or [], line, problems, web_links, text_parts)
            text_parts.append("\n")
    _mark_speech_parts(tokens)
    html = parser.renderer.render(tokens, parser.options, {})
    return RenderedMarkdown(
        html=nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES),
        text=" ".join("".join(text_parts).split()),
        web_links=tuple(web_links),
        problems=tuple(problems),
    )


def _mark_speech_parts(tokens: list[Token]) -> None:
    """Number each block of text (``data-speech="body-N"``), so read-aloud can follow it on the page.

    The block is the paragraph or heading; in a tight list, whose paragraphs are
    not drawn, the list item.
    """
    number = 0
    for index, token in enumerate(tokens):
        if token.type != "inline" or index == 0:
            continue
        block = tokens[index - 1]
        if block.type == "paragraph_open" and block.hidden:
            block = next((opener for opener in reversed(tokens[:index - 1])
                          if opener.type == "list_item_open" and opener.level == block.level - 1), None)
        if block is not None and block.type in ("paragraph_open", "heading_open", "list_item_open"):
            block.attrSet("data-speech", f"body-{number}")
            number += 1


def _inline_children(children: list[Token], line: int, problems: list[MarkdownProblem],
                     web_links: list[str], text_parts: list[str]) -> list[Token]:
    from markdown_it.token import Token  # imported with the parser (``_markdown``), which made these children

    result: list[Token] = []
    for child in children:
        if child.type in {"softbreak", "hardbreak"}:
            line += 1
        if child.type == "html_inline":
            problems.append(MarkdownProblem(line, "raw HTML is not allowed; write Markdown"))
            continue
        if child.type == "image":
            problems.append(MarkdownProblem(line, "images are not supported"))
            continue
        if child.type in {"text", "code_inline"}:
            text_parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            text_parts.append(" ")
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if not WEB_ADDRESS.match(href):
                problems.append(MarkdownProblem(
                    line, f"link to {href!r}: only website addresses (https://...) can be linked"))
            web_links.append(href)
            child.tag, child.attrs = "span", {"class": "offsite-link"}
        elif child.type == "link_close":
            child.tag = "span"
            result.append(child)
            marker = Token("html_inline", "", 0)
            marker.content = f'<sup class="offsite-marker">{len(web_links)}</sup>'
            result.append(marker)
            continue
        result.append(child)
    return result


def text_blocks(body: str) -> list[tuple[int, str]]:
    """The plain text of each paragraph, heading and list item of a Markdown body, with its 1-based line."""
    blocks = []
    for token in _markdown().parse(body):
        if token.type == "inline" and token.map:
            text = "".join(child.content if child.type in {"text", "code_inline"} else " "
                           for child in token.children or [] if child.type in {"text", "code_inline", "softbreak",
                                                                               "hardbreak"})
            blocks.append((token.map[0] + 1, " ".join(text.split())))
    return blocks


def count_words(text: str) -> int:
    """Count words, taking each CJK character as one word."""
    return len(_WORD.findall(text)) + len(_CJK.findall(text))


_TAGS = re.compile(r'<sup class="offsite-marker">\d+</sup>|<[^>]+>')
# The combining marks of the scripts the kiosk's languages use (Latin, Cyrillic, Arabic and
# Urdu, Vietnamese once decomposed), and tatweel.
_MARKS = re.compile("[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u0640\u064b-\u065f\u0670"
                    "\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Letters that carry their stroke inside them, which NFKD does not split, are written as the
# plain letter a reader might type instead.
_PLAIN_LETTERS = (("đ", "d"), ("ł", "l"), ("ø", "o"), ("ı", "i"))


def split_sections(html: str) -> list[str]:
    """Rendered article HTML cut before each ``##`` heading: the opening, then one piece per section."""
    return [piece for piece in re.split(r"(?=<h2[ >])", html) if piece.strip()]


def plain_text(html: str) -> str:
    """The words of rendered article HTML, without its tags or link markers (for search and speech)."""
    return " ".join(unescape(_TAGS.sub(" ", html)).split())


def fold_for_search(text: str) -> str:
    """Lower-case and strip accents and vowel marks, so that search ignores them.

    NFKD splits letters from their combining marks (é, й, Arabic harakat and
    hamza forms of alef); the marks are dropped and the rest recomposed.
    """
    if text.isascii():
        return text.lower()
    folded = _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    for letter, plain in _PLAIN_LETTERS:
        folded = folded.replace(letter, plain)
    return unicodedata.normalize("NFC", folded)
