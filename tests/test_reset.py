"""POST /reset ends the patron session: the browser is told to forget; the server held nothing to forget."""

from __future__ import annotations

import pytest

from kiosk.layout import layouts
from kiosk.patron.article_pages import article_pages
from kiosk.signals import signals_of


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


def server_state(app):
    """What the server holds between requests that a visit could change, as comparable values."""
    environments = app.extensions["kiosk_template_environments"]
    return {
        "article pages": article_pages(app).pages_built(),
        "layouts": id(layouts(app)._layouts),
        "compiled templates": {tag: list(environment.cache) for tag, environment in environments.items()},
        "app templates": list(app.jinja_env.cache),
        "extensions": sorted(app.extensions),
    }


def test_a_visit_leaves_nothing_on_the_server(make_app):
    app = make_app()
    client = app.test_client()
    assert article_pages(app).wait_until_built()
    before = server_state(app)
    for address in ("/en/articles/consent?size=3", "/fr/search?q=secret+words", "/ar/articles/intimacy?compare=uk",
                    "/uk/articles/boundaries/handout?with=es", "/zh-Hans/topics/relationships", "/es/about",
                    "/en/articles/no-such-article", "/fr/search?q=%22NEAR("):
        client.get(address)
    client.get("/es/articles/consent/handout.pdf")
    assert server_state(app) == before


def test_compiled_templates_and_pages_are_made_before_anyone_visits(app):
    offered = [language.tag for language in app.config["KIOSK_LANGUAGES"]]
    environments = app.extensions["kiosk_template_environments"]
    for tag in offered:
        assert len(environments[tag].cache) == len(app.jinja_env.list_templates(extensions=["html"]))
    assert article_pages(app).wait_until_built()
    assert len(article_pages(app).pages_built()) == len(get_library_of(app).articles) * len(offered)


def get_library_of(app):
    return app.extensions["kiosk_content"].current.library


def test_reset_announces_the_end_of_the_session_once(make_app):
    app = make_app()
    heard = []
    signals_of(app).patron_session_ended.connect(lambda sender, **extra: heard.append(sender), weak=False)
    app.test_client().post("/reset")
    assert heard == [app]


def test_a_kiosk_announces_only_to_its_own_receivers(make_app):
    """Each app has signals of its own: a kiosk dropped in one of its background threads cleans up only its own
    receivers, never those another kiosk in the process is connecting (blinker's bookkeeping is not thread-safe)."""
    first, second = make_app(), make_app()
    assert signals_of(first) is not signals_of(second)
    heard = []
    signals_of(first).patron_session_ended.connect(lambda sender, **extra: heard.append(sender), weak=False)
    second.test_client().post("/reset")
    assert heard == []
    first.test_client().post("/reset")
    assert heard == [first]
