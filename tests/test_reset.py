"""POST /reset ends the patron session: the browser is told to forget, the server forgets too."""

from __future__ import annotations

import time

import pytest

from kiosk.page_cache import page_cache
from kiosk.patron_session import IdleWatch


@pytest.mark.parametrize("body, content_type", [
    (None, None),
    (b"", "application/x-www-form-urlencoded"),
    (b"anything=at&all=1", "application/x-www-form-urlencoded"),
    (b'{"json": true}', "application/json"),
    (b"\xff\xfe\x00garbage", "application/octet-stream"),
    (b"x" * 100_000, "text/plain"),
])
def test_reset_accepts_any_body_and_goes_to_the_default_welcome_page(client, body, content_type):
    kwargs = {"data": body, "content_type": content_type} if body is not None else {}
    response = client.post("/reset", **kwargs)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_reset_goes_to_the_configured_default_language(make_app):
    response = make_app(default_language="ar").test_client().post("/reset")
    assert response.headers["Location"] == "/ar/"


def test_reset_expires_every_cookie_the_browser_sent(client):
    client.set_cookie("kiosk_staff", "abc")
    client.set_cookie("leftover", "1")
    response = client.post("/reset")
    expired = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("kiosk_staff=;") and "Expires=Thu, 01 Jan 1970" in c for c in expired)
    assert any(c.startswith("leftover=;") for c in expired)


def test_a_double_reset_is_harmless(client):
    assert client.post("/reset").status_code == 303
    assert client.post("/reset").status_code == 303
    assert client.get("/en/").status_code == 200


def test_reset_by_get_is_answered_politely(client):
    response = client.get("/reset", follow_redirects=True)
    assert response.status_code in (404, 405)
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'href="/en/"' in text


def test_reset_forgets_every_page_rendered_for_the_patron(make_app):
    app = make_app()
    client = app.test_client()
    client.get("/en/articles/consent")
    client.get("/fr/search?q=secret")
    assert len(page_cache(app)) == 2
    client.post("/reset")
    assert len(page_cache(app)) == 0


def test_a_stored_page_is_the_same_page(make_app):
    client = make_app().test_client()
    first = client.get("/es/articles/boundaries?size=2")
    second = client.get("/es/articles/boundaries?size=2")
    assert first.get_data() == second.get_data()
    assert second.headers["Cache-Control"] == "no-store"
    assert second.headers["Content-Type"].startswith("text/html")


def test_error_pages_are_never_stored(make_app):
    app = make_app()
    app.test_client().get("/en/articles/missing")
    assert len(page_cache(app)) == 0


def test_the_server_forgets_pages_by_itself_after_the_idle_time(make_app):
    app = make_app()
    app.test_client().get("/en/articles/consent")
    watch = IdleWatch(app, idle_seconds=0.2, check_every=0.05).start()
    try:
        deadline = time.monotonic() + 5
        while len(page_cache(app)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watch.stop()
    assert len(page_cache(app)) == 0


def test_the_idle_watch_leaves_a_busy_session_alone(make_app):
    app = make_app()
    client = app.test_client()
    client.get("/en/articles/consent")
    watch = IdleWatch(app, idle_seconds=60, check_every=0.05).start()
    time.sleep(0.3)
    watch.stop()
    assert len(page_cache(app)) == 1
