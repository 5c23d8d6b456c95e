"""Handouts as Chromium prints them: no screen controls on paper, at most two pages."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ..conftest import SHIPPED_TAGS, SLUGS

pytestmark = pytest.mark.browser


def test_screen_controls_are_not_printed(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/fr/articles/consent/handout")
    assert page.locator(".site-header").is_visible()
    page.emulate_media(media="print")
    for selector in (".site-header", ".languages", ".site-footer", ".handout-toolbar", "form.quick-exit"):
        assert not page.locator(selector).is_visible(), selector
    assert page.locator(".handout-attribution").is_visible()
    assert page.locator("h1").is_visible()


def test_article_page_prints_as_a_handout(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/en/articles/consent")
    assert not page.locator(".print-details").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".print-details .handout-attribution").is_visible()
    assert not page.locator(".article-tools-top").is_visible()
    assert not page.locator(".article-tools-end").is_visible()


def test_print_button_prints(page, live_kiosk):
    page.goto(f"{live_kiosk.url}/es/articles/boundaries")
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    assert not page.locator(".print-status").first.is_visible()
    page.locator(".article-tools-top .print-button").click()
    assert page.evaluate("window.printed") == 1
    status = page.locator(".article-tools-top .print-status")
    assert status.is_visible() and status.get_attribute("role") == "status"
    assert status.inner_text().strip() != ""


def test_print_button_is_hidden_without_javascript(browser, live_kiosk):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_kiosk.url}/es/articles/boundaries")
    assert page.locator(".print-button").count() == 2
    assert not page.locator(".print-button").first.is_visible()
    context.close()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_every_handout_prints_on_at_most_two_pages(page, live_kiosk, lang, paper):
    for slug in SLUGS:
        page.goto(f"{live_kiosk.url}/{lang}/articles/{slug}/handout")
        pdf = page.pdf(format=paper, print_background=False)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        assert pages <= 2, (slug, lang, paper, pages)
