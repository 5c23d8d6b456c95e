"""Where to get help here, in Chromium: reached with taps alone, its QR codes read back by a real
QR reader (zxing-cpp, from PyPI) from what the screen shows, clean for axe-core in every language;
and staff add a service with taps alone, on the keypad and the on-screen keyboard."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from ..conftest import CONTENT, SHIPPED_TAGS, STAFF_PIN, seeded
from .conftest import LiveKiosk

pytestmark = pytest.mark.browser
PORTRAIT = {"width": 1080, "height": 1920}


def test_a_patron_reaches_local_help_from_an_article_with_taps_alone(screens, live_kiosk):
    page = screens()
    page.goto(f"{live_kiosk.url}/es/articles/when-something-is-not-okay")
    help_here = page.locator(".help-here")
    help_here.scroll_into_view_if_needed()
    assert help_here.locator(".service").count() >= 1
    help_here.locator("a.button").tap()
    page.wait_for_url("**/es/help")
    assert page.locator("h1").is_visible()
    page.locator(".help-kinds a[href$='kind=sexual-health']").tap()
    page.wait_for_url("**/es/help?kind=sexual-health")
    assert page.locator(".service").count() == 1
    page.goto(f"{live_kiosk.url}/ur/")
    page.locator(".help-entry a").tap()
    page.wait_for_url("**/ur/help")
    assert page.get_attribute("html", "dir") == "rtl"


def test_each_qr_code_on_the_screen_reads_back_as_its_number_or_website(screens, live_kiosk, shipped_library):
    page = screens()
    page.goto(f"{live_kiosk.url}/en/help")
    expected = [address for service in shipped_library.help.services
                for address in (service.phone_address, service.website) if address]
    codes = page.locator(".service-codes svg.qr")
    assert codes.count() == len(expected)
    found = []
    for index in range(codes.count()):
        image = Image.open(io.BytesIO(codes.nth(index).screenshot()))
        results = zxingcpp.read_barcodes(image)
        assert len(results) == 1, index
        found.append(results[0].text)
    assert found == expected
    assert all(address.startswith(("tel:+", "https://")) for address in found)


@pytest.mark.parametrize("contrast", ["", "?contrast=high"])
def test_each_qr_code_fills_a_box_of_one_size_with_its_caption_under_it(screens, live_kiosk, contrast):
    page = screens()
    page.goto(f"{live_kiosk.url}/en/help{contrast}")
    figures = page.locator(".service-codes figure")
    assert figures.count() >= 2
    sizes = set()
    for index in range(figures.count()):
        figure = figures.nth(index)
        code, caption, box = (figure.locator("svg.qr").bounding_box(), figure.locator("figcaption").bounding_box(),
                              figure.bounding_box())
        assert abs(code["width"] - code["height"]) <= 1, index
        assert code["width"] >= 0.9 * box["width"], index
        sizes.add(round(code["width"]))
        assert 0 <= caption["y"] - (code["y"] + code["height"]) <= 8, index
        assert abs((caption["x"] + caption["width"] / 2) - (code["x"] + code["width"] / 2)) <= 2, index
        # The drawing fills its box: dark modules reach the light margin a code needs (4 of its 29 to 45 modules).
        image = Image.open(io.BytesIO(figure.locator("svg.qr").screenshot())).convert("L")
        left, top, right, bottom = image.point(lambda value: 255 if value < 128 else 0).getbbox()
        assert (right - left) >= 0.7 * image.width and (bottom - top) >= 0.7 * image.height, index
    assert len(sizes) == 1, sizes


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_the_help_page_has_no_serious_accessibility_problem(screens, live_kiosk, tag):
    from axe_playwright_python.sync_playwright import Axe
    page = screens()
    page.goto(f"{live_kiosk.url}/{tag}/help")
    results = Axe().run(page)
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    small = page.evaluate("""() => [...document.querySelectorAll('a.button, button')]
        .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect())
        .filter(r => r.width < 44 || r.height < 44).length""")
    assert small == 0


@contextmanager
def staff_help_editor(touch, address="/staff/help/new", language="en"):
    """A kiosk of its own (its help list is changed) in ``language``, signed in with taps on the PIN
    keypad, at ``address``."""
    from kiosk import create_app
    from kiosk.staff.pin import set_pin
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "content"
        shutil.copytree(CONTENT, folder)
        set_pin(Path(work) / "instance", STAFF_PIN)
        with LiveKiosk(create_app({"instance": seeded(Path(work) / "instance"), "content": folder,
                                   "default_language": language})) as kiosk:
            page = touch()
            page.goto(f"{kiosk.url}/staff/login")
            for digit in STAFF_PIN:
                page.tap(f".keypad [data-digit='{digit}']")
            page.tap("form.pin-form button[type=submit]")
            page.wait_for_url("**/staff/")
            page.goto(f"{kiosk.url}{address}")
            yield kiosk, page


def test_staff_add_a_service_with_taps_alone(touch):
    with staff_help_editor(touch, "/staff/") as (kiosk, page):
        page.locator("a[href='/staff/help']").tap()
        page.wait_for_url("**/staff/help")
        page.locator("a[href='/staff/help/new']").tap()
        page.wait_for_url("**/staff/help/new")
        page.tap("#name-en")
        page.wait_for_selector(".keyboard:not([hidden])")
        for letter in "food bank":
            page.tap(f".keyboard:not([hidden]) [data-key='{letter}']" if letter != " "
                     else ".keyboard:not([hidden]) [data-action='space']")
        assert page.input_value("#name-en") == "food bank"
        page.tap("#phone")
        for key in "+15550142":
            page.tap(f".keyboard:not([hidden]) [data-key='{key}']")
        assert page.input_value("#phone") == "+15550142"
        assert page.locator(".keyboard:not([hidden])").count() == 1  # one keyboard at a time
        page.tap(".keyboard:not([hidden]) [data-action='hide']")
        page.locator("input[name='kinds'][value='general']").tap()
        page.locator(".help-editor button[type=submit]").tap()
        page.wait_for_url("**/staff/help?saved=1")
        assert "food bank" in page.locator(".staff-services").inner_text()
        patron = touch()
        patron.goto(f"{kiosk.url}/en/help")
        assert "food bank" in patron.locator(".services").inner_text()


def test_moving_straight_from_field_to_field_types_each_key_into_the_field_touched(touch):
    # Each tap on a key follows the tap on its field at once, as a quick hand would: a keyboard
    # still open for the last field, or one opened late, would type into the wrong field.
    moves = [("#name-en", "ab"), ("#phone", "+1"), ("#address", "cd"), ("#website", "ef"),
             ("#name-en", "g"), ("#phone", "2"), ("#address", "h")] * 2
    with staff_help_editor(touch) as (_, page):
        for field, keys in moves:
            page.tap(field)
            for key in keys:
                page.tap(f".keyboard:not([hidden]) [data-key='{key}']")
            assert page.locator(".keyboard:not([hidden])").count() == 1, field
        assert page.input_value("#name-en") == "abgabg"
        assert page.input_value("#phone") == "+12+12"
        assert page.input_value("#address") == "cdhcdh"
        assert page.input_value("#website") == "efef"


@pytest.mark.parametrize("address", ["/staff/help", "/staff/help/new"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_staff_help_editor_has_no_serious_accessibility_problem(touch, address, language):
    from axe_playwright_python.sync_playwright import Axe
    with staff_help_editor(touch, address, language) as (_, page):
        assert page.get_attribute("html", "lang") == language
        if address.endswith("/new"):
            page.tap("#name-en")
            page.wait_for_selector(".keyboard:not([hidden])")  # the keyboard open, as staff see it
        results = Axe().run(page)
        serious = [(v["id"], [n["target"] for n in v["nodes"]][:3])
                   for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == []


def test_a_keyboard_that_does_not_come_gives_back_its_room_and_is_asked_for_again(touch):
    with staff_help_editor(touch) as (_, page):
        page.tap("#name-en")
        page.wait_for_selector(".keyboard:not([hidden])")
        page.route("**/keyboard?*", lambda route: route.abort())  # the server does not answer
        page.tap("#phone")
        expect(page.locator("body")).not_to_have_class(re.compile(r"\bkeyboard-open\b"))
        assert page.locator(".keyboard:not([hidden])").count() == 0
        page.unroute("**/keyboard?*")
        page.tap("#address")  # away and back: the phone's keyboard is asked for again
        page.tap("#phone")
        page.tap(".keyboard:not([hidden]) [data-key='5']")
        assert page.input_value("#phone") == "5"
        assert page.evaluate("document.body.classList.contains('keyboard-open')")
