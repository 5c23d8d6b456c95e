"""Each language's compiled templates are kept in the instance folder, so a restart compiles none."""

from __future__ import annotations

import jinja2
import pytest

from kiosk import create_app
from kiosk.i18n import COMPILED_TEMPLATES


@pytest.fixture
def compiles(monkeypatch):
    """Count the templates Jinja compiles from source."""
    counted = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        counted.append(name)
        return original(self, source, name, filename, raw, defer_init)
    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return counted


def make(instance, **config):
    return create_app({"TESTING": True, "instance": instance, "languages": "en,fr,ar", **config})


def test_a_restart_compiles_no_template_and_each_language_keeps_its_own_words(tmp_path, compiles):
    make(tmp_path / "instance")
    assert len(compiles) > 20
    compiles.clear()
    app = make(tmp_path / "instance")
    assert compiles == []
    client = app.test_client()
    assert 'lang="fr"' in client.get("/fr/").get_data(as_text=True)
    english, french, arabic = (client.get(f"/{tag}/about").get_data(as_text=True) for tag in ("en", "fr", "ar"))
    assert "Skip to main content" in english
    assert "Skip to main content" not in french and "Skip to main content" not in arabic
    assert french != arabic


def test_a_damaged_file_is_compiled_again_and_the_page_still_serves(tmp_path, compiles):
    make(tmp_path / "instance")
    for kept in (tmp_path / "instance" / COMPILED_TEMPLATES).glob("fr-*.cache"):
        kept.write_bytes(b"not a compiled template")
    compiles.clear()
    app = make(tmp_path / "instance")
    assert compiles  # compiled again, from source
    assert app.test_client().get("/fr/about").status_code == 200
    compiles.clear()
    make(tmp_path / "instance")
    assert compiles == []  # and kept again


def test_files_of_an_older_catalog_or_kiosk_are_removed(tmp_path):
    folder = tmp_path / "instance" / COMPILED_TEMPLATES
    folder.mkdir(parents=True)
    (folder / "fr-0000000000000000-old.cache").write_bytes(b"older")
    (folder / "de-0000000000000000-old.cache").write_bytes(b"a language not offered is left alone")
    make(tmp_path / "instance")
    assert not (folder / "fr-0000000000000000-old.cache").exists()
    assert (folder / "de-0000000000000000-old.cache").exists()


def test_a_folder_that_cannot_be_written_compiles_at_each_start(tmp_path, compiles):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / COMPILED_TEMPLATES).write_text("a file where the folder should be")
    for start in range(2):
        compiles.clear()
        app = make(instance)
        assert compiles, start
        assert app.test_client().get("/fr/about").status_code == 200


@pytest.fixture
def layouts_rendered(monkeypatch):
    """Count the layouts rendered from their template."""
    from kiosk import layout
    counted = []
    original = layout.Layouts._render
    monkeypatch.setattr(layout.Layouts, "_render", lambda self, *place: (counted.append(place),
                                                                         original(self, *place))[1])
    return counted


def test_a_restart_renders_no_layout_and_serves_the_same_pages(tmp_path, layouts_rendered):
    # 121 layouts for twelve languages took a quarter of a second of every start.
    first = make(tmp_path / "instance")
    assert len(layouts_rendered) > 3
    pages = ["/ar/articles/consent?size=3", "/fr/", "/en/search?q=consent", "/ar/staff/"]
    before = [first.test_client().get(page).get_data(as_text=True) for page in pages]
    layouts_rendered.clear()
    restarted = make(tmp_path / "instance")
    assert layouts_rendered == []
    assert [restarted.test_client().get(page).get_data(as_text=True) for page in pages] == before


@pytest.mark.parametrize("change", ["idle_seconds", "static file"])
def test_a_setting_or_a_static_file_that_changed_renders_the_layouts_again(tmp_path, layouts_rendered, change,
                                                                           monkeypatch):
    from kiosk import web
    make(tmp_path / "instance")
    layouts_rendered.clear()
    if change == "static file":  # kiosk.css as another version of the kiosk ships it
        real = web.static_hashes
        monkeypatch.setattr(web, "static_hashes", lambda folder: real(folder) | {"kiosk.css": "0123456789ab"})
        app = make(tmp_path / "instance")
        assert "kiosk.css?v=0123456789ab" in app.test_client().get("/en/").get_data(as_text=True)
    else:
        app = make(tmp_path / "instance", idle_seconds=97)
        assert 'data-idle-seconds="97"' in app.test_client().get("/en/").get_data(as_text=True)
    assert layouts_rendered


@pytest.mark.parametrize("damage", [b"\x00\xde\xad", b"[]", b'{"key": 5}', b'{"layouts": []}'])
def test_damaged_layouts_are_named_once_set_aside_and_rendered_again(tmp_path, layouts_rendered, damage, caplog):
    from kiosk.layout import LAYOUTS_FILE
    make(tmp_path / "instance")
    kept = tmp_path / "instance" / LAYOUTS_FILE
    kept.write_bytes(damage)
    layouts_rendered.clear()
    app = make(tmp_path / "instance")
    assert layouts_rendered and app.test_client().get("/fr/about").status_code == 200
    assert [record.getMessage() for record in caplog.records if LAYOUTS_FILE in record.getMessage()]
    assert (tmp_path / "instance" / (LAYOUTS_FILE + ".damaged")).exists()
    layouts_rendered.clear()
    make(tmp_path / "instance")
    assert layouts_rendered == []  # and kept again
