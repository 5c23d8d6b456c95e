"""What only a real browser shows: switching language, display controls, layout direction, accessibility."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ..conftest import SHIPPED_TAGS, seeded

pytestmark = pytest.mark.browser


def test_switching_language_while_reading_keeps_the_article(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    english_title = page.locator("h1").inner_text()
    page.get_by_role("navigation", name="Choose your language").get_by_role("link", name="Français").click()
    page.wait_for_url("**/fr/articles/consent")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() != english_title
    page.locator("nav.languages a[hreflang='ar']").click()
    page.wait_for_url("**/ar/articles/consent")
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_larger_text_grows_the_type_and_survives_a_page_change(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/articles/intimacy")
    size = lambda: page.evaluate("parseFloat(getComputedStyle(document.querySelector('.article-body p')).fontSize)")
    before = size()
    for step in (2, 3, 4):
        page.locator("a.larger-text").click()
        page.wait_for_url(f"**/en/articles/intimacy?size={step}")
    assert size() >= before * 1.5
    page.locator("a.home").click()
    page.wait_for_url("**/en/?size=4")
    assert page.locator("html").get_attribute("class").startswith("text-4")
    page.locator(".cards a").first.click()
    page.wait_for_url("**/en/articles/*?size=4")


def test_high_contrast_changes_the_colours(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/")
    background = lambda: page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    normal = background()
    page.locator("a.contrast-toggle").click()
    page.wait_for_url("**/en/?contrast=high")
    assert background() == "rgb(0, 0, 0)" != normal
    page.locator("a.contrast-toggle").click()
    page.wait_for_url("**/en/")
    assert background() == normal


def test_arabic_layout_is_mirrored(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/ar/articles/intimacy")
    box = page.locator("h1").bounding_box()
    width = page.viewport_size["width"]
    # Right-to-left: the heading starts at the right edge of the page.
    assert box["x"] + box["width"] > width * 0.6
    page.goto(f"{live_kiosk.url}/en/articles/intimacy")
    assert page.locator("h1").bounding_box()["x"] < width * 0.2


def test_touch_targets_are_at_least_44_pixels(page, live_kiosk):
    for url in ("/en/", "/en/articles/intimacy", "/ar/search?q=x"):
        page.goto(live_kiosk.url + url)
        small = page.evaluate("""() => [...document.querySelectorAll(
                'a.button, button, select, input[type=search], .card a, .breadcrumbs a')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([t, r]) => `${t} ${r.width}x${r.height}`)""")
        assert small == [], (url, small)


def test_skip_link_moves_focus_to_the_main_content(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/articles/intimacy")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    # Following an in-page link moves focus on the browser's next turn, not at once.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")


def test_keyboard_focus_is_visible(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_pages_read_without_javascript(browser, live_kiosk):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_kiosk.url}/en/")
    page.locator(".cards a").first.click()
    page.wait_for_url("**/en/articles/*")
    assert page.locator(".article-body p").count() > 3
    page.locator("a.larger-text").click()
    page.wait_for_url("**size=2")
    page.fill("#search-q", "trust")
    page.locator(".search-form button").click()
    page.wait_for_url("**/en/search?q=trust&size=2")
    context.close()


def test_nothing_is_requested_from_another_origin(page, live_kiosk):
    origins = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    for url in ("/en/", "/zh-Hans/articles/intimacy?compare=ar", "/uk/search?q=згода"):
        page.goto(live_kiosk.url + url)
    assert origins == {live_kiosk.url.split("/")[2]}


def test_pages_raise_no_browser_console_errors(page, live_kiosk):
    # A header the browser does not understand, or a script error, shows up here first.
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for url in ("/en/", "/ar/articles/consent?compare=zh-Hans", "/uk/search?q=згода", "/fr/about",
                "/es/articles/consent/handout?with=ar"):
        page.goto(live_kiosk.url + url)
    assert errors == []


PAGE_TYPES = {
    "welcome": "/{lang}/",
    "topic": "/{lang}/topics/consent-and-boundaries",
    "article": "/{lang}/articles/intimacy",
    "compare": "/{lang}/articles/intimacy?compare={other}",
    "search": "/{lang}/search?q=a",
    "not-found": "/{lang}/articles/missing",
    "handout": "/{lang}/articles/consent/handout",
    "bilingual-handout": "/{lang}/articles/consent/handout?with={other}",
    "about": "/{lang}/about",
}


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_serious_accessibility_violations(shared_page, live_kiosk, lang, page_type):
    from axe_playwright_python.sync_playwright import Axe
    page = shared_page
    other = "en" if lang != "en" else "ar"
    page.goto(live_kiosk.url + PAGE_TYPES[page_type].format(lang=lang, other=other))
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_high_contrast_has_no_contrast_violations(page, live_kiosk):
    from axe_playwright_python.sync_playwright import Axe
    page.goto(f"{live_kiosk.url}/en/articles/intimacy?contrast=high&size=3")
    results = Axe().run(page)
    assert [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")] == []


@pytest.fixture(scope="module")
def staff_kiosk(tmp_path_factory):
    from kiosk import create_app
    from kiosk.staff.pin import set_pin
    from kiosk.usage.recorder import every_figure
    from kiosk.usage.release import release_day

    from .conftest import LiveKiosk
    instance = seeded(tmp_path_factory.mktemp("instance"))
    set_pin(instance, "97531")
    app = create_app({"instance": instance, "default_language": "ar", "usage_figures": "on"})
    for back in range(1, 9):  # a week of released figures, for the Use screen's charts
        release_day(instance, date.today() - timedelta(days=back), {"sessions": 30, "article/consent/ar": 20},
                    every_figure(app), 1.0)
    with LiveKiosk(app) as kiosk:
        yield kiosk


def test_staff_screens_have_no_serious_accessibility_violations(page, staff_kiosk):
    from axe_playwright_python.sync_playwright import Axe
    page.goto(f"{staff_kiosk.url}/staff/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    found = []
    for step in ("login", "dashboard", "use"):
        results = Axe().run(page)
        found += [(step, v["id"]) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if step == "login":
            page.fill("#pin", "97531")
            page.locator("form.pin-form button[type=submit]").click()
            page.wait_for_url("**/staff/")
        elif step == "dashboard":
            page.goto(f"{staff_kiosk.url}/staff/use")
            assert page.locator("svg rect.usage-bar").count() > 8
    assert found == []


@pytest.mark.parametrize("lang", ["uk", "ar"])
def test_at_the_largest_text_size_the_article_still_starts_on_the_first_screen(page, live_kiosk, lang):
    page.set_viewport_size({"width": 1080, "height": 1920})  # a portrait kiosk screen
    page.goto(f"{live_kiosk.url}/{lang}/articles/consent?size=4")
    header = page.locator(".site-header").bounding_box()["height"] + page.locator(".languages").bounding_box()["height"]
    assert header < 1920 * 0.3
    assert page.locator("h1").bounding_box()["y"] < 1920 * 0.5


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_print_and_the_handout_link_say_how_they_differ(shared_page, live_kiosk, tag):
    """Print prints now; the other shows the handout first, and says so."""
    page = shared_page
    page.goto(f"{live_kiosk.url}/{tag}/articles/consent")
    tools = page.locator(".article-tools-top")
    printing = tools.locator(".print-button").inner_text().strip()
    seeing = tools.locator("a[href*='/handout']").inner_text().strip()
    assert printing and seeing
    assert printing.casefold() != seeing.casefold() and len(seeing) > len(printing)
    tools.locator("a[href*='/handout']").click()
    page.wait_for_url("**/articles/consent/handout")
    assert page.locator(".handout-toolbar .print-button").inner_text().strip() == printing
