"""Every response keeps the patron's visit on this machine and out of every cache."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest

from .conftest import ROOT

PAGES = [
    "/en/", "/ar/topics/closeness", "/zh-Hans/articles/intimacy", "/uk/articles/consent?compare=fr",
    "/es/search?q=trust", "/fr/about", "/en/articles/missing", "/xx/", "/healthz", "/",
    "/ar/articles/consent/handout", "/uk/articles/consent/handout?with=en", "/fr/articles/consent/handout.pdf",
    "/staff/", "/staff/login",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_the_privacy_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "base-uri 'none'", "object-src 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "microphone=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_reset_response_has_the_privacy_headers_too(client):
    response = client.post("/reset")
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_static_files_are_addressed_by_their_content_and_kept_as_immutable(client):
    page = client.get("/en/articles/intimacy").get_data(as_text=True)
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {address.split("?")[0] for address in addresses} == {
        "/static/kiosk.css", "/static/print.css", "/static/session-guard.js", "/static/kiosk.js",
        "/static/keyboard.js", "/static/speech.js", "/static/speaking.css", "/static/speaking.js"}
    for address in addresses:
        name, version = address.replace("&amp;", "&").split("?v=")
        assert version == hashlib.sha256((ROOT / name.lstrip("/")).read_bytes()).hexdigest()[:12]
        response = client.get(address)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("address", ["/static/kiosk.css", "/static/kiosk.css?v=0123456789ab"])
def test_a_static_file_asked_for_without_its_current_hash_is_revalidated(client, address):
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("address", ["/en/articles/intimacy", "/en/articles/intimacy/handout.pdf", "/healthz",
                                     "/fr/search?q=x", "/staff/login", "/en/no-such-page"])
def test_nothing_but_static_files_may_be_stored(client, address):
    assert client.get(address).headers["Cache-Control"] == "no-store"


class FormFields(HTMLParser):
    """Every form and every field a patron or staff member could type into, with its attributes."""

    def __init__(self):
        super().__init__()
        self.forms, self.fields = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(attributes)
        elif tag == "input" and attributes.get("type", "text") not in ("hidden", "checkbox", "submit"):
            self.fields.append(attributes)


@pytest.mark.parametrize("address", ["/en/articles/intimacy", "/ar/search?q=x", "/staff/login"])
def test_forms_never_autofill(make_app, address):
    from kiosk.staff.pin import set_pin
    app = make_app()
    set_pin(app.instance_path, "482913")
    forms = FormFields()
    forms.feed(app.test_client().get(address).get_data(as_text=True))
    typed = [form for form in forms.forms if form.get("method") != "post" or "pin-form" in form.get("class", "")]
    assert forms.fields and typed
    assert all(field.get("autocomplete") == "off" for field in forms.fields), forms.fields
    assert all(form.get("autocomplete") == "off" for form in typed), forms.forms


def test_pages_fall_back_to_the_welcome_page_without_javascript(client, app):
    text = client.get("/fr/articles/consent?size=2").get_data(as_text=True)
    idle = app.config["KIOSK_IDLE_SECONDS"]
    assert f'<noscript><meta http-equiv="refresh" content="{idle}; url=/en/"></noscript>' in text


def test_without_javascript_every_page_returns_to_the_welcome_page_after_the_idle_time(client, app):
    """The welcome page too: the server cannot tell the one a session opens on from one a patron came
    back to by the home link, and refreshing an untouched welcome page costs nothing."""
    refresh = f'<noscript><meta http-equiv="refresh" content="{app.config["KIOSK_IDLE_SECONDS"]}; url=/en/">'
    for address in ("/en/", "/fr/articles/consent", "/en/search?q=trust", "/staff/login"):
        assert refresh in client.get(address).get_data(as_text=True), address


def test_only_the_default_welcome_page_may_wait_for_a_first_touch(client):
    text = client.get("/en/").get_data(as_text=True)
    assert 'data-pristine="true"' in text
    assert 'data-pristine="false"' in client.get("/en/?size=2").get_data(as_text=True)
    assert 'data-pristine="false"' in client.get("/fr/").get_data(as_text=True)


def test_pages_carry_the_session_settings_for_the_script(client, app):
    text = client.get("/ar/articles/consent").get_data(as_text=True)
    assert f'data-idle-seconds="{app.config["KIOSK_IDLE_SECONDS"]}"' in text
    assert f'data-warning-seconds="{app.config["KIOSK_WARNING_SECONDS"]}"' in text
    assert 'data-welcome="/en/"' in text
    assert 'data-reset="/reset"' in text


@pytest.mark.parametrize("lang", ["en", "es", "fr", "ar", "zh-Hans", "uk"])
def test_about_page_exists_in_every_language(client, lang):
    response = client.get(f"/{lang}/about")
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in response.get_data(as_text=True)


def test_every_page_links_to_quick_exit_and_the_about_page(client):
    for url in ("/en/", "/en/articles/intimacy", "/en/search?q=x", "/en/articles/missing"):
        text = client.get(url).get_data(as_text=True)
        assert '<form class="quick-exit" action="/reset" method="post">' in text, url
        assert 'href="/en/about"' in text, url


def test_an_unexpected_error_is_a_friendly_page_and_a_log_line_without_the_path(make_app, caplog):
    app = make_app(TESTING=False, languages="en,fr")

    def broken():
        from flask import request
        raise ValueError(request.args["q"] + request.path)

    app.add_url_rule("/<lang>/broken-secret-page", "broken", broken)
    with caplog.at_level("ERROR"):
        response = app.test_client().get("/fr/broken-secret-page?q=secretquery")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert '<html lang="fr"' in text and "<h1>" in text
    assert "Traceback" not in text and "ValueError" not in text
    logged = caplog.text
    assert "ValueError" in logged
    for trace in ("broken-secret-page", "secretquery", "/fr/"):
        assert trace not in logged
