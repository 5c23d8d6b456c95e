"""The frame a patron's finger learns: it stays put when the language changes (only mirrored between
directions), Quick exit keeps a clear gap around it, and the header's controls grow with the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.languages import BY_TAG

from ..conftest import SHIPPED_TAGS, seeded

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
ORIENTATIONS = pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
HEADER_PARTS = [".site-header", ".site-header .header-row", ".home", ".search-form", ".search-form input",
                ".search-form .button", ".display-controls", ".smaller-text", ".larger-text", ".contrast-toggle",
                ".languages ul", ".languages li:first-child .button", ".more-languages summary", "main"]
WHOLE_WIDTH = (".site-header", ".site-header .header-row")
BOXES = """parts => {
    const row = document.querySelector('.site-header .header-row'), style = getComputedStyle(row),
          rowBox = row.getBoundingClientRect();
    return {content: [rowBox.left + parseFloat(style.paddingLeft), rowBox.right - parseFloat(style.paddingRight)],
            parts: Object.fromEntries(parts.map(selector => {
                const box = document.querySelector(selector).getBoundingClientRect();
                return [selector, [box.left, box.top, box.width, box.height]];
            }))};
}"""


def header_boxes(page, url):
    """(left and right of the header row's content, {part: [left, top, width, height]}, where the page starts)."""
    page.goto(url)
    found = page.evaluate(BOXES, HEADER_PARTS)
    main = found["parts"].pop("main")
    return found["content"], found["parts"], main[1]


def mirrored(content, parts):
    """The boxes as they would be drawn right to left inside the same header content."""
    start, end = content
    return {selector: [start + end - (left + width), top, width, height]
            for selector, (left, top, width, height) in parts.items() if selector not in WHOLE_WIDTH}


def flat(parts):
    return [round(value) for selector in sorted(parts) for value in parts[selector]]


@ORIENTATIONS
@pytest.mark.parametrize("size", [1, 4])
def test_the_header_stays_put_between_languages_and_only_mirrors_between_directions(screens, live_kiosk, viewport, size):
    page = screens(viewport)
    boxes = {tag: header_boxes(page, f"{live_kiosk.url}/{tag}/articles/consent?size={size}")
             for tag in ("en", "zh-Hans", "uk", "vi", "ar", "ur")}
    content, parts, _ = boxes["en"]
    for tag in ("zh-Hans", "uk", "vi"):
        assert flat(boxes[tag][1]) == pytest.approx(flat(parts), abs=1), tag
    assert flat(boxes["ur"][1]) == pytest.approx(flat(boxes["ar"][1]), abs=1)
    assert boxes["ar"][0] == pytest.approx(content, abs=1)
    # Right to left, each box is where the left-to-right one would be in a mirror.
    unmirrored = {selector: parts[selector] for selector in mirrored(content, parts)}
    assert flat(mirrored(*boxes["ar"][:2])) == pytest.approx(flat(unmirrored), abs=1)
    # The page under the header starts at the same height, whatever the language.
    assert {round(found[2]) for found in boxes.values()} == {round(boxes["en"][2])}


@ORIENTATIONS
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_nothing_else_to_tap_within_24_pixels_of_quick_exit(screens, live_kiosk, viewport, size):
    page = screens(viewport)
    for tag in SHIPPED_TAGS:
        for path in ("articles/consent", "articles/consent?compare=ar" if tag != "ar" else "articles/consent?compare=en"):
            page.goto(f"{live_kiosk.url}/{tag}/{path}{'&' if '?' in path else '?'}size={size}")
            near = page.evaluate("""() => {
                const exit = document.querySelector('.exit-button').getBoundingClientRect();
                const clear = 24;
                return [...document.querySelectorAll('a, button, input, select, summary, [tabindex]')]
                    .filter(element => !element.classList.contains('exit-button') && element.checkVisibility())
                    .map(element => [element.textContent.trim().slice(0, 30) || element.outerHTML.slice(0, 60),
                                     element.getBoundingClientRect()])
                    .filter(([, box]) => box.width > 1 && box.height > 1
                        && box.right > exit.left - clear && box.left < exit.right + clear
                        && box.bottom > exit.top - clear && box.top < exit.bottom + clear)
                    .map(([name]) => name);
            }""")
            assert near == [], (tag, path, size)


@ORIENTATIONS
def test_the_header_labels_grow_with_the_text_size(screens, live_kiosk, viewport):
    page = screens(viewport)
    heights, fonts = [], []
    for size in (1, 2, 3, 4):
        page.goto(f"{live_kiosk.url}/en/?size={size}")
        heights.append(page.locator(".home").bounding_box()["height"])
        fonts.append(page.evaluate("parseFloat(getComputedStyle(document.querySelector('.home')).fontSize)"))
    assert fonts == sorted(set(fonts)) and fonts[0] >= 20, fonts
    assert min(heights) >= 56, heights


@ORIENTATIONS
@pytest.mark.parametrize("tag", ["en", "ar", "vi"])
def test_more_languages_opens_a_panel_with_an_edge_and_even_columns(screens, live_kiosk, viewport, tag):
    page = screens(viewport)
    page.goto(f"{live_kiosk.url}/{tag}/")
    page.locator(".more-languages summary").tap()
    panel = page.locator(".more-languages details ul")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert page.evaluate("getComputedStyle(document.querySelector('.more-languages details ul')).boxShadow") != "none"
    buttons = panel.locator(".button")
    widths = {round(buttons.nth(index).bounding_box()["width"]) for index in range(buttons.count())}
    assert len(widths) == 1, widths


@pytest.mark.parametrize("tag", ["ur", "ar", "en"])
def test_each_language_name_is_drawn_in_its_own_script_font(screens, live_kiosk, tag):
    page = screens(PORTRAIT)
    page.goto(f"{live_kiosk.url}/{tag}/")
    families = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.languages a[lang]')].map(
        link => [link.lang, getComputedStyle(link).fontFamily.split(',')[0].replaceAll('"', '')]))""")
    expected = {"ar": "Noto Naskh Arabic", "ur": "Noto Nastaliq Urdu", "zh-Hans": "Noto Sans CJK SC"}
    for other, family in families.items():
        assert family == expected.get(other, "Noto Sans"), (other, family)
    assert BY_TAG[tag].native_name in page.locator(".languages").inner_text()


@pytest.mark.parametrize("tag", ["ar", "ur", "en"])
def test_the_keyboard_has_no_empty_strip_and_delete_points_the_way_the_text_runs(screens, live_kiosk, tag):
    page = screens(PORTRAIT)
    page.goto(f"{live_kiosk.url}/{tag}/")
    page.locator("#search-q").tap()
    keyboard = page.locator(".keyboard")
    keyboard.wait_for()
    assert not page.locator(".keyboard-suggestions").is_visible()
    first_row = page.locator(".keyboard-row").first.bounding_box()
    assert first_row["y"] - keyboard.bounding_box()["y"] <= 16
    glyph = page.locator(".keyboard [data-action='backspace'] > [aria-hidden='true']")
    transform = glyph.evaluate("element => getComputedStyle(element).transform")
    assert transform.startswith("matrix(-1,") == (BY_TAG[tag].direction == "rtl"), transform
    # Suggestions arrive with a letter typed: the strip shows, and the page keeps room for the taller keyboard.
    for letter in {"ar": "الم", "ur": "رضا", "en": "con"}[tag]:
        page.tap(f".keyboard [data-key='{letter}']")
    page.locator(".keyboard-suggestions").wait_for(state="visible")
    page.wait_for_function("() => Math.abs(parseFloat(getComputedStyle(document.body).paddingBottom)"
                           " - document.querySelector('.keyboard').offsetHeight) < 1")
    room = page.evaluate("parseFloat(getComputedStyle(document.body).paddingBottom)")
    assert room == pytest.approx(keyboard.bounding_box()["height"], abs=1)


def test_the_pin_shows_large_dots_and_no_key_stays_marked_after_a_tap(touch):
    import tempfile

    from kiosk import create_app
    from kiosk.staff.pin import set_pin

    from ..conftest import STAFF_PIN
    from .conftest import LiveKiosk
    with tempfile.TemporaryDirectory() as instance:
        set_pin(instance, STAFF_PIN)
        with LiveKiosk(create_app({"instance": seeded(Path(instance))})) as kiosk:
            page = touch(PORTRAIT)
            page.goto(f"{kiosk.url}/staff/login")
            page.locator(".keypad").wait_for()
            untouched = page.locator(".keypad [data-digit='5']").evaluate(
                "element => getComputedStyle(element).backgroundColor")
            page.tap(".keypad [data-digit='1']")
            tapped = page.locator(".keypad [data-digit='1']")
            # Marked while pressed; once the finger is lifted, like any other key (waited for, not slept).
            page.wait_for_function("([selector, untouched]) => getComputedStyle(document.querySelector(selector))"
                                   ".backgroundColor === untouched", arg=[".keypad [data-digit='1']", untouched])
            assert tapped.evaluate("element => document.activeElement !== element")
            assert page.evaluate("parseFloat(getComputedStyle(document.getElementById('pin')).fontSize)") >= 40
