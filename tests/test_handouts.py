"""Handouts: the page for paper and the PDF, in every language, attribution always intact."""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
from functools import cache

import pytest
from markupsafe import escape
from pypdf import PdfReader

from kiosk.handouts.pdf import laid_out
from kiosk.local_help import AT_ARTICLE_END

from .conftest import EVERY_LANGUAGE, FIXTURES, SHIPPED_TAGS, SLUGS

PUBLISHER = FIXTURES / "publisher"


def squeeze(text: str) -> str:
    """Text compared without regard to spacing or Arabic presentation forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@cache
def pdf_of(app, url: str) -> tuple[int, str, bytes]:
    response = app.test_client().get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages), response.data


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
@pytest.mark.parametrize("slug", SLUGS)
def test_handout_page_carries_title_attribution_language_and_date(client, shipped_library, slug, lang):
    article = shipped_library.articles[slug]
    version = article.version_for(lang)
    text = client.get(f"/{lang}/articles/{slug}/handout").get_data(as_text=True)
    assert f"<h1>{escape(version.title)}</h1>" in text
    assert str(escape(version.attribution)) in text and article.licence in text
    assert 'class="handout-meta"' in text
    assert "print-button" in text


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
@pytest.mark.parametrize("slug", SLUGS)
def test_generated_pdf_fits_two_pages_with_title_and_attribution(app, shipped_library, slug, lang):
    pages, text, data = pdf_of(app, f"/{lang}/articles/{slug}/handout.pdf")
    version = shipped_library.articles[slug].version_for(lang)
    assert 1 <= pages <= 2
    assert_printed([version.title], text)
    # A line mixing right-to-left words with "© 2026 The Reading Kiosk" comes out of
    # the PDF in visual order, so each of its words is looked for on its own.
    assert_printed(re.findall(r"[\w©]+", version.attribution), text)
    assert version.attribution_language == lang


@pytest.mark.parametrize("paper", ["A4", "letter"])
def test_the_longest_article_fits_two_pages_on_either_paper(app, make_app, shipped_library, paper):
    # The shared kiosk prints on the default paper (A4): its PDFs, made once for this file, serve here too.
    if app.config["KIOSK_PAPER_SIZE"] != paper:
        app = make_app(paper_size=paper, languages=EVERY_LANGUAGE)
    for lang in SHIPPED_TAGS:
        longest = max(shipped_library.articles.values(), key=lambda a: len(a.version_for(lang).html))
        pages, _, data = pdf_of(app, f"/{lang}/articles/{longest.slug}/handout.pdf")
        assert pages <= 2, (lang, longest.slug)
        width = float(PdfReader(io.BytesIO(data)).pages[0].mediabox.width)
        assert round(width) == (595 if paper == "A4" else 612)


@pytest.mark.parametrize("lang", ["en", "ar", "ur"])
def test_help_near_you_on_paper_is_a_row_of_services_each_with_its_code_at_its_end(client, lang):
    from weasyprint.formatting_structure.boxes import BlockLevelBox, GridContainerBox

    document = laid_out(client.get(f"/{lang}/articles/consent/handout").get_data(as_text=True), "A4")
    boxes = [box for page in document.pages for box in page._page_box.descendants(placeholders=True)]

    def blocks(name, among=boxes):
        return [box for box in among if isinstance(box, BlockLevelBox) and name in (box.element.get("class") or "").split()]

    def left(box):
        return box.border_box_x()

    def right(box):
        return box.border_box_x() + box.border_width()

    [section] = blocks("help-here")
    # WeasyPrint lays out a grid by laying out its items again and again: the row is the only one
    # (a grid in each service of it took a third of a handout's time).
    assert [box for box in section.descendants() if isinstance(box, GridContainerBox)] == blocks("services")
    services = blocks("service")
    assert len(services) == AT_ARTICLE_END and len({round(box.position_y) for box in services}) == 1
    # The first service where the line starts: on the left, or on the right in a right-to-left language.
    assert [left(box) for box in services] == sorted((left(box) for box in services), reverse=lang != "en")
    for service in services:
        [codes] = blocks("service-codes", service.descendants(placeholders=True))
        assert left(service) < left(codes) and right(codes) < right(service)
        assert codes.border_box_y() + codes.border_height() <= service.border_box_y() + service.border_height()
        for text in (box for box in service.children if box is not codes and isinstance(box, BlockLevelBox)):
            assert right(text) <= left(codes) if lang == "en" else left(text) >= right(codes), text.element.tag


def embedded_fonts(data: bytes) -> set[str]:
    """The families of the fonts a PDF embeds, without the subset prefix (``Noto-Sans``)."""
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return fonts


@pytest.mark.parametrize("lang, fonts", [
    ("vi", {"Noto-Sans", "Noto-Sans-Bold"}),
    ("pl", {"Noto-Sans", "Noto-Sans-Bold"}),
    ("ro", {"Noto-Sans", "Noto-Sans-Bold"}),
    # Urdu's PDF is set in Naskh, whose glyphs each read back as one letter (kiosk/handouts/pdf.py).
    ("ur", {"Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold", "Noto-Sans", "Noto-Sans-Bold"}),
])
def test_each_script_is_printed_in_its_own_font_with_no_glyph_borrowed(app, shipped_library, lang, fonts):
    """Only the fonts the stylesheet names for the language: a glyph missing from them would bring in another."""
    for slug in SLUGS:
        _, text, data = pdf_of(app, f"/{lang}/articles/{slug}/handout.pdf")
        assert embedded_fonts(data) <= fonts, (slug, embedded_fonts(data))
        assert_printed([shipped_library.articles[slug].versions[lang].title], text)


def test_arabic_pdf_is_shaped_right_to_left(app, shipped_library):
    _, text, _ = pdf_of(app, "/ar/articles/intimacy/handout.pdf")
    # Shaped Arabic extracts as Arabic letters (not boxes), in reading order.
    assert squeeze(shipped_library.articles["intimacy"].versions["ar"].title) in squeeze(text)
    assert "\ufffd" not in text and "\x00" not in text


@pytest.fixture(scope="module")
def publisher_app(instance):
    from kiosk import create_app
    return create_app({"TESTING": True, "content": PUBLISHER, "languages": "en,es,fr", "instance": instance})


def test_publisher_pdf_is_served_byte_for_byte(publisher_app):
    response = publisher_app.test_client().get("/en/articles/leaflet/handout.pdf")
    original = (PUBLISHER / "articles" / "leaflet" / "leaflet-en.pdf").read_bytes()
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.get_data()).hexdigest() == hashlib.sha256(original).hexdigest()
    assert response.headers["Cache-Control"] == "no-store"


def test_publisher_pdf_is_sent_as_a_file_not_read_into_memory(publisher_app):
    class ServerFileWrapper:
        """Stands in for waitress's wsgi.file_wrapper, which streams an open file."""

        def __init__(self, file, block_size=8192):
            self.file = file

    environ = {"wsgi.file_wrapper": ServerFileWrapper}
    with publisher_app.test_request_context("/en/articles/leaflet/handout.pdf", environ_base=environ):
        response = publisher_app.full_dispatch_request()
    assert isinstance(response.response, ServerFileWrapper)
    response.response.file.close()


@pytest.mark.parametrize("lang, problem", [("es", "is missing"), ("fr", "is not a PDF file")])
def test_missing_or_broken_publisher_pdf_is_reported_and_falls_back(publisher_app, runner, lang, problem):
    result = runner.invoke(args=["content", "check", str(PUBLISHER)])
    assert result.exit_code == 1
    assert any(f"leaflet/{lang}.md:6" in line and problem in line for line in result.output.splitlines())
    pages, text, _ = pdf_of(publisher_app, f"/{lang}/articles/leaflet/handout.pdf")
    assert pages == 1
    assert "Example Health Publisher" in text


def test_source_url_becomes_a_qr_code_on_the_handout(publisher_app):
    text = publisher_app.test_client().get("/fr/articles/leaflet/handout").get_data(as_text=True)
    assert 'class="source-qr"' in text and "https://example.org/leaflet" in text
    assert 'href="https://example.org' not in text


def test_untranslated_handout_prints_the_source_with_the_notice(mixed_app):
    text = mixed_app.test_client().get("/fr/articles/good/handout").get_data(as_text=True)
    assert '<p class="notice" lang="fr"' in text
    assert '<article lang="en" dir="ltr">' in text
    _, pdf_text, _ = pdf_of(mixed_app, "/fr/articles/good/handout.pdf")
    assert "Looking after yourself" in pdf_text
    assert "Test attribution line" in pdf_text


@pytest.mark.parametrize("address, plain", [
    ("/en/articles/consent/handout?with=en", "/en/articles/consent/handout"),
    ("/en/articles/consent/handout.pdf?with=EN&size=2", "/en/articles/consent/handout.pdf?size=2"),
    ("/fr/articles/consent/handout?with=AR", "/fr/articles/consent/handout?with=ar"),
])
def test_a_second_language_that_is_the_first_gives_the_one_language_handout(client, address, plain):
    response = client.get(address)
    assert response.status_code == 302
    assert response.headers["Location"] == plain


def test_bilingual_handout_has_both_languages_each_in_its_direction(client, app, shipped_library):
    text = client.get("/ar/articles/consent/handout?with=fr").get_data(as_text=True)
    assert '<article lang="ar" dir="rtl">' in text
    assert '<article lang="fr" dir="ltr">' in text
    assert text.count("<h1>") == 1
    _, pdf_text, _ = pdf_of(app, "/ar/articles/consent/handout.pdf?with=fr")
    for lang in ("ar", "fr"):
        assert squeeze(shipped_library.articles["consent"].versions[lang].title) in squeeze(pdf_text)


def test_bilingual_pdf_puts_a_right_to_left_first_language_on_the_right(app, shipped_library):
    _, _, data = pdf_of(app, "/ar/articles/consent/handout.pdf?with=fr")
    starts: dict[str, float] = {}

    def note(text, cm, tm, font, size):
        for lang in ("ar", "fr"):
            title = shipped_library.articles["consent"].versions[lang].title
            if text.strip() and squeeze(text) == squeeze(title):
                starts.setdefault(lang, tm[4])

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=note)
    assert starts["ar"] > starts["fr"]


@pytest.mark.parametrize("url", [
    "/en/articles/consent/handout?with=xx",
    "/en/articles/nothing/handout", "/en/articles/nothing/handout.pdf", "/xx/articles/consent/handout.pdf",
    "/en/articles/consent/handout.pdf?with=zz",
])
def test_bad_handout_requests_get_a_friendly_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_the_page_stylesheets_are_parsed_once_not_for_every_pdf(client):
    from kiosk.handouts.pdf import page_stylesheet
    assert client.get("/fr/articles/boundaries/handout.pdf").status_code == 200
    parsed = page_stylesheet.cache_info().misses
    for address in ("/uk/articles/boundaries/handout.pdf", "/fr/articles/consent/handout.pdf?with=ar"):
        assert client.get(address).status_code == 200  # made now, not taken from this file's PDFs
    assert page_stylesheet.cache_info().misses == parsed
    assert page_stylesheet.cache_info().currsize >= 3  # kiosk.css, print.css and speaking.css, each given ready


def test_pdf_rendering_fetches_only_static_files():
    from kiosk.handouts.pdf import static_file_for
    assert static_file_for("http://kiosk.invalid/static/print.css").startswith(b"/*")
    for url in ("https://example.org/font.woff", "http://kiosk.invalid/static/../kiosk/settings.py",
                "file:///etc/passwd", "http://kiosk.invalid/en/articles/consent"):
        with pytest.raises(ValueError):
            static_file_for(url)


def assert_printed(words: list[str], text: str) -> None:
    """Each of ``words`` is in the PDF's ``text`` (every script reads back, Urdu included)."""
    assert all(squeeze(word) in squeeze(text) for word in words), [w for w in words if squeeze(w) not in squeeze(text)]


@pytest.mark.parametrize("lang", [tag for tag in SHIPPED_TAGS if tag != "en"])
def test_every_output_of_an_unchecked_translation_says_so(app, client, shipped_library, lang):
    assert shipped_library.articles["consent"].needs_fluent_check(lang)
    with app.test_request_context(f"/{lang}/"):
        notice = app.extensions["kiosk_catalogs"][lang].ugettext(
            "This translation has not yet been checked by a fluent speaker.")
    assert notice != "This translation has not yet been checked by a fluent speaker."
    words = re.findall(r"\w+", notice)
    for address in (f"/{lang}/articles/consent", f"/{lang}/articles/consent/handout",
                    f"/en/articles/consent?compare={lang}", f"/en/articles/consent/handout?with={lang}"):
        page = html.unescape(client.get(address).get_data(as_text=True))
        assert notice in page, address
    for address in (f"/{lang}/articles/consent/handout.pdf", f"/en/articles/consent/handout.pdf?with={lang}"):
        _, text, _ = pdf_of(app, address)
        assert_printed(words, text)


def test_the_source_and_a_checked_translation_carry_no_such_notice(client):
    for address in ("/en/articles/consent", "/en/articles/consent/handout"):
        assert "checked by a fluent" not in client.get(address).get_data(as_text=True)
