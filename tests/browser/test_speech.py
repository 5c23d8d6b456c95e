"""Read-aloud in Chromium, with eSpeak NG for real: it plays, the highlight follows, and nothing outlives it.

Chromium is started with ``--autoplay-policy=no-user-gesture-required`` (see conftest), as the
kiosk's own browser is, so one part can follow another without a tap.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

# What a highlight shows: its first range's text, the part it is in, and where.
DESCRIBE = """highlight => {
  const range = [...highlight][0];
  const part = range.startContainer.parentElement.closest('[data-speech]');
  return {text: range.toString(), part: part.dataset.speech,
          column: (part.closest('[data-column]') || {dataset: {}}).dataset.column || null,
          offset: range.startOffset, node: [...part.querySelectorAll('*')].length};
}"""

HIGHLIGHTED = f"""() => {{
  const found = CSS.highlights.get('kiosk-spoken');
  return found ? ({DESCRIBE})(found) : null;
}}"""


# Every highlight the page sets is noted as it is set, so a short word (a one-word title) is
# seen even when the machine is too busy to draw a frame while it is said.
RECORD = f"""() => {{
  if (window.spokenSeen) {{ return; }}
  window.spokenSeen = [];
  const registry = CSS.highlights, set = registry.set.bind(registry);
  registry.set = (name, highlight) => {{
    const result = set(name, highlight);
    if (name !== 'kiosk-spoken') {{ return result; }}
    const found = ({DESCRIBE})(highlight), last = window.spokenSeen[window.spokenSeen.length - 1];
    if (JSON.stringify(found) !== JSON.stringify(last)) {{ window.spokenSeen.push(found); }}
    return result;
  }};
}}"""


def record_highlights(page):
    page.evaluate(RECORD)


def start_listening(page, selector=".listen-start"):
    record_highlights(page)
    page.locator(selector).first.tap()
    page.wait_for_selector(".listen[data-state='playing']")


def highlights_until(page, enough, timeout=60):
    """Every highlighted word, in order, from the first tap on Listen until ``enough(seen)`` holds."""
    record_highlights(page)
    deadline = time.monotonic() + timeout
    while not enough(seen := page.evaluate("() => window.spokenSeen")):
        assert time.monotonic() < deadline, seen
        page.wait_for_timeout(100)
    return seen


def at_least(count):
    """Enough once ``count`` words have been highlighted."""
    return lambda seen: len(seen) >= count


def test_listen_plays_and_the_highlight_follows_the_words(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    start_listening(page)
    assert page.get_attribute("html", "data-listening") == "true"
    seen = highlights_until(page, lambda seen: len(seen) >= 4 and seen[-1]["part"] == "summary")
    assert len(seen) >= 4
    assert seen[0]["part"] == "title" and seen[0]["text"] == "Consent"
    words = [entry["text"] for entry in seen if entry["part"] == "summary"]
    summary = page.locator(".summary").inner_text()
    assert words and all(word in summary for word in words)
    positions = [summary.index(word) for word in words]
    assert positions == sorted(positions)  # it moves forward through the text


def test_chinese_is_followed_character_by_character_and_arabic_right_to_left(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/zh-Hans/articles/consent")
    start_listening(page)
    seen = highlights_until(page, at_least(3))
    assert seen and all(len(entry["text"]) == 1 for entry in seen)
    page.goto(f"{live_kiosk.url}/ar/articles/consent")
    start_listening(page)
    seen = highlights_until(page, at_least(3))
    assert seen and seen[0]["part"] == "notice-1"  # the notice is read too: it is on the screen
    assert all(entry["text"].strip() and not entry["text"].isascii() for entry in seen)


def test_pause_go_on_and_stop(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/fr/articles/boundaries")
    start_listening(page)
    page.tap(".listen-pause")
    assert page.get_attribute(".listen", "data-state") == "paused"
    assert page.get_attribute("html", "data-listening") is None
    still = page.evaluate(HIGHLIGHTED)
    # The highlight moves on animation frames: thirty of them pass without it moving.
    page.evaluate("new Promise(done => { let n = 0; const f = () => ++n >= 30 ? done() : requestAnimationFrame(f);"
                  " requestAnimationFrame(f); })")
    assert page.evaluate(HIGHLIGHTED) == still
    page.tap(".listen-resume")
    page.wait_for_selector(".listen[data-state='playing']")
    page.tap(".listen-stop")
    assert page.get_attribute(".listen", "data-state") == "stopped"
    assert page.evaluate(HIGHLIGHTED) is None


def test_slower_is_a_toggle(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/uk/articles/consent")
    page.tap(".listen-speed")
    assert page.get_attribute(".listen-speed", "aria-pressed") == "true"
    start_listening(page)
    highlights_until(page, at_least(2))  # words go on being highlighted at the slower pace (or it fails)


def test_each_column_side_by_side_is_read_on_its_own(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/en/articles/intimacy?compare=es")
    assert page.locator(".listen").count() == 2
    page.locator("[data-column='1'] .listen-start").tap()
    page.wait_for_selector("[data-column='1'] .listen[data-state='playing']")
    seen = highlights_until(page, at_least(3))
    assert seen and {entry["column"] for entry in seen} == {"1"}


def test_quick_exit_stops_the_sound_at_once(touch_page, live_kiosk):
    page = touch_page
    page.goto(f"{live_kiosk.url}/es/articles/consent")
    start_listening(page)
    held = []
    page.route("**/reset", lambda route: held.append(route))  # hold the reset, to look at the moment after the tap
    page.tap(".exit-button")
    assert page.get_attribute(".listen", "data-state") == "stopped"
    assert page.get_attribute("html", "data-listening") is None
    # Then the reset is let through, and Quick exit itself opens the welcome page (a page opened
    # by the test instead would race it).
    deadline = time.monotonic() + 30
    while not held:
        assert time.monotonic() < deadline, "Quick exit asked for no reset"
        page.wait_for_timeout(20)
    held[0].continue_()
    page.wait_for_url(f"{live_kiosk.url}/en/")
    page.wait_for_load_state("load")
    assert page.evaluate("[...document.querySelectorAll('audio, video')].filter(m => !m.paused).length") == 0
    assert page.get_attribute("html", "data-listening") is None


def test_a_patron_who_is_listening_is_not_idle(browser, live_kiosk):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, has_touch=True)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_kiosk.url}/en/articles/intimacy")
    idle = int(page.get_attribute("html", "data-idle-seconds"))
    start_listening(page)
    page.clock.run_for((idle + 30) * 1000)
    assert not page.locator("#idle-dialog").is_visible()
    assert page.url.endswith("/en/articles/intimacy")
    page.tap(".listen-stop")
    page.clock.run_for((idle + 5) * 1000)
    page.wait_for_url(f"{live_kiosk.url}/en/")  # once it stops, the idle time runs as usual
    context.close()


def test_without_javascript_there_is_no_listen(browser, live_kiosk):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    assert page.locator(".listen").count() == 1 and not page.locator(".listen").is_visible()
    context.close()
