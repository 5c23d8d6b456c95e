"""Every task of a visit in speaking mode, done each of the four ways, in English, Arabic and Chinese.

One visit per way and language: choosing the language, the local help page, browsing a
topic, reading an article and listening to it, printing its handout, reading it beside a
second language, searching with the on-screen keyboard, and Quick exit; and the staff PIN
keypad each way. A patron moves to each thing and chooses it by keys (arrows and Enter),
two switches (1 and 2), one switch (the kiosk steps by itself on Playwright's clock, the
switch chooses) or touch (a tap speaks, a double tap chooses); what was said, and in which
language, is read from the speech requests the page made (``POST /speech/say``).

A visit is a generator that yields whenever it waits for the kiosk to step or speak: one switch
waits, in real time, for each item to be heard, so its three visits (one per language) are
taken in turns, on three pages at once.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from kiosk import create_app
from kiosk.staff.pin import set_pin

from ..conftest import seeded
from .conftest import LiveKiosk
from .test_speaking import FAST_SPEECH, QUICKEST_PACE_MS, Heard, current, name_and_language, phrase

pytestmark = pytest.mark.browser

WAYS = ["keys", "switches", "scan", "touch"]
LANGS = ["en", "ar", "zh-Hans"]
# What the page asked the browser to print: headless Chromium has no printer to show.
COUNT_PRINTS = "window.printed = 0; window.print = () => { window.printed += 1; };"
# Where one switch's scanning is: on what the selector finds, on the keyboard row that holds it,
# and whether the item's name has been heard.
SCANNED = """([selector, rows]) => { const c = document.querySelector('[data-speaking-current]');
  return [Boolean(c) && c.matches(selector), Boolean(c) && c.matches(rows) && Boolean(c.querySelector(selector)),
          document.documentElement.getAttribute('data-speaking-state') !== 'speaking']; }"""
ROWS = ".keyboard-row, .keyboard-candidates"


class Patron:
    """A patron in speaking mode one way: moves to what a selector finds, and chooses it."""

    def __init__(self, page, way: str):
        self.page, self.way = page, way
        self.heard = Heard(page)

    def start(self, lang: str) -> None:
        """Speaking mode turned on the patron's way, and heard so, in the page's language ``lang``."""
        page = self.page
        if self.way == "touch":
            page.tap(".speaking-toggle")
            self.heard.wait_for(phrase(lang, "Speaking mode is on. Touch the screen to hear what is under your "
                                             "finger, then tap twice to choose it."), lang)
            return
        page.keyboard.press({"keys": "ArrowDown", "switches": "1", "scan": " "}[self.way])
        if self.way == "scan":
            page.clock.run_for(5000)  # nothing more from the switch: the kiosk starts stepping by itself
            self.heard.wait_for(phrase(lang, "The kiosk will now move by itself. Press your switch to choose."), lang)
            # A helper makes the voice and the steps as fast as they go, without stopping the scanning.
            for key, said in (("*", "Faster"), ("*", "Faster"), ("*", "Faster"), ("]", "Faster"), ("]", "Faster")):
                since = len(self.heard.said)
                page.keyboard.press(key)
                self.heard.wait_for(phrase(lang, said), lang, since)
            assert page.locator("html").get_attribute("data-speaking") == "scan"
        else:
            self.heard.wait_for(phrase(lang, "Speaking mode is on. The arrow keys move, Enter chooses, Escape goes "
                                             "back. Press H for help."), lang)

    def reach(self, selector: str, seconds: float = 240):
        """Moves until speaking mode is on the first thing ``selector`` finds (by row, then key, when scanning)."""
        page = self.page
        if self.way == "touch":
            page.clock.run_for(1000)  # a tap of its own, not the second of a double tap
            page.locator(selector).first.tap()
            expect(page.locator(f"[data-speaking-current]:is({selector})")).to_have_count(1)
            return
        deadline = time.monotonic() + seconds
        if self.way != "scan":
            while not current(page, selector):
                yield
                assert time.monotonic() < deadline, (selector, self.heard.said[-3:])
                page.keyboard.press("ArrowDown" if self.way == "keys" else "1")
            return
        while True:
            on, in_row, quiet = page.evaluate(SCANNED, [selector, ROWS])
            if on:
                return
            yield
            assert time.monotonic() < deadline, (selector, self.heard.said[-3:])
            if in_row:
                page.keyboard.press(" ")  # the row with the key: its keys are stepped through next
            elif quiet:
                # The item's name was heard: the pace's time on the clock steps to the next one,
                # which then stays until the test runs the clock again.
                page.clock.run_for(QUICKEST_PACE_MS)

    def choose(self) -> None:
        """Chooses what speaking mode is on."""
        if self.way == "touch":
            self.page.clock.run_for(1000)
            self.page.tap("[data-speaking-current]")
            self.page.tap("[data-speaking-current]")
        else:
            self.page.keyboard.press({"keys": "Enter", "switches": "2", "scan": " "}[self.way])

    def reach_and_hear(self, selector: str):
        """Moves to ``selector`` and waits to hear its name, in its own language; returns what was said."""
        since = len(self.heard.said)
        yield from self.reach(selector)
        name, language = name_and_language(self.page, "[data-speaking-current]")
        return self.heard.wait_for(name, language, since)

    def hear_start_of(self, text: str, language: str, seconds: float = 20) -> None:
        """Waits to hear ``text`` in ``language``, whole or (a long paragraph) its first sentences."""
        deadline = time.monotonic() + seconds
        while not any(piece[0] == language and piece[1] and text.startswith(piece[1])
                      for pieces in self.heard.said for piece in pieces):
            self.heard.next_request(deadline, f"never heard the start of {text!r} in {language}")

    def open(self, selector: str, address: str):
        """Moves to a link and chooses it, and hears the opened page's title; returns what was said of the link."""
        said = yield from self.reach_and_hear(selector)
        since = len(self.heard.said)
        self.choose()
        self.page.wait_for_url(address)
        title, language = name_and_language(self.page, "h1")
        self.heard.wait_for(title, language, since)
        assert self.page.locator("html").get_attribute("data-speaking") != "off"
        return said


def finish(steps) -> None:
    """Runs a visit (or a part of one) to its end, without taking turns."""
    for _ in steps:
        pass


@pytest.fixture
def patron_pages(browser):
    """New pages, each for one visit way: a touch screen, with the kiosk's timers on Playwright's clock."""
    contexts = []

    def open_page(way: str):
        scanning = way == "scan"
        context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
        context.add_init_script(COUNT_PRINTS)
        context.add_init_script(FAST_SPEECH % (16 if scanning else 2))
        contexts.append(context)
        page = context.new_page()
        page.clock.install()
        if scanning:
            page.clock.pause_at(datetime.now() + timedelta(seconds=1))
        return page
    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("way", ["keys", "switches", "touch"])
def test_a_whole_visit_in_speaking_mode(patron_pages, live_kiosk, way, lang):
    finish(visit(patron_pages(way), live_kiosk.url, way, lang))


def test_a_whole_visit_by_one_switch_in_each_language_at_once(patron_pages, live_kiosk):
    visits = {lang: visit(patron_pages("scan"), live_kiosk.url, "scan", lang) for lang in LANGS}
    while visits:
        for lang, going in list(visits.items()):
            try:
                next(going)
            except StopIteration:
                del visits[lang]
            except Exception as error:
                raise AssertionError(f"the visit by one switch in {lang} failed") from error


def visit(page, url: str, way: str, lang: str):
    """A patron's visit in speaking mode, every task, in ``lang``; yields while it waits for the kiosk."""
    patron = Patron(page, way)
    other = {"en": "ar", "ar": "zh-Hans", "zh-Hans": "en"}[lang]
    page.goto(f"{url}/{other}/")
    patron.start(other)

    # Choosing a language: its name is said in that language, the rest in the page's.
    said = yield from patron.open(f"nav.languages a[hreflang='{lang}']", f"**/{lang}/")
    assert said[-1] == [other, phrase(other, "link")]

    # The local help page, and home again.
    yield from patron.open(".help-entry a", f"**/{lang}/help")
    yield from patron.open("a.home", f"**/{lang}/")

    # Browsing a topic, and opening an article of it.
    yield from patron.open(".topics a", f"**/{lang}/topics/*")
    yield from patron.open(".cards a", f"**/{lang}/articles/*")

    # Reading: text is said in the article's language (one switch steps through controls only).
    if way != "scan":
        text, language = name_and_language(page, ".article-body p")
        yield from patron.reach(".article-body p")
        patron.hear_start_of(text, language)

    # Listening: the article is read aloud, and the next move or switch stops it.
    yield from patron.reach_and_hear(".listen-start")
    patron.choose()
    expect(page.locator("html")).to_have_attribute("data-listening", "true")
    if way == "scan":
        page.keyboard.press(" ")
    else:
        yield from patron.reach(".print-button")
    expect(page.locator("html")).not_to_have_attribute("data-listening", "true")

    # Printing the handout: the kiosk says where to collect it.
    yield from patron.reach(".print-button")
    since = len(patron.heard.said)
    patron.choose()
    patron.heard.wait_for(phrase(lang, "Your handout is on its way to the printer. Please collect it there."), lang, since)
    assert page.evaluate("window.printed") == 1

    # Side by side: the menu opens, and the second language's column is said in that language.
    yield from patron.reach_and_hear(".compare-menu summary")
    patron.choose()
    yield from patron.open(f".compare-menu[open] a[hreflang='{other}']", f"**/{lang}/articles/*compare={other}*")
    if way != "scan":
        cell = f".compare-cell[lang='{other}'] p:not(.column-language):not(.listen-headphones)"
        text, language = name_and_language(page, cell)
        assert language == other
        yield from patron.reach(cell)
        patron.hear_start_of(text, other)

    # Searching with the on-screen keyboard: each key typed is said, and the results page's title.
    since = len(patron.heard.said)
    yield from patron.reach("#search-q")
    assert patron.heard.wait_for(phrase(lang, "Search the articles"), lang, since)[1] == [lang, phrase(lang, "text box")]
    patron.choose()
    expect(page.locator(".keyboard:not([hidden])")).to_be_visible()
    if way == "keys":
        page.keyboard.press("ArrowDown")  # from the box, the next stop is its keyboard
        expect(page.locator("[data-speaking-current].key")).to_have_count(1)
    yield from patron.reach(".key[data-key]")
    key = page.locator("[data-speaking-current]").get_attribute("data-key")
    since = len(patron.heard.said)
    patron.choose()
    if lang == "zh-Hans":  # the key spells pinyin; a word that sounds like it is typed
        expect(page.locator(".keyboard-pinyin")).to_have_text(key)
        patron.heard.wait_for(key, lang, since)
        yield from patron.reach(".keyboard-candidates button")
        since = len(patron.heard.said)
        patron.choose()
    typed = page.locator("#search-q")
    expect(typed).not_to_have_value("")
    patron.heard.wait_for(typed.input_value(), lang, since)
    yield from patron.open("[data-action=search]", f"**/{lang}/search?q=*")

    # Quick exit: the next patron finds the welcome page, speaking mode off and nothing kept.
    yield from patron.reach_and_hear(".exit-button")
    with page.expect_navigation(url=f"{url}/en/"):
        patron.choose()
    expect(page.locator("html")).to_have_attribute("data-pristine", "true")
    expect(page.locator("html")).to_have_attribute("data-speaking", "off")
    assert page.evaluate("window.name") == ""


PIN = "13579"


@pytest.fixture(scope="module")
def staff_kiosk(tmp_path_factory):
    """A kiosk with a staff PIN."""
    instance = seeded(tmp_path_factory.mktemp("instance"))
    set_pin(instance, PIN)
    with LiveKiosk(create_app({"instance": instance})) as kiosk:
        yield kiosk


@pytest.mark.parametrize("way", WAYS)
def test_staff_type_their_pin_on_the_keypad_and_it_is_never_said(patron_pages, staff_kiosk, way):
    page = patron_pages(way)
    patron = Patron(page, way)
    page.goto(f"{staff_kiosk.url}/staff/login")
    patron.start("en")
    since = len(patron.heard.said)
    finish(patron.reach("#pin"))
    assert patron.heard.wait_for("Staff PIN", "en", since)[1] == ["en", "text box"]
    patron.choose()
    expect(page.locator(".keypad")).to_be_visible()
    if way == "keys":
        page.keyboard.press("ArrowDown")  # from the box, the next stop is its keypad
    for digit in PIN:
        finish(patron.reach(f".keypad [data-digit='{digit}']"))
        patron.choose()
        expect(page.locator("#pin")).to_have_value(re.compile(digit + "$"))
    finish(patron.open(".pin-form button[type=submit]", "**/staff/"))
    # A key is said by its name, to be chosen; what the box holds, never.
    typed = {PIN[start:start + 2] for start in range(len(PIN) - 1)}
    assert not any(part in text for pieces in patron.heard.said for _, text in pieces for part in typed), patron.heard.said


def test_a_pin_not_accepted_is_said_with_the_page_title(patron_pages, staff_kiosk):
    page = patron_pages("keys")
    patron = Patron(page, "keys")
    page.goto(f"{staff_kiosk.url}/staff/login")
    patron.start("en")
    finish(patron.reach("#pin"))
    patron.choose()
    page.keyboard.type("2468")
    since = len(patron.heard.said)
    page.keyboard.press("Enter")  # in the box, Enter sends the form
    said = patron.heard.wait_for("That PIN is not right.", "en", since)
    assert said[0] == ["en", "Staff screens"]
