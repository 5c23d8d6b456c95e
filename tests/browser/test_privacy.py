"""The privacy promise in a real browser: idle reset, Quick exit, and nothing left in history or storage.

Timers run on Playwright's clock, so minutes of idleness take no time.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

IDLE_MS = 180_000
WARNING_MS = 30_000


def visit(page, url):
    page.goto(url)
    page.wait_for_load_state("load")


def storage_is_empty(page) -> bool:
    return page.evaluate("localStorage.length === 0 && Object.keys(sessionStorage)"
                         ".filter(k => k !== 'kiosk-session').length === 0")


def go(page, live_kiosk, direction: str) -> None:
    """Back or Forward; a stale page replaces itself, so wait for where it settles, not for its load."""
    getattr(page, f"go_{direction}")(wait_until="commit")
    go_settled(page)


def go_settled(page) -> None:
    """Wait until the page on screen belongs to the live session."""
    settled = ("document.readyState === 'complete' && !document.documentElement.classList.contains('kiosk-leaving')"
               " && history.state && history.state.kioskSession === sessionStorage.getItem('kiosk-session')")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if page.evaluate(settled):
                return
        except PlaywrightError:
            pass  # the page navigated away while being asked
        time.sleep(0.05)
    raise AssertionError(f"the page did not settle: {page.url}")


def at_default_welcome(page, live_kiosk) -> bool:
    return page.url == f"{live_kiosk.url}/en/" and page.locator("html").get_attribute("class") == "text-1"


def start_session(page, live_kiosk):
    """A patron changes language, enlarges the text, searches and reads."""
    page.clock.install()
    visit(page, f"{live_kiosk.url}/en/")
    page.locator("nav.languages a[hreflang='fr']").click()
    page.locator("a.larger-text").click()  # larger text
    page.fill("#search-q", "consentement")
    page.locator(".search-form button").click()
    page.locator(".cards a").first.click()
    page.wait_for_url("**/fr/articles/**")
    page.evaluate("window.scrollTo(0, 400)")


def test_idle_warning_appears_with_a_countdown_and_a_touch_dismisses_it(page, live_kiosk):
    start_session(page, live_kiosk)
    page.clock.run_for(IDLE_MS - WARNING_MS + 1000)
    dialog = page.locator("#idle-dialog")
    assert dialog.is_visible()
    assert dialog.get_attribute("role") == "alertdialog"
    assert page.evaluate("document.activeElement.id") == "idle-continue"
    assert dialog.get_attribute("aria-labelledby") == "idle-title"
    first = int(page.locator("#idle-countdown").inner_text())
    page.clock.run_for(5000)
    assert int(page.locator("#idle-countdown").inner_text()) == first - 5
    # Wording is in the page's language (French here).
    assert page.locator("#idle-title").inner_text() != "Still reading?"
    page.mouse.click(10, 10)
    assert not dialog.is_visible()
    page.clock.run_for(IDLE_MS - WARNING_MS - 2000)
    assert not dialog.is_visible()
    assert "/fr/articles/" in page.url


def test_a_key_dismisses_the_warning(page, live_kiosk):
    start_session(page, live_kiosk)
    page.clock.run_for(IDLE_MS - WARNING_MS + 1000)
    assert page.locator("#idle-dialog").is_visible()
    page.keyboard.press("a")
    assert not page.locator("#idle-dialog").is_visible()


def test_idle_reset_returns_to_the_default_welcome_page_with_nothing_left(page, live_kiosk):
    start_session(page, live_kiosk)
    page.clock.run_for(IDLE_MS + 2000)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert at_default_welcome(page, live_kiosk)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.input_value("#search-q") == ""
    assert page.evaluate("window.scrollY") == 0
    assert storage_is_empty(page)
    assert page.context.cookies() == []


def test_back_and_forward_after_an_idle_reset_show_nothing_earlier(page, live_kiosk):
    start_session(page, live_kiosk)
    page.clock.run_for(IDLE_MS + 2000)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    for _ in range(4):
        go(page, live_kiosk, "back")
        assert at_default_welcome(page, live_kiosk), page.url
    go(page, live_kiosk, "forward")
    assert at_default_welcome(page, live_kiosk), page.url


def test_reload_after_a_reset_shows_the_welcome_page(page, live_kiosk):
    start_session(page, live_kiosk)
    page.locator("form.quick-exit button").click()
    page.wait_for_url(f"{live_kiosk.url}/en/")
    page.reload()
    assert at_default_welcome(page, live_kiosk)


def test_quick_exit_covers_the_screen_and_leaves_no_history(page, live_kiosk):
    start_session(page, live_kiosk)
    page.locator("form.quick-exit button").click()
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert at_default_welcome(page, live_kiosk)
    assert storage_is_empty(page)
    for _ in range(4):
        go(page, live_kiosk, "back")
        assert at_default_welcome(page, live_kiosk), page.url


def test_quick_exit_cover_appears_at_once(page, live_kiosk):
    visit(page, f"{live_kiosk.url}/en/articles/consent")
    # Hold the reset request so the moment between click and navigation can be seen.
    page.route("**/reset", lambda route: None)
    page.locator("form.quick-exit button").click()
    assert page.locator("#exit-cover").is_visible()


def test_shift_three_times_exits(page, live_kiosk):
    start_session(page, live_kiosk)
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert at_default_welcome(page, live_kiosk)


def test_shift_shift_other_shift_does_not_exit(page, live_kiosk):
    start_session(page, live_kiosk)
    here = page.url
    for key in ("Shift", "Shift", "a", "Shift"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.url == here


def test_an_untouched_welcome_page_is_left_alone_but_a_changed_one_times_out(page, live_kiosk):
    page.clock.install()
    visit(page, f"{live_kiosk.url}/en/")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.clock.run_for(IDLE_MS * 3)
    assert not page.locator("#idle-dialog").is_visible()
    assert not any("/reset" in url for url in requests)
    page.locator("a.larger-text").click()  # larger text, still the welcome page
    page.wait_for_url("**/en/?size=2")
    page.clock.run_for(IDLE_MS + 2000)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert at_default_welcome(page, live_kiosk)


def test_a_reset_while_the_warning_shows_is_clean(page, live_kiosk):
    start_session(page, live_kiosk)
    page.clock.run_for(IDLE_MS - WARNING_MS + 1000)
    page.locator("#idle-leave").click()
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert at_default_welcome(page, live_kiosk)


def test_every_request_of_a_visit_stays_on_the_kiosk(page, live_kiosk):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    start_session(page, live_kiosk)
    page.locator("form.quick-exit button").click()
    page.wait_for_url(f"{live_kiosk.url}/en/")
    assert hosts == {live_kiosk.url.split("/")[2]}


@pytest.mark.parametrize("forgery", [
    "history.replaceState({kioskSession: 'forged-or-stale'}, '')",
    "sessionStorage.setItem('kiosk-session', 'forged-or-stale')",
    "history.replaceState({kioskSession: 42}, '')",
])
def test_a_forged_or_stale_session_id_shows_only_the_welcome_page(page, live_kiosk, forgery):
    visit(page, f"{live_kiosk.url}/es/articles/consent?size=2")
    page.evaluate(f"() => {{ {forgery}; }}")
    page.reload(wait_until="commit")
    go_settled(page)
    assert at_default_welcome(page, live_kiosk)
    assert page.evaluate("history.state.kioskSession === sessionStorage.getItem('kiosk-session')")


def test_a_page_without_any_session_mark_simply_starts_one(page, live_kiosk):
    visit(page, f"{live_kiosk.url}/fr/articles/consent")
    page.evaluate("() => { history.replaceState(null, ''); sessionStorage.clear(); }")
    page.reload()
    assert page.url.endswith("/fr/articles/consent")
    assert page.evaluate("history.state.kioskSession === sessionStorage.getItem('kiosk-session')")


def resets(page) -> list[str]:
    """The resets the page will ask for from now on (a list that fills as they happen)."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.url.endswith("/reset") else None)
    return asked


def read_then_leave_by(page, live_kiosk, leave) -> None:
    """A patron on the untouched welcome page opens an article, then goes back to the welcome page by ``leave``."""
    page.clock.install()
    visit(page, f"{live_kiosk.url}/en/")
    page.locator(".cards a[href*='/articles/consent']").first.click()
    page.wait_for_url("**/en/articles/consent")
    leave(page)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    page.wait_for_load_state("load")


def by_the_home_link(page):
    page.locator("a.home").click()


def by_the_staff_screen_and_back(page):
    page.goto(page.url.split("/en/")[0] + "/staff/")
    page.locator("a.quick-exit").click()


def by_the_browsers_back(page):
    page.go_back()


@pytest.mark.parametrize("leave", [by_the_home_link, by_the_staff_screen_and_back, by_the_browsers_back])
def test_a_patron_who_returns_to_the_welcome_page_and_walks_away_is_reset_too(page, live_kiosk, leave):
    read_then_leave_by(page, live_kiosk, leave)
    asked = resets(page)
    page.clock.run_for(IDLE_MS - WARNING_MS + 1000)
    assert page.locator("#idle-dialog").is_visible()
    page.clock.run_for(WARNING_MS + 1000)
    page.wait_for_url(f"{live_kiosk.url}/en/")
    go_settled(page)
    assert asked, "no reset was asked for"
    while True:  # back through everything this tab holds, to the browser's own blank page
        page.go_back(wait_until="commit")
        if page.url == "about:blank":
            break
        go_settled(page)
        assert at_default_welcome(page, live_kiosk), page.url


def test_listening_and_typing_load_nothing_the_next_patron_could_find_cached(page, live_kiosk):
    visit(page, f"{live_kiosk.url}/en/")
    loaded_by_every_page = {entry.split("?")[0].rsplit("/", 1)[-1] for entry in page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/static/'))")}
    assert {"speech.js", "keyboard.js"} <= loaded_by_every_page
    visit(page, f"{live_kiosk.url}/en/articles/consent")
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if "/static/" in request.url else None)
    page.route("**/speech/**", lambda route: route.abort())  # what is fetched to play it is not the point here
    page.locator(".listen-start").first.click()
    page.locator("#search-q").click()
    page.wait_for_selector(".keyboard:not([hidden])")
    page.keyboard.type("cons")
    assert fetched == []
