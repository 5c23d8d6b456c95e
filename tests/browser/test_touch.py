"""A touch screen with no keyboard, at kiosk distance, in portrait and landscape.

Everything here is done with taps (Playwright's ``tap`` on a context with touch),
never with key presses: on-screen keyboard, candidates, PIN keypad.
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from ..conftest import SHIPPED_TAGS, STAFF_PIN, seeded
from .conftest import LiveKiosk

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
# A word of the consent article's title in each language, spelled on that language's keyboard;
# Chinese is spelled in pinyin, and the word chosen among the candidates.
TITLE_WORDS = {"en": ("consent", None), "es": ("consentimiento", None), "fr": ("consentement", None),
               "ar": ("الموافقة", None), "zh-Hans": ("tongyi", "同意"), "uk": ("згода", None),
               "vi": ("thuận", None), "tl": ("pagpayag", None), "pt-BR": ("consentimento", None),
               "pl": ("zgoda", None), "ro": ("consimțământul", None), "ur": ("رضامندی", None)}
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
PAGE_TYPES = ["/{tag}/", "/{tag}/topics/relationships", "/{tag}/articles/consent",
              "/{tag}/articles/consent?compare={other}", "/{tag}/search?q=a", "/{tag}/about",
              "/{tag}/articles/consent/handout", "/{tag}/articles/no-such-article"]


def open_keyboard(page):
    """Tap the search box and wait for the kiosk's keyboard (fetched on that first touch)."""
    page.tap("#search-q")
    page.wait_for_selector(".keyboard", state="visible")


def tap_keys(page, letters):
    """Tap each letter's key; a letter with a tone mark (Vietnamese) is its letter's key, then the mark's."""
    for letter in letters:
        if page.locator(f".keyboard .key[data-key='{letter}']").count():
            page.tap(f".keyboard .key[data-key='{letter}']")
            continue
        parts = unicodedata.normalize("NFD", letter)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        page.tap(f".keyboard .key[data-key='{base}']")
        for mark in (c for c in parts if c in TONE_MARKS):
            page.tap(f".keyboard .key[data-mark='{mark}']")


def suggestions_shown(page):
    """Wait until the suggestions strip answers every letter tapped (it shows the letters before's meanwhile)."""
    page.wait_for_selector(".keyboard-candidates:not([aria-busy])", state="attached")


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_a_patron_finds_an_article_with_taps_alone(screens, live_kiosk, tag):
    page = screens()
    page.goto(f"{live_kiosk.url}/{tag}/")
    open_keyboard(page)
    word, candidate = TITLE_WORDS[tag]
    tap_keys(page, word)
    if candidate:
        suggestions_shown(page)
        page.locator(".keyboard-candidates button", has_text=candidate).first.tap()
        assert page.input_value("#search-q") == candidate
    else:
        assert page.input_value("#search-q") == word
    page.tap(".keyboard [data-action='search']")
    page.wait_for_url(f"**/{tag}/search?q=*")
    page.tap(f".cards a[href^='/{tag}/articles/consent']")
    page.wait_for_url(f"**/{tag}/articles/consent")
    assert page.locator("h1").is_visible()


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_a_language_behind_more_languages_is_two_taps_away(screens, live_kiosk, viewport):
    page = screens(viewport)
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    page.tap(".more-languages summary")
    choice = page.locator(".more-languages a[hreflang='ur']")
    box = choice.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= viewport["height"]
    choice.tap()
    page.wait_for_url("**/ur/articles/consent")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator(".languages a[aria-current='true']").get_attribute("hreflang") == "ur"
    page.tap(".more-languages summary")
    page.locator(".more-languages a[hreflang='vi']").tap()
    page.wait_for_url("**/vi/articles/consent")


def test_a_title_offered_while_typing_opens_the_article(screens, live_kiosk):
    page = screens(LANDSCAPE)
    page.goto(f"{live_kiosk.url}/fr/?size=2")
    open_keyboard(page)
    tap_keys(page, "consen")
    suggestions_shown(page)
    page.locator(".keyboard-candidates a[lang='fr']", has_text="Le consentement").tap()
    page.wait_for_url("**/fr/articles/consent?size=2")


def test_the_suggestions_strip_is_busy_until_it_answers_the_last_letter(touch, live_kiosk):
    # What the strip shows while the next letters' suggestions are awaited may change under a finger: it says so.
    page = touch()
    page.clock.install()
    page.goto(f"{live_kiosk.url}/zh-Hans/")
    open_keyboard(page)
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)  # (seconds) suggestions are asked for when let
    strip = page.locator(".keyboard-candidates")
    tap_keys(page, "tong")
    assert strip.get_attribute("aria-busy") == "true" and strip.locator("li").count() == 0
    page.clock.run_for(100)
    suggestions_shown(page)
    assert strip.locator("li", has_text="同意").count() == 1
    tap_keys(page, "y")
    assert strip.get_attribute("aria-busy") == "true"
    page.clock.run_for(100)
    suggestions_shown(page)
    assert strip.locator("li", has_text="同意").count() == 1


def test_the_keys_delete_clear_and_hide(screens, live_kiosk):
    page = screens()
    page.goto(f"{live_kiosk.url}/uk/")
    open_keyboard(page)
    tap_keys(page, "згодаа")
    page.tap(".keyboard [data-action='backspace']")
    assert page.input_value("#search-q") == "згода"
    page.tap(".keyboard [data-action='space']")
    tap_keys(page, "ї")
    assert page.input_value("#search-q") == "згода ї"
    page.tap(".keyboard [data-action='clear']")
    assert page.input_value("#search-q") == ""
    page.tap(".keyboard [data-action='hide']")
    assert not page.locator(".keyboard").is_visible()


def test_the_keyboard_never_covers_what_is_typed(screens, live_kiosk):
    for viewport in (PORTRAIT, LANDSCAPE):
        page = screens(viewport)
        page.goto(f"{live_kiosk.url}/ar/articles/consent?size=4")
        open_keyboard(page)
        field = page.locator("#search-q").bounding_box()
        keyboard = page.locator(".keyboard").bounding_box()
        assert field["y"] + field["height"] <= keyboard["y"]
        assert keyboard["y"] + keyboard["height"] <= viewport["height"] + 1


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_every_key_is_at_least_60_pixels_and_every_control_44(screens, live_kiosk, tag):
    page = screens(LANDSCAPE)
    page.goto(f"{live_kiosk.url}/{tag}/articles/consent")
    open_keyboard(page)
    tap_keys(page, TITLE_WORDS[tag][0][:3])
    page.wait_for_selector(".keyboard-candidates li")
    small_keys = page.evaluate("""() => [...document.querySelectorAll('.keyboard .key')]
        .map(k => [k.textContent.trim(), k.getBoundingClientRect()])
        .filter(([, r]) => r.width < 60 || r.height < 60).map(([t, r]) => `${t} ${r.width}x${r.height}`)""")
    assert small_keys == []
    small_controls = page.evaluate("""() => [...document.querySelectorAll(
            'a.button, button, summary, select, input[type=search], .card a, .breadcrumbs a, .footer-link')]
        .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
        .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.width < 44 || r.height < 44))
        .map(([t, r]) => `${t} ${r.width}x${r.height}`)""")
    assert small_controls == []


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_no_serious_accessibility_problem_with_the_keyboard_open(screens, live_kiosk, tag):
    from axe_playwright_python.sync_playwright import Axe
    page = screens()
    page.goto(f"{live_kiosk.url}/{tag}/search?q=x")
    open_keyboard(page)
    tap_keys(page, TITLE_WORDS[tag][0][:2])
    page.wait_for_timeout(300)
    results = Axe().run(page)
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_staff_unlock_their_screens_by_tapping_the_keypad(touch, browser):
    from kiosk import create_app
    from kiosk.staff.pin import set_pin
    with tempfile.TemporaryDirectory() as instance:
        set_pin(instance, STAFF_PIN)
        with LiveKiosk(create_app({"instance": seeded(Path(instance))})) as kiosk:
            page = touch()
            page.goto(f"{kiosk.url}/staff/login")
            assert page.get_attribute("#pin", "type") == "password"
            assert page.get_attribute("#pin", "autocomplete") == "off"
            keypad = page.locator(".keypad")
            assert keypad.is_visible()
            for digit in STAFF_PIN + "7":
                page.tap(f".keypad [data-digit='{digit}']")
            page.tap(".keypad [data-action='backspace']")
            assert page.input_value("#pin") == STAFF_PIN
            assert STAFF_PIN not in page.locator("body").inner_text()  # never echoed
            small = page.evaluate("""() => [...document.querySelectorAll('.keypad .key')]
                .filter(k => k.getBoundingClientRect().width < 60 || k.getBoundingClientRect().height < 60).length""")
            assert small == 0
            page.tap("form.pin-form button[type=submit]")
            page.wait_for_url("**/staff/")
            assert page.locator("#health-heading").is_visible()


def test_the_pin_is_a_plain_field_without_javascript(browser, live_kiosk):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    assert not page.locator(".keyboard").is_visible()
    page.fill("#search-q", "consent")
    page.locator(".search-form button").click()
    page.wait_for_url("**/en/search?q=consent")
    context.close()


def right_offset(box, viewport):
    """Quick exit's box (``x``, ``y``, ``width``, ``height``), measured from the top right corner of the screen."""
    return (round(viewport["width"] - box["x"] - box["width"], 1), round(box["y"], 1),
            round(box["width"], 1), round(box["height"], 1))


# Quick exit's box with each of several classes on <html> in turn, measured in one visit to
# the page rather than a round trip each (the layout is worked out anew for every class).
BOXES_BY_CLASS = """names => names.map(name => {
  document.documentElement.className = name;
  const box = document.querySelector('.exit-button').getBoundingClientRect();
  return {x: box.x, y: box.y, width: box.width, height: box.height};
})"""


DISPLAYS = [(size, contrast) for size in (1, 2, 3, 4) for contrast in (False, True)]


def display_class(size, contrast):
    """The class the layout gives <html> for a display choice (``text-3 contrast-high``)."""
    return f"text-{size}" + (" contrast-high" if contrast else "")


def test_quick_exit_has_one_place_on_every_page(touch, live_kiosk):
    # Every page type in every language is loaded once, and looked at upright and on its side (the
    # screen turned, as a kiosk's can be); the other seven display choices are the layout's class
    # on <html> put in place on that page (loading each again took seven minutes). That the class
    # alone decides where Quick exit is, the address's own display choices are loaded for real on
    # the article page in a left-to-right and a right-to-left language.
    boxes = {}
    page = touch(PORTRAIT)
    names = [display_class(size, contrast) for size, contrast in DISPLAYS]

    def place(box, viewport, *where):
        boxes.setdefault(right_offset(box, viewport), []).append((viewport["width"], *where))

    for tag in SHIPPED_TAGS:
        other = "en" if tag != "en" else "ar"
        for page_type in PAGE_TYPES:
            address = page_type.format(tag=tag, other=other)
            page.goto(f"{live_kiosk.url}{address}", wait_until="domcontentloaded")
            for viewport in (PORTRAIT, LANDSCAPE):
                page.set_viewport_size(viewport)
                for display, box in zip(DISPLAYS, page.evaluate(BOXES_BY_CLASS, names), strict=True):
                    place(box, viewport, address, *display)
        if tag in ("en", "ar"):
            for size, contrast in DISPLAYS:
                address = f"/{tag}/articles/consent?size={size}" + ("&contrast=high" if contrast else "")
                page.goto(f"{live_kiosk.url}{address}", wait_until="domcontentloaded")
                assert page.evaluate("document.documentElement.className") == display_class(size, contrast)
                for viewport in (PORTRAIT, LANDSCAPE):
                    page.set_viewport_size(viewport)
                    place(page.locator(".exit-button").bounding_box(), viewport, address)
    assert len(boxes) == 1, {box: places[:3] for box, places in boxes.items()}


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_the_article_starts_on_the_first_screen(screens, live_kiosk, viewport, tag):
    page = screens(viewport)
    for size in (1, 2, 3, 4):
        page.goto(f"{live_kiosk.url}/{tag}/articles/consent?size={size}")
        first = page.locator(".article .article-body p").first.bounding_box()
        assert first["y"] + min(first["height"], 80) <= viewport["height"], (size, first)
        tools = page.locator(".article-tools-top").bounding_box()
        assert tools["y"] + tools["height"] <= viewport["height"], size


# Every Urdu word's ink (its shaped form's tallest and deepest points, from canvas
# measureText with the element's own font) against the box that would cut it off: the
# nearest ancestor that does not let its content overflow (a button, a card).
CLIPPED_URDU = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  const clipped = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const owner = parent.closest('[lang]');
    if (!owner || !owner.lang.startsWith('ur') || parent.closest('[hidden], .visually-hidden')) { continue; }
    let clip = parent;
    while (clip !== document.body) {
      const style = getComputedStyle(clip);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') { break; }
      clip = clip.parentElement;
    }
    if (clip === document.body) { continue; }
    const box = clip.getBoundingClientRect();
    const clipStyle = getComputedStyle(clip);
    const top = box.top + parseFloat(clipStyle.borderTopWidth);
    const bottom = box.bottom - parseFloat(clipStyle.borderBottomWidth);
    const own = getComputedStyle(parent);
    canvas.font = `${own.fontStyle} ${own.fontWeight} ${own.fontSize} ${own.fontFamily}`;
    const words = /\\S+/g;
    for (let match = words.exec(node.textContent); match; match = words.exec(node.textContent)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rect = range.getClientRects()[0];
      if (!rect) { continue; }
      const ink = canvas.measureText(match[0]);
      const baseline = rect.top + ink.fontBoundingBoxAscent;
      if (baseline - ink.actualBoundingBoxAscent < top - 0.5 || baseline + ink.actualBoundingBoxDescent > bottom + 0.5) {
        clipped.push(`${clip.className}: ${match[0]}`);
      }
    }
  }
  return clipped;
}"""


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_nastaliq_is_never_cut_off_at_any_text_size(touch, live_kiosk, viewport):
    page = touch(viewport)
    pages = ["/ur/", "/ur/topics/getting-help", "/ur/articles/talking-about-feelings",
             "/ur/articles/when-something-is-not-okay?compare=en", "/ur/help", "/ur/about",
             "/ur/articles/intimacy/handout"]
    for path in pages:
        for size in (1, 2, 3, 4):
            page.goto(f"{live_kiosk.url}{path}{'&' if '?' in path else '?'}size={size}")
            assert page.evaluate(CLIPPED_URDU) == [], (path, size)
    # The probe sees clipping where there is some: buttons squeezed to one line's height.
    page.evaluate("""() => document.querySelectorAll('.button').forEach(button => {
        button.style.lineHeight = '1'; button.style.paddingBlock = '0'; button.style.overflow = 'hidden'; })""")
    assert page.evaluate(CLIPPED_URDU)


@pytest.mark.parametrize("tag", ["en", "ar", "zh-Hans"])
def test_body_text_is_at_least_22_pixels_and_other_scripts_as_large(screens, live_kiosk, tag):
    page = screens()
    page.goto(f"{live_kiosk.url}/{tag}/articles/consent")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.article-body p')).fontSize)")
    assert size >= 22
    if tag == "ar":
        assert size >= 22 * 1.15  # Naskh reads a size smaller than Latin at the same size


def idle_warning_over(page, address: str):
    """``address`` opened and touched once, then left until the idle warning shows; the warning."""
    page.clock.install()
    page.goto(address)
    idle = int(page.get_attribute("html", "data-idle-seconds"))
    warning = int(page.get_attribute("html", "data-warning-seconds"))
    page.tap("h1")
    page.clock.run_for((idle - warning + 1) * 1000)
    dialog = page.locator("#idle-dialog")
    assert dialog.is_visible()
    return dialog


def test_the_idle_warning_hides_the_page(touch, live_kiosk):
    page = touch(LANDSCAPE)
    dialog = idle_warning_over(page, f"{live_kiosk.url}/en/articles/consent")
    box = dialog.bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    paper = shot.getpixel((5, shot.height - 5))
    outside = [shot.getpixel((x, y)) for x in range(0, shot.width, 12) for y in range(0, shot.height, 12)
               if not (box["x"] - 4 <= x <= box["x"] + box["width"] + 4 and box["y"] - 4 <= y <= box["y"] + box["height"] + 4)]
    assert set(outside) == {paper}, "nothing of the page may show around the warning"


def test_the_side_by_side_sections_start_level(touch, live_kiosk):
    page = touch(LANDSCAPE)
    page.goto(f"{live_kiosk.url}/fr/articles/boundaries?compare=ar")
    rows = page.locator(".compare-row")
    for index in range(rows.count()):
        cells = rows.nth(index).locator(".compare-cell")
        tops = {round(cells.nth(i).bounding_box()["y"]) for i in range(cells.count())}
        assert len(tops) == 1, index
    headings = page.locator(".compare-row h2")
    french = [h for h in range(headings.count()) if headings.nth(h).evaluate("e => e.closest('[lang]').lang") == "fr"]
    arabic = [h for h in range(headings.count()) if headings.nth(h).evaluate("e => e.closest('[lang]').lang") == "ar"]
    for fr, ar in zip(french, arabic, strict=True):
        assert abs(headings.nth(fr).bounding_box()["y"] - headings.nth(ar).bounding_box()["y"]) < 12
    titles = page.locator(".compare-title")
    sizes = [float(titles.nth(i).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) for i in range(2)]
    assert titles.nth(0).evaluate("e => e.tagName") == titles.nth(1).evaluate("e => e.tagName") == "H2"
    assert sizes[1] >= sizes[0]  # the same heading in both (Arabic set a little larger, to read as large)


def test_high_contrast_keeps_quick_exit_red_and_button_labels_plain(touch, live_kiosk):
    page = touch()
    page.goto(f"{live_kiosk.url}/en/articles/consent?contrast=high")
    colour = page.evaluate("getComputedStyle(document.querySelector('.exit-button')).backgroundColor")
    red, green, blue = (int(part) for part in colour[colour.index("(") + 1:-1].split(",")[:3])
    assert red > 150 and green < 60 and blue < 60
    underlined = page.evaluate("""() => [...document.querySelectorAll('a.button')]
        .filter(a => getComputedStyle(a).textDecorationLine.includes('underline')).length""")
    assert underlined == 0
    disabled = page.evaluate("getComputedStyle(document.querySelector('[aria-disabled=true]')).borderStyle")
    assert disabled == "dashed"


def test_a_very_long_search_stays_on_the_screen(touch, live_kiosk):
    page = touch()
    page.goto(f"{live_kiosk.url}/en/search?q=" + "x" * 200)
    assert page.evaluate("document.documentElement.scrollWidth") <= PORTRAIT["width"]


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_the_idle_warning_asks_for_a_touch_anywhere_and_a_touch_anywhere_keeps_the_page(touch, live_kiosk, tag):
    """A kiosk without a keyboard asks for nothing a finger cannot do."""
    from babel.support import Translations

    from kiosk.languages import BY_TAG
    from kiosk.shipped import TRANSLATIONS
    catalog = Translations.load(str(TRANSLATIONS), [BY_TAG[tag].locale])
    asked = catalog.ugettext("For your privacy, this screen will be cleared soon. Touch anywhere on the screen to keep reading.")
    assert tag == "en" or not asked.startswith("For your privacy"), "translated in every catalog"
    page = touch(LANDSCAPE)
    dialog = idle_warning_over(page, f"{live_kiosk.url}/{tag}/articles/consent")
    assert page.locator("#idle-text").inner_text() == asked
    page.touchscreen.tap(LANDSCAPE["width"] - 40, LANDSCAPE["height"] - 40)  # far from the dialog's buttons
    assert not dialog.is_visible()
    assert page.url.endswith(f"/{tag}/articles/consent")


@pytest.mark.parametrize("tag, other", [("en", "ar"), ("ar", "en"), ("ur", "zh-Hans"), ("fr", "uk")])
def test_each_side_by_side_column_speaks_to_its_own_reader(screens, live_kiosk, tag, other):
    """Listen, Slower, the headphones line and the notices of a column are in its language and direction."""
    from babel.support import Translations

    from kiosk.languages import BY_TAG
    from kiosk.shipped import TRANSLATIONS
    page = screens(LANDSCAPE)
    page.goto(f"{live_kiosk.url}/{tag}/articles/consent?compare={other}")
    heights = set()
    for index, column in enumerate((tag, other)):
        catalog = Translations.load(str(TRANSLATIONS), [BY_TAG[column].locale])
        cell = page.locator(f'.compare-row:first-child .compare-cell[data-column="{index}"]')
        assert cell.get_attribute("lang") == column and cell.get_attribute("dir") == BY_TAG[column].direction
        assert cell.locator(".listen-start").inner_text().strip() == catalog.ugettext("Listen")
        assert cell.locator(".listen-speed").inner_text().strip() == catalog.ugettext("Slower")
        assert (cell.locator(".listen-headphones").inner_text().strip()
                == catalog.ugettext("Please use the headphones, so that only you can hear."))
        notices = cell.locator(".notice")
        for notice in range(notices.count()):
            said = notices.nth(notice).inner_text().strip()
            assert said in {catalog.ugettext("This translation has not yet been checked by a fluent speaker.")} or \
                notices.nth(notice).get_attribute("lang") == column, said
        # Nothing in the column says it is in another language or direction.
        assert cell.locator(f":is([lang]:not([lang='{column}']), [dir]:not([dir='{BY_TAG[column].direction}']))").count() == 0
        heights.add(round(cell.locator(".listen-start").bounding_box()["height"]))
    assert max(heights) - min(heights) <= 2, heights


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
@pytest.mark.parametrize("tag, other", [("en", "ar"), ("ar", "es")])
def test_side_by_side_columns_keep_to_the_grid_and_a_readable_line(screens, live_kiosk, viewport, tag, other):
    page = screens(viewport)
    page.goto(f"{live_kiosk.url}/{tag}/articles/consent?compare={other}")
    edges = page.evaluate("""() => {
        const content = element => { const box = element.getBoundingClientRect(), style = getComputedStyle(element);
            return [box.left + parseFloat(style.paddingLeft), box.right - parseFloat(style.paddingRight)]; };
        const compare = document.querySelector('.compare').getBoundingClientRect();
        return {compare: [compare.left, compare.right], main: content(document.querySelector('main')),
                languages: content(document.querySelector('.languages .frame')),
                header: content(document.querySelector('.site-header .frame'))};
    }""")
    assert edges["compare"] == pytest.approx(edges["main"], abs=1)
    # The header and the language bar give way to the fixed buttons (Quick exit on the right, speaking
    # mode's on the left) and otherwise keep to the grid: the columns span them, and never run wider
    # than the page's frame.
    for bar in ("header", "languages"):
        assert edges["compare"][0] <= edges[bar][0] + 1
        assert edges["compare"][1] >= edges[bar][1] - 1
    frame = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).maxWidth)")
    assert edges["compare"][1] - edges["compare"][0] <= frame
    # Characters in each full line (the last line of a paragraph is left out) of the Latin column.
    lines = page.evaluate("""() => [...document.querySelectorAll(
            '.compare-cell.article-body:is([lang="en"], [lang="es"]) :is(p, li)')].flatMap(block => {
        const lines = new Map(), walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (rect) { const top = Math.round(rect.top / 8); lines.set(top, (lines.get(top) || 0) + 1); }
            }
        }
        return [...lines.values()].slice(0, -1);
    })""")
    assert len(lines) >= 10
    median = sorted(lines)[len(lines) // 2]
    assert 43 <= median <= 75, median
