"""Speaking mode in a real browser: what the kiosk says, in which language, by keys, switches and touch.

What is spoken is read from the speech requests the page makes (``POST /speech/say``,
whose body holds each piece of text with its language); the audio itself is played
by Chromium. Timers that belong to the kiosk (one switch's scanning, the idle
reset, the double tap) run on Playwright's clock where a test needs them to.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from babel.support import Translations
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from kiosk.languages import BY_TAG
from kiosk.shipped import TRANSLATIONS

pytestmark = pytest.mark.browser

LANGS = ["en", "ar", "zh-Hans"]
SAY = "/speech/say"
# The quickest pace a helper can set (PACES in static/speaking.js): with the clock paused, a turn
# of the clock this long lets one scanned item step to the next, and no more.
QUICKEST_PACE_MS = 500
QUIET = "() => document.documentElement.getAttribute('data-speaking-state') !== 'speaking'"
# Speech played faster (the playback rate goes in for %d): the audio runs on the browser's real
# clock, which Playwright's clock does not drive, and at the speed a patron hears it the speaking
# visits took minutes. What is said, in which language, and when, are unchanged. A page scanned by
# one switch keeps Playwright's clock paused, so the kiosk steps only when the test runs the clock:
# the item the test waits for cannot go by before it presses, however fast its name is heard.
FAST_SPEECH = """(() => {
  const create = AudioContext.prototype.createBufferSource;
  AudioContext.prototype.createBufferSource = function () {
    const source = create.call(this);
    source.playbackRate.value = %d;
    return source;
  };
})();"""


def phrase(tag: str, message: str, context: str | None = None) -> str:
    """The interface's ``message`` as a page in ``tag`` has it."""
    catalog = Translations.load(str(TRANSLATIONS), [BY_TAG[tag].locale])
    return catalog.pgettext(context, message) if context else catalog.gettext(message)


class Heard:
    """Every speech request a page makes, in order: each a list of [language, text]."""

    def __init__(self, page):
        self.page = page
        self.said: list[list[list[str]]] = []
        self.rates: list[int] = []
        page.on("request", self._record)

    def _record(self, request):
        if request.url.endswith(SAY) and request.method == "POST":
            body = request.post_data_json
            self.said.append(body["say"])
            self.rates.append(body["rate"])

    def wait_for(self, text: str, language: str | None = None, since: int = 0, seconds: float = 20) -> list[list[str]]:
        """The first request from ``since`` on with a piece ``text`` (in ``language``); waits for it."""
        deadline = time.monotonic() + seconds
        while True:
            for pieces in self.said[since:]:
                if any(piece[1] == text and (language is None or piece[0] == language) for piece in pieces):
                    return pieces
            since = len(self.said)
            self.next_request(deadline, f"never said {text!r} in {language}")

    def next_request(self, deadline: float, failure: str) -> None:
        """Waits for the page's next speech request (recorded as it comes), until ``deadline``."""
        left = deadline - time.monotonic()
        if left > 0:
            try:
                self.page.wait_for_event("request", lambda request: request.url.endswith(SAY), timeout=left * 1000)
                return
            except PlaywrightTimeoutError:
                pass
        raise AssertionError(f"{failure}: {self.said[-5:]}")


def current(page, selector: str) -> bool:
    return page.evaluate("s => { const c = document.querySelector('[data-speaking-current]');"
                         " return Boolean(c) && c.matches(s); }", selector)


def press_until(page, key: str, selector: str, most: int = 120) -> None:
    """Press ``key`` until speaking mode has moved to an element matching ``selector``."""
    for _ in range(most):
        page.keyboard.press(key)
        if current(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def name_and_language(page, selector: str) -> tuple[str, str]:
    """The text of an element as spoken (spaces folded), and the language it is in."""
    return tuple(page.evaluate("""s => { const e = document.querySelector(s);
        const text = [...e.querySelectorAll('*')].filter(x => x.getAttribute('aria-hidden') === 'true').reduce(
            (t, x) => t.replace(x.textContent, ''), e.textContent);
        return [text.replace(/\\s+/g, ' ').trim(), e.closest('[lang]').getAttribute('lang')]; }""", selector))


@pytest.mark.parametrize("lang", LANGS)
def test_by_keys_a_patron_opens_an_article_and_hears_it_in_the_page_language(page, live_kiosk, lang):
    heard = Heard(page)
    page.goto(f"{live_kiosk.url}/{lang}/")
    page.keyboard.press("ArrowDown")
    heard.wait_for(phrase(lang, "Speaking mode is on. The arrow keys move, Enter chooses, Escape goes back. "
                                "Press H for help."), lang)
    assert page.locator("html").get_attribute("data-speaking") == "keys"
    # The button that turns it off is the first thing on the page.
    page.keyboard.press("ArrowDown")
    assert current(page, ".speaking-toggle")
    assert heard.wait_for(phrase(lang, "Speaking mode"), lang)[1:] == [
        [lang, phrase(lang, "button")], [lang, phrase(lang, "on", "state of a button that stays pressed")]]
    press_until(page, "ArrowDown", ".cards a")
    name, language = name_and_language(page, "[data-speaking-current]")
    assert heard.wait_for(name, language)[-1] == [lang, phrase(lang, "link")]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{lang}/articles/*")
    title, language = name_and_language(page, "h1")
    heard.wait_for(title, language)
    press_until(page, "ArrowDown", ".article-body p")
    text, language = name_and_language(page, "[data-speaking-current]")
    heard.wait_for(text, language)
    since = len(heard.said)
    page.keyboard.press("h")
    heard.wait_for(phrase(lang, "This is text on the page. Press the down arrow to go on."), lang, since)
    page.keyboard.press("h")
    page_help = phrase(lang, "You are on the page: %(title)s. Up and down arrows move, Enter chooses, Escape goes back. "
                             "Plus and minus make the voice louder or softer, star and slash make it faster or slower. "
                             "P pauses, R repeats, H explains.")
    heard.wait_for(page_help % {"title": title}, lang, since)
    page.keyboard.press("Escape")
    page.wait_for_url(f"**/{lang}/")
    assert page.locator("html").get_attribute("data-speaking") == "keys"


@pytest.mark.parametrize("lang", LANGS)
def test_louder_and_slower_are_confirmed_by_voice_and_quick_exit_puts_them_back(page, live_kiosk, lang):
    heard = Heard(page)
    page.goto(f"{live_kiosk.url}/{lang}/articles/consent")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("+")
    heard.wait_for(phrase(lang, "Louder"), lang)
    page.keyboard.press("+")
    heard.wait_for(phrase(lang, "This is the loudest."), lang)
    page.keyboard.press("/")
    heard.wait_for(phrase(lang, "Slower"), lang)
    assert heard.rates[-1] < heard.rates[0]
    since = len(heard.said)
    page.keyboard.press("r")  # Repeat: the last thing said, said again
    assert heard.wait_for(phrase(lang, "Slower"), lang, since)
    # The choices stay for the next page of the visit.
    press_until(page, "ArrowDown", "a.home")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{lang}/")
    since = len(heard.said)
    page.keyboard.press("ArrowDown")
    heard.wait_for(phrase(lang, "Speaking mode"), lang, since)
    assert heard.rates[-1] == heard.rates[since - 1] < heard.rates[0]
    with page.expect_navigation(url=f"{live_kiosk.url}/en/"):
        for _ in range(3):
            page.keyboard.press("Shift")
    expect(page.locator("html")).to_have_attribute("data-pristine", "true")
    expect(page.locator("html")).to_have_attribute("data-speaking", "off")
    assert page.evaluate("window.name") == ""
    since = len(heard.said)
    page.keyboard.press("ArrowDown")  # the next patron, on the welcome page in the kiosk's default language
    heard.wait_for("Speaking mode is on. The arrow keys move, Enter chooses, Escape goes back. Press H for help.",
                   "en", since)
    assert heard.rates[-1] == heard.rates[0]


def test_with_one_switch_the_on_screen_keyboard_is_scanned_by_row_then_key(page, live_kiosk):
    heard = Heard(page)
    page.add_init_script(FAST_SPEECH % 16)
    page.clock.install()
    # The clock stays still unless the test runs it, so an item cannot go by before its switch is pressed.
    page.clock.pause_at(datetime.now() + timedelta(seconds=1))
    page.goto(f"{live_kiosk.url}/en/")
    page.keyboard.press("Enter")
    page.clock.run_for(5000)

    def scan_until(selector):
        deadline = time.monotonic() + 60
        while not current(page, selector):
            assert time.monotonic() < deadline, heard.said[-3:]
            # The item's name is heard, then the quickest pace's time on the clock: no more than one step.
            page.wait_for_function(QUIET, polling=20)
            page.clock.run_for(QUICKEST_PACE_MS)

    scan_until("#search-q")
    page.keyboard.press("Enter")
    scan_until(".keyboard-row")
    row = page.locator("[data-speaking-current]").evaluate("row => [...row.querySelectorAll('button')].map(b => b.textContent)")
    heard.wait_for(" ".join(row), "en")

    # A row stays until its name has been heard: with the next row's speech held on its way, the
    # clock runs well past the slowest pace and scanning stays; once it is heard, scanning steps on.
    page.wait_for_function(QUIET, polling=20)
    held = []
    page.route(f"**{SAY}", lambda route: route.continue_() if held else held.append(route))
    first = page.locator("[data-speaking-current]").evaluate("row => row.textContent")
    page.clock.run_for(2000)
    expect(page.locator("[data-speaking-current]")).not_to_have_text(first)
    second = page.locator("[data-speaking-current]").evaluate("row => row.textContent")
    page.clock.run_for(10000)
    assert page.locator("[data-speaking-current]").evaluate("row => row.textContent") == second
    held[0].continue_()
    expect(page.locator("[data-speaking-current]")).not_to_have_text(second)

    scan_until(".keyboard-row")
    row = page.locator("[data-speaking-current]").evaluate("row => [...row.querySelectorAll('button')].map(b => b.textContent)")
    page.keyboard.press("Enter")
    scan_until(".keyboard-row .key")
    key = page.locator("[data-speaking-current]").text_content()
    assert key == row[0]
    page.keyboard.press("Enter")
    expect(page.locator("#search-q")).to_have_value(key)
    heard.wait_for(key, "en")
    scan_until(".keyboard-row")  # back to the rows, to type the next letter


@pytest.mark.parametrize("lang", LANGS)
def test_by_touch_a_patron_explores_the_screen_and_double_taps_to_open_an_article(touch_page, live_kiosk, lang):
    page = touch_page
    heard = Heard(page)
    page.clock.install()
    page.goto(f"{live_kiosk.url}/{lang}/")
    page.tap(".speaking-toggle")
    heard.wait_for(phrase(lang, "Speaking mode is on. Touch the screen to hear what is under your finger, "
                                "then tap twice to choose it."), lang)
    page.clock.run_for(1000)
    page.tap("h1")
    title, language = name_and_language(page, "h1")
    heard.wait_for(title, language)
    assert page.url.endswith(f"/{lang}/")  # a single touch only speaks
    page.clock.run_for(1000)
    card = page.locator(".cards a").first
    card.tap()
    name, language = name_and_language(page, ".cards a")
    assert heard.wait_for(name, language)[-1] == [lang, phrase(lang, "link")]
    href = card.get_attribute("href")
    page.clock.run_for(1000)
    # A double tap anywhere opens what was spoken last.
    page.tap("h1")
    page.tap("h1")
    page.wait_for_url(f"**{href}")
    title, language = name_and_language(page, "h1")
    heard.wait_for(title, language)
    # A finger dragged from the title down to the summary hears the summary.
    summary, language = name_and_language(page, ".article-summary, .summary, h1 + p")
    start, end = page.locator("h1").bounding_box(), page.locator(".article-summary, .summary, h1 + p").first.bounding_box()
    drag(page, (start["x"] + 5, start["y"] + 5), (end["x"] + 5, end["y"] + end["height"] / 2))
    heard.wait_for(summary, language)
    # Touch does not scroll while it explores; a finger on the bottom edge does.
    assert page.evaluate("scrollY") == 0
    height = page.viewport_size["height"]
    drag(page, (500, height * 0.5), (500, height - 10))
    deadline = time.monotonic() + 5
    while page.evaluate("scrollY") == 0:
        assert time.monotonic() < deadline, "the bottom edge did not scroll"
        page.wait_for_timeout(50)
    page.clock.run_for(1000)
    page.tap(".speaking-toggle")  # a touch speaks the button, like any other
    heard.wait_for(phrase(lang, "Speaking mode"), lang)
    assert page.locator("html").get_attribute("data-speaking") == "touch"
    page.clock.run_for(1000)
    page.tap("h1")
    page.tap("h1")
    heard.wait_for(phrase(lang, "Speaking mode is off."), lang)
    assert page.locator("html").get_attribute("data-speaking") == "off"


def drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    """A finger put down at ``start`` and moved to ``end`` (Playwright offers taps only)."""
    session = page.context.new_cdp_session(page)
    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]})
    for index in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * index / steps
        y = start[1] + (end[1] - start[1]) * index / steps
        session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_language_without_a_voice_says_so_in_its_own_words_and_offers_english(page, live_kiosk):
    heard = Heard(page)
    page.goto(f"{live_kiosk.url}/tl/articles/consent")
    page.keyboard.press("ArrowDown")
    notice = page.locator(".speaking-no-voice")
    notice.wait_for()
    assert notice.inner_text() == "Hindi kayang magsalita ng kiosk na ito sa Tagalog. Pindutin ang Enter para " \
                                  "marinig ang kiosk sa English."
    heard.wait_for("This kiosk cannot speak Tagalog. Press Enter to hear the kiosk in English.", "en")
    assert all(piece[0] != "tl" for pieces in heard.said for piece in pieces)
    page.keyboard.press("Enter")
    page.wait_for_url("**/en/articles/consent")
    title, language = name_and_language(page, "h1")
    assert language == "en"
    heard.wait_for(title, "en")


def until_the_page_stops_scrolling(page) -> None:
    """Waits until the page has stayed where it is for three looks in a row."""
    still, last = 0, None
    while still < 3:
        where = page.evaluate("() => [scrollX, scrollY]")
        still = still + 1 if where == last else 0
        last = where
        page.wait_for_timeout(100)


def test_the_idle_reset_ends_speaking_mode_and_its_settings(page, live_kiosk):
    heard = Heard(page)
    page.clock.install()
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("-")
    heard.wait_for("Softer", "en")
    assert page.evaluate("window.name").startswith("kiosk-speaking:")
    # The first ArrowDown also scrolls the page, smoothly, in real time; a scroll is a patron's
    # activity and would start the idle time again while the clock runs.
    until_the_page_stops_scrolling(page)
    page.clock.run_for(180_000 + 2000)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    page.wait_for_load_state("load")
    assert page.evaluate("window.name") == ""
    assert page.locator("html").get_attribute("data-speaking") == "off"
    assert not page.locator("[data-speaking-current]").count()


def test_patrons_who_never_press_a_key_hear_nothing(page, live_kiosk):
    heard = Heard(page)
    for address in ("/en/", "/ar/articles/consent", "/zh-Hans/search?q=a"):
        page.goto(live_kiosk.url + address)
        page.locator(".speaking-toggle").wait_for()
    page.locator("a.home").click()
    page.wait_for_load_state("load")
    assert heard.said == []
    assert page.locator("html").get_attribute("data-speaking") == "off"


@pytest.mark.parametrize("lang", LANGS)
def test_the_idle_warning_is_said_and_any_key_keeps_the_patron_reading(page, live_kiosk, lang):
    heard = Heard(page)
    page.clock.install()
    page.goto(f"{live_kiosk.url}/{lang}/articles/consent")
    page.keyboard.press("ArrowDown")
    heard.wait_for(phrase(lang, "Speaking mode is on. The arrow keys move, Enter chooses, Escape goes back. "
                                "Press H for help."), lang)
    # As in the idle reset's test: the key's smooth scroll is activity, and would close the warning.
    until_the_page_stops_scrolling(page)
    page.clock.run_for(150_000 + 1000)
    expect(page.locator("#idle-dialog")).to_be_visible()
    said = heard.wait_for(phrase(lang, "Still reading?"), lang)
    assert [lang, phrase(lang, "Keep reading")] in said
    page.keyboard.press("ArrowDown")
    expect(page.locator("#idle-dialog")).to_be_hidden()
    assert page.locator("html").get_attribute("data-speaking") == "keys"


# Every change of the highlighted word, noted on each animation frame: the word, whether it is in
# the element speaking mode is on, and where it starts in that element's text as spoken.
RECORD_WORDS = """() => {
  window.wordsSeen = [];
  const look = () => {
    const found = CSS.highlights.get('kiosk-spoken');
    const range = found && [...found][0];
    const last = window.wordsSeen[window.wordsSeen.length - 1];
    if (range && (!last || last.range !== range)) {
      const current = document.querySelector('[data-speaking-current]');
      const before = document.createRange();
      before.setStart(current || document.body, 0);
      before.setEnd(range.startContainer, range.startOffset);
      window.wordsSeen.push({range, word: range.toString(), inCurrent: Boolean(current) && current.contains(range.startContainer),
                             at: before.toString().replace(/\\s+/g, ' ').trimStart().length});
    }
    requestAnimationFrame(look);
  };
  look();
}"""


def words_until(page, count: int, seconds: float = 30) -> list[dict]:
    """The words highlighted since RECORD_WORDS, once there are ``count`` of them."""
    deadline = time.monotonic() + seconds
    while (seen := page.evaluate("window.wordsSeen.map(({word, inCurrent, at}) => ({word, inCurrent, at}))")) \
            and len(seen) < count or not seen:
        assert time.monotonic() < deadline, seen
        page.wait_for_timeout(50)
    return seen


@pytest.mark.parametrize("lang", LANGS)
def test_the_words_of_what_is_spoken_are_highlighted_as_they_are_heard(page, live_kiosk, lang):
    heard = Heard(page)
    page.goto(f"{live_kiosk.url}/{lang}/articles/consent")
    press_until(page, "ArrowDown", ".article-body p")
    page.evaluate(RECORD_WORDS)
    text, language = name_and_language(page, "[data-speaking-current]")
    seen = words_until(page, 3)
    # A long paragraph is sent a sentence or two at a time.
    assert any(piece[0] == language and piece[1] and text.startswith(piece[1]) for pieces in heard.said for piece in pieces)
    assert all(word["inCurrent"] for word in seen), seen
    # Each word is the paragraph's own, at its place, in the order heard.
    assert [text[word["at"]:word["at"] + len(word["word"])] for word in seen] == [word["word"] for word in seen]
    assert [word["at"] for word in seen] == sorted(word["at"] for word in seen) and seen[-1]["at"] > 0
    # Paused, the word stays; the next move takes the highlight with it.
    page.keyboard.press("p")
    expect(page.locator("html")).to_have_attribute("data-speaking-state", "paused")
    paused = page.evaluate("window.wordsSeen.length")
    page.evaluate("() => new Promise(done => { let left = 30; const wait = () => --left ? requestAnimationFrame(wait) : done(); wait(); })")
    assert page.evaluate("window.wordsSeen.length") == paused
    page.evaluate("window.wordsSeen = []")
    press_until(page, "ArrowDown", ".article-body p")
    assert all(word["inCurrent"] for word in words_until(page, 1))
    # The end of the session takes the highlight away with the rest.
    page.evaluate("document.dispatchEvent(new Event('kiosk-leaving'))")
    assert page.evaluate("CSS.highlights.size") == 0
