"""The on-screen keyboard: its keys, and what it offers as a patron types.

``static/keyboard.js`` fetches the keyboard of the page's language
(``templates/_keyboard.html``, from ``kiosk/keyboards.py``) the first time the
search box is touched, then asks here after each key for titles and topics,
and for Chinese the words that sound like the pinyin typed. What was typed is
compared with the library's own words and forgotten: nothing is logged or kept.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..content.search import clean_query
from ..content.serving import current_content
from ..display import display_choices
from ..i18n import current_language, offered_languages, render_in_language
from ..keyboards import keyboard_for
from ..layout import Links, layouts

bp = Blueprint("keyboard", __name__)
SLUG_ARGUMENT = {"patron.article": "slug", "patron.topic": "topic"}


@bp.get("/<lang>/keyboard")
def keyboard():
    """The on-screen keyboard of the page's language, as a piece of HTML for the page.

    ``?purpose=form`` gives the keyboard for a form's text box: digits and signs
    added, no suggestions and no search key.
    """
    return render_in_language("_keyboard.html", for_form=request.args.get("purpose") == "form")


@bp.get("/<lang>/keyboard/suggestions")
def suggestions():
    """Completions (titles and topics, in every offered language) and, for Chinese, words for the pinyin typed."""
    typed = clean_query(request.args.get("typed", ""))
    language = current_language()
    words = current_content().keyboard_words
    offered = {other.tag: other for other in offered_languages()}
    completions = []
    for completion in words.complete(typed, language.tag):
        if completion.language in offered:
            link = Links.for_display(layouts().rules, completion.language, display_choices())
            completions.append({
                "text": completion.text, "lang": completion.language, "dir": offered[completion.language].direction,
                "href": link(completion.endpoint, **{SLUG_ARGUMENT[completion.endpoint]: completion.slug})})
    chinese = words.chinese_for(typed) if keyboard_for(language.tag).spells_pinyin else []
    return jsonify(words=chinese, completions=completions)
