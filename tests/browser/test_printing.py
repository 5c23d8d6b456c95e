"""Handouts as Chromium prints them: no screen controls on paper, at most two pages, and every
QR code on paper read back by a real QR reader (zxing-cpp) from the printed PDF drawn as an image
by poppler's pdftoppm."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from kiosk.local_help import AT_ARTICLE_END

from ..conftest import SHIPPED_TAGS, SLUGS

pytestmark = pytest.mark.browser
PDFTOPPM = shutil.which("pdftoppm")


def codes_on_paper(pdf: bytes) -> list[str]:
    """What every QR code in ``pdf`` says, page by page, as a phone would read it from the sheet."""
    if not PDFTOPPM:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but pdftoppm is not installed (apt-get install poppler-utils)")
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "printed.pdf").write_bytes(pdf)
        # 150 dots per inch: a modest office printer's grain, finer than any phone needs. Plain
        # grey maps (PGM), not PNG: compressing them took ten times as long as drawing them.
        subprocess.run([PDFTOPPM, "-r", "150", "-gray", "printed.pdf", "sheet"], cwd=folder, check=True)
        sheets = sorted(Path(folder).glob("sheet-*.pgm"))
        assert sheets
        return [code.text for sheet in sheets
                for code in zxingcpp.read_barcodes(Image.open(sheet), formats=zxingcpp.BarcodeFormat.QRCode)]


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


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_every_handout_prints_on_at_most_two_pages(shared_page, live_kiosk, lang):
    page = shared_page
    for slug in SLUGS:
        page.goto(f"{live_kiosk.url}/{lang}/articles/{slug}/handout")
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=False)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            assert pages <= 2, (slug, lang, paper, pages)


@pytest.mark.parametrize("printed", ["handout", "article"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_qr_code_on_a_printed_page_scans(shared_page, live_kiosk, shipped_library, lang, printed):
    """The Print button prints the page it is on: the handout page, or the article as its handout."""
    page = shared_page
    for slug in SLUGS:
        article = shipped_library.articles[slug]
        services = shipped_library.help.for_kinds(article.help_kinds)[:AT_ARTICLE_END]
        # On paper each local service keeps one code: its number, or its website where it has none.
        expected = [*article.version_for(lang).web_links, *([article.source_url] if article.source_url else []),
                    *(service.phone_address or service.website for service in services)]
        assert expected, slug
        suffix = "/handout" if printed == "handout" else ""
        page.goto(f"{live_kiosk.url}/{lang}/articles/{slug}{suffix}")
        found = codes_on_paper(page.pdf(format="A4"))
        assert sorted(found) == sorted(expected), (slug, lang, printed)


@pytest.mark.parametrize("lang", ["ur", "ar", "zh-Hans"])
def test_chromium_tags_a_handout_in_its_language_when_asked(shared_page, live_kiosk, shipped_library, lang):
    """Chromium writes a tagged PDF only when asked (the kiosk's own PDFs are WeasyPrint's, always
    tagged): then it takes the language and title from the handout page, as WeasyPrint does."""
    page = shared_page
    page.goto(f"{live_kiosk.url}/{lang}/articles/consent/handout")
    untagged = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert "/StructTreeRoot" not in untagged.trailer["/Root"]
    tagged = PdfReader(io.BytesIO(page.pdf(format="A4", tagged=True)))
    catalog = tagged.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == lang
    assert tagged.metadata.title.startswith(shipped_library.articles["consent"].version_for(lang).title)
