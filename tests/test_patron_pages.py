"""The patron's pages over the shipped library, in every shipped language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from kiosk.languages import BY_TAG

from .conftest import SHIPPED_TAGS


class PageParts(HTMLParser):
    """Collects what the tests look at: links, h1 count, html attributes, inline script or style."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.h1 = 0
        self.html_attrs: dict[str, str] = {}
        self.inline_script = False
        self.style_attributes = False
        self.external = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_attrs = attrs
        if tag == "h1":
            self.h1 += 1
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "script":
            self._in_script = "src" not in attrs
        if "style" in attrs or tag == "style":
            self.style_attributes = True
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            if re.match(r"^(https?:)?//", value):
                self.external.append(value)

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def parse(response) -> PageParts:
    parts = PageParts()
    parts.feed(response.get_data(as_text=True))
    return parts


def page_urls(lang: str) -> list[str]:
    return [
        f"/{lang}/",
        f"/{lang}/topics/closeness",
        f"/{lang}/articles/intimacy",
        f"/{lang}/articles/intimacy?compare={'ar' if lang != 'ar' else 'en'}",
        f"/{lang}/search?q=consent",
        f"/{lang}/search?q=",
    ]


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_every_page_type_renders_with_language_and_direction(client, lang):
    for url in page_urls(lang):
        response = client.get(url)
        assert response.status_code == 200, url
        parts = parse(response)
        assert parts.html_attrs["lang"] == lang, url
        assert parts.html_attrs["dir"] == BY_TAG[lang].direction, url
        assert parts.h1 == 1, url
        assert not parts.inline_script and not parts.style_attributes, url
        assert not parts.external, (url, parts.external)


def test_arabic_pages_are_right_to_left(client):
    parts = parse(client.get("/ar/articles/intimacy"))
    assert parts.html_attrs["dir"] == "rtl"


def test_root_redirects_to_the_default_language(make_app):
    assert make_app().test_client().get("/").headers["Location"].endswith("/en/")
    app = make_app(languages="en,fr", default_language="fr")
    assert app.test_client().get("/").headers["Location"].endswith("/fr/")


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_every_article_is_reachable_from_the_welcome_page(client, shipped_library, lang):
    welcome_links = set(parse(client.get(f"/{lang}/")).links)
    reachable = set(welcome_links)
    for link in welcome_links:
        if "/topics/" in link:
            reachable |= set(parse(client.get(link)).links)
    for slug in shipped_library.articles:
        assert f"/{lang}/articles/{slug}" in reachable
        assert client.get(f"/{lang}/articles/{slug}").status_code == 200


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_language_switcher_stays_on_the_same_article_and_names_languages_natively(client, lang):
    parts = parse(client.get(f"/{lang}/articles/consent"))
    for other in SHIPPED_TAGS:
        assert f"/{other}/articles/consent" in parts.links
    body = client.get(f"/{lang}/articles/consent").get_data(as_text=True)
    for name in ("English", "Español", "Français", "العربية", "简体中文", "Українська"):
        assert name in body


def test_language_switch_keeps_the_search_words(client):
    parts = parse(client.get("/en/search?q=trust"))
    assert "/fr/search?q=trust" in parts.links


def test_language_tags_are_matched_without_regard_to_case(client):
    response = client.get("/ZH-hans/articles/intimacy")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/zh-Hans/articles/intimacy")


@pytest.mark.parametrize("address, expected", [
    ("/ZH-hans/articles/intimacy", "/zh-Hans/articles/intimacy"),
    ("/EN/search?q=trust&size=2", "/en/search?q=trust&size=2"),
    ("/Ar/articles/consent?compare=fr", "/ar/articles/consent?compare=fr"),
])
def test_the_case_fixing_redirect_is_relative_and_never_repeats_the_host(client, address, expected):
    response = client.get(address, headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("url", [
    "/xx/", "/en/articles/no-such-article", "/en/articles/no-such-article?size=3",
    "/en/articles/no-such-article?from=search", "/en/topics/no-such-topic", "/en/nothing-here",
    "/de/articles/intimacy", "/en/articles/intimacy?compare=xx",
    "/en/articles/..%2f..%2fetc%2fpasswd", "/en/articles/%00",
])
def test_unknown_things_get_a_friendly_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "We could not find that page" in text
    assert "Traceback" not in text
    # The way back to the welcome page, carrying the display choices the address asked for.
    assert 'href="/en/?size=3"' in text if "size=3" in url else 'href="/en/"' in text


def test_friendly_404_speaks_the_visitors_language(client):
    text = client.get("/fr/articles/no-such-article").get_data(as_text=True)
    assert 'lang="fr"' in text


def test_wrong_method_is_answered_plainly(client):
    response = client.post("/en/articles/intimacy")
    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)


def test_compare_shows_two_columns_each_with_its_own_language_and_direction(client, shipped_library):
    text = client.get("/en/articles/intimacy?compare=ar").get_data(as_text=True)
    english = len(re.findall(r'<div class="compare-cell article-body" lang="en" dir="ltr" data-column="0">', text))
    arabic = len(re.findall(r'<div class="compare-cell article-body" lang="ar" dir="rtl" data-column="1">', text))
    sections = shipped_library.articles["intimacy"].source.html.count("<h2") + 1
    assert english == arabic == sections  # a row per section, the same section side by side
    assert text.count('<h2 class="compare-title" data-speech="title">') == 2


def notice_in(app, tag, message, **values):
    """``message`` as the page in language ``tag`` shows it (escaped as in HTML)."""
    with app.test_request_context(f"/{tag}/"):
        app.preprocess_request()
        text = str(app.extensions["kiosk_catalogs"][tag].ugettext(message) % values)
    assert text != message % values, "the catalog must translate it"
    return str(escape(text))


def test_missing_translation_shows_source_marked_with_its_own_language(mixed_app, mixed_client):
    text = mixed_client.get("/fr/articles/good").get_data(as_text=True)
    assert '<article class="article" lang="en" dir="ltr"' in text
    assert "<html lang=\"fr\"" in text
    assert "Looking after yourself" in text
    assert notice_in(mixed_app, "fr", "This article is not available in your language yet. It is shown in its "
                                      "original language: %(name)s.", name="anglais") in text


def test_outdated_translation_is_flagged(mixed_app, mixed_client):
    text = mixed_client.get("/es/articles/good").get_data(as_text=True)
    assert notice_in(mixed_app, "es", "This translation may be out of date: the original (%(name)s) has changed "
                                      "since it was translated.", name="inglés") in text
    assert "Cuidar de ti" in text


def test_current_translation_has_no_outdated_notice_but_says_unreviewed(mixed_client):
    text = mixed_client.get("/ar/articles/good").get_data(as_text=True)
    assert text.count('class="notice"') == 0
    assert 'class="notice notice-quiet"' in text


def test_web_links_become_qr_codes_not_links(mixed_client):
    text = mixed_client.get("/en/articles/good").get_data(as_text=True)
    assert 'href="https://example.org' not in text
    assert '<svg aria-hidden="true" focusable="false"' in text
    assert "https://example.org/rest-guide" in text


@pytest.mark.parametrize("query, expected", [("size=3", "text-3"), ("size=4&contrast=high", "text-4 contrast-high"),
                                             ("size=99", "text-1"), ("size=-1", "text-1"), ("size=２", "text-1")])
def test_display_choices_come_from_the_address(client, query, expected):
    parts = parse(client.get(f"/en/?{query}"))
    assert parts.html_attrs["class"] == expected


def test_display_choices_are_carried_by_every_kiosk_link(client):
    parts = parse(client.get("/en/articles/intimacy?size=3&contrast=high"))
    # The display controls point at this same page with other choices; every other link keeps them.
    others = [link for link in parts.links
              if link.startswith("/") and not link.startswith("/en/articles/intimacy?")]
    assert len(others) > 6
    for link in others:
        assert "size=3" in link and "contrast=high" in link, link



@pytest.mark.parametrize("query", ["", "?size=3&contrast=high", "?contrast=high&size=3", "?from=search",
                                   "?compare=fr"])
def test_an_article_page_says_it_is_html_in_utf_8_however_it_is_asked_for(client, query):
    # Sent with nosniff: a browser trusts this header alone for how to read the page.
    response = client.get(f"/uk/articles/intimacy{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="uk"' in response.get_data(as_text=True)

def test_text_size_has_at_least_three_steps_and_stops_at_the_ends(client):
    smallest = client.get("/en/").get_data(as_text=True)
    assert re.search(r'<span class="button smaller-text" aria-disabled="true">.*?Smaller text', smallest)
    assert re.search(r'<a class="button larger-text" href="/en/\?size=2">', smallest)
    largest = client.get("/en/?size=4").get_data(as_text=True)
    assert re.search(r'<span class="button larger-text" aria-disabled="true">.*?Larger text', largest)
    assert re.search(r'<a class="button smaller-text" href="/en/\?size=3">', largest)


def test_no_cookie_is_ever_set(client):
    for url in page_urls("en") + ["/", "/healthz", "/en/?size=2&contrast=high"]:
        assert "Set-Cookie" not in client.get(url).headers, url


def test_healthz_reports_counts_and_no_patron_data(client, shipped_library):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok"
    assert data["articles"] == len(shipped_library.articles) >= 1
    assert data["languages"] == len(SHIPPED_TAGS)
    assert data["default_language"] == "en"


def test_enabled_languages_limit_what_is_served(make_app):
    client = make_app(languages="en,ar", default_language="ar").test_client()
    assert client.get("/").headers["Location"].endswith("/ar/")
    assert client.get("/fr/").status_code == 404
    text = client.get("/en/").get_data(as_text=True)
    assert "Français" not in text and "العربية" in text


def switcher(page: str) -> tuple[list[str], list[str], str | None]:
    """The languages of the switcher's row, those behind "More languages", and the current one."""
    nav = page.split('<nav class="languages"', 1)[1].split("</nav>", 1)[0]
    row, _, more = nav.partition('<li class="more-languages">')
    tags = lambda part: re.findall(r'hreflang="([^"]+)"', part)
    current = re.search(r'hreflang="([^"]+)" aria-current="true"', nav)
    return tags(row), tags(more), current.group(1) if current else None


def test_twelve_languages_fit_the_switcher_with_the_rest_behind_more_languages(client):
    row, more, current = switcher(client.get("/en/").get_data(as_text=True))
    assert row == ["en", "es", "fr", "ar", "zh-Hans", "uk"] and current == "en"
    assert more == ["vi", "tl", "pt-BR", "pl", "ro", "ur"]


def test_a_reader_of_one_of_the_rest_sees_their_language_in_the_row(client):
    page = client.get("/ur/articles/consent").get_data(as_text=True)
    row, more, current = switcher(page)
    assert row == ["en", "es", "fr", "ar", "zh-Hans", "uk", "ur"] and current == "ur"
    assert more == ["vi", "tl", "pt-BR", "pl", "ro"]
    assert "<details open" not in page  # the panel stays closed over the page


def test_staff_order_decides_which_languages_come_first(make_app):
    client = make_app(languages="pl,ur,en", default_language="pl").test_client()
    row, more, current = switcher(client.get("/pl/").get_data(as_text=True))
    assert row == ["pl", "ur", "en"] and more == [] and current == "pl"
    assert "More languages" not in client.get("/en/").get_data(as_text=True)


def test_every_hole_is_filled_escaped_even_when_one_value_fills_many():
    from kiosk.layout import PageAddress, SlotTemplate, late
    template = SlotTemplate(f"<h1>{late('title')}</h1><a href='/x/{late('slug')}'>{late('title')}</a>"
                            f"<div>{late('body')}</div><a href='{late('link', 'es', 'size=2&contrast=high')}'>"
                            f"<a href='{late('link', 'fr', '')}'>")
    values = {"title": "Sex & <b>you</b>", "slug": "a\"b", "body": "<p>kept</p>"}
    start = ("<h1>Sex &amp; &lt;b&gt;you&lt;/b&gt;</h1><a href='/x/a&#34;b'>Sex &amp; &lt;b&gt;you&lt;/b&gt;</a>"
             "<div><p>kept</p></div>")
    assert template.fill(values, PageAddress("articles/a b")) == (
        f"{start}<a href='/es/articles/a%20b?size=2&amp;contrast=high'><a href='/fr/articles/a%20b'>")
    # The page's own query arguments are kept, and the display choices follow them.
    searched = PageAddress("search", (("q", "<b> & c"),))
    assert template.fill(values, searched) == (
        f"{start}<a href='/es/search?q=%3Cb%3E+%26+c&amp;size=2&amp;contrast=high'><a href='/fr/search?q=%3Cb%3E+%26+c'>")
    assert template.encode().fill_encoded({**values, "body": b"<p>kept</p>"}, searched) == (
        template.fill(values, searched).encode())


def test_a_search_for_markup_is_shown_as_text(client):
    page = client.get("/en/search?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_about_page_gives_the_three_ways_back_as_three_list_items(client):
    text = client.get("/en/about").get_data(as_text=True)
    ways = re.search(r"three ways back to the welcome page:\s*<ul>(.*?)</ul>", text, re.DOTALL)
    assert ways, text
    items = re.findall(r"<li>(.*?)</li>", ways[1], re.DOTALL)
    assert [item.split()[0] for item in items] == ["Press", "Press", "Leave"]
    assert "Quick exit" in items[0] and "Shift key three times" in items[1]


@pytest.mark.parametrize("seconds, sentence", [
    (60, "after 1 minute without a touch."), (180, "after 3 minutes without a touch."),
    (90, "after 90 seconds without a touch."),
])
def test_the_idle_time_is_a_whole_sentence_for_its_number(make_app, seconds, sentence):
    text = make_app(idle_seconds=seconds).test_client().get("/en/about").get_data(as_text=True)
    assert sentence in text


@pytest.mark.parametrize("seconds, words", [
    (60, "po 1 minucie bez"), (120, "po 2 minutach bez"), (300, "po 5 minutach bez"), (90, "po 90 sekundach bez"),
])
def test_polish_agrees_its_words_with_the_idle_time(make_app, seconds, words):
    text = make_app(idle_seconds=seconds, languages="en,pl").test_client().get("/pl/about").get_data(as_text=True)
    assert words in text
    assert not re.search(r"\bminuta\b", text)  # the nominative a spliced duration gave: «przez 1 minuta»


@pytest.mark.parametrize("lang", [tag for tag in SHIPPED_TAGS if tag != "en"])
def test_the_ways_back_are_translated_in_every_language(client, lang):
    text = client.get(f"/{lang}/about").get_data(as_text=True)
    for english in ("three ways back", "Press Quick exit", "Shift key three times", "Leave the screen alone"):
        assert english not in text, (lang, english)
    # Placeholders never reach the page's text (speaking mode's phrases carry theirs to its script).
    assert "%(" not in re.sub(r"data-phrases='[^']*'", "", text)
