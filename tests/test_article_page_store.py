"""The article pages kept in the instance folder: one row holds all a page needs, and a file of an
earlier format is set aside and made again."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from kiosk import create_app
from kiosk.patron.article_pages import PAGES_FILE, article_pages

from .conftest import CONTENT, seeded


@pytest.fixture
def library_copy(tmp_path):
    return shutil.copytree(CONTENT, tmp_path / "content")


def test_a_pages_file_of_an_earlier_format_is_set_aside_and_made_again(library_copy, tmp_path, caplog):
    instance = seeded(tmp_path / "instance")
    (instance / PAGES_FILE).unlink(missing_ok=True)  # one the first start may have kept
    with sqlite3.connect(instance / PAGES_FILE) as db:  # as the kiosk wrote it before pages held their title
        db.execute("CREATE TABLE pages (article TEXT, language TEXT, context TEXT, page BLOB, used_at INTEGER, "
                   "PRIMARY KEY (article, language, context)) WITHOUT ROWID")
    app = create_app({"TESTING": True, "instance": instance, "content": str(library_copy), "languages": "en,fr"})
    pages = article_pages(app)
    assert pages.wait_until_built()
    assert len(pages.pages_built()) == 6 * 2
    assert (instance / (PAGES_FILE + ".damaged")).exists()
    assert len([record for record in caplog.records if PAGES_FILE in record.getMessage()]) == 1
    assert "Consentement" in app.test_client().get("/fr/articles/consent").get_data(as_text=True)


def test_a_stored_page_is_the_page_rendered_on_the_spot(library_copy, tmp_path, monkeypatch):
    from kiosk.patron import article_pages as module
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": str(library_copy),
                      "languages": "en,ar"})
    assert article_pages(app).wait_until_built()
    client = app.test_client()
    addresses = [f"/{tag}/articles/consent{choice}" for tag in ("en", "ar")
                 for choice in ("", "?size=3", "?size=2&contrast=high")]
    stored = {address: client.get(address).get_data() for address in addresses}
    real, rendered = module._stored, []
    monkeypatch.setattr(module.PageStore, "get", lambda *arguments: None)  # nothing stored: each rendered now
    monkeypatch.setattr(module, "_stored", lambda *arguments: (rendered.append(arguments), real(*arguments))[1])
    assert {address: client.get(address).get_data() for address in addresses} == stored
    assert len(rendered) == len(addresses)
    assert b"/en/articles/consent?size=2&amp;contrast=high" in stored["/en/articles/consent?size=2&contrast=high"]
    assert all(b"\xff" not in page and "\ue000".encode() not in page for page in stored.values())
