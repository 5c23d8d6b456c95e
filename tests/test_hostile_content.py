"""One bad file never takes a kiosk down. Content reaches every kiosk of a fleet through Syncthing, so a
hostile or broken file (an alias bomb, a character the kiosk keeps for itself, a link out of the folder,
a file of absurd size) must cost each kiosk that file and nothing else: one clear `file:line` line from
`content check` and in the log, every other page served."""

from __future__ import annotations

import shutil

import pytest

from kiosk.content.help_list import ServiceError, parse_service
from kiosk.content.loader import load_library
from kiosk.content.serving import content_holder

from .conftest import CONTENT, SLUGS

pytestmark = pytest.mark.usefixtures("own_instance")

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{letter}: &{letter} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, letter in zip("abcdefgh", "bcdefghi", strict=True))
"""About 400 bytes that stand for 9^9 (387 million) values once anything walks them."""


@pytest.fixture
def library(tmp_path):
    """A copy of the shipped library to damage."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    return folder


def check(runner, folder) -> tuple[int, str]:
    result = runner.invoke(args=["content", "check", str(folder)])
    return result.exit_code, result.output


def every_article_page(app, languages=("en", "ar")) -> dict[str, int]:
    client = app.test_client()
    return {f"/{tag}/articles/{slug}": client.get(f"/{tag}/articles/{slug}").status_code
            for tag in languages for slug in SLUGS}


def test_the_alias_bomb_is_what_it_claims():
    import yaml
    assert len(ALIAS_BOMB) < 500
    assert yaml.safe_load(ALIAS_BOMB)["i"][0][0][0][0][0][0][0][0] == ["x"] * 9


@pytest.mark.parametrize("where, text", [
    ("topics.yaml", ALIAS_BOMB),
    ("help.yaml", ALIAS_BOMB),
    ("articles/consent/en.md", "---\n" + ALIAS_BOMB + "---\n\nBody.\n"),
])
def test_an_alias_bomb_is_refused_with_its_line_and_the_rest_is_served(library, make_app, where, text):
    (library / where).write_text(text, encoding="utf-8")
    app = make_app(content=library, languages="en,ar")
    code, output = check(app.test_cli_runner(), library)
    assert code == 1
    assert f"{where}:" in output and "aliases" in output
    assert len(output) < 20_000  # the values are never walked, let alone printed
    pages = every_article_page(app)
    expected = {page: 200 for page in pages}
    if where.startswith("articles/consent"):
        expected.update({"/en/articles/consent": 404, "/ar/articles/consent": 404})  # its source is the bomb
    assert pages == expected
    assert app.test_client().get("/healthz").get_json()["content_errors"] >= 1


@pytest.mark.parametrize("where, old, new", [
    ("articles/consent/en.md", "summary: What consent means", "summary: What \ue000consent\ue001 means"),
    ("articles/boundaries/en.md", "topics:", "source_url: https://example.org/\ue000x\ue001\ntopics:"),
    ("topics.yaml", "en: Closeness and intimacy", "en: Closeness \ue000and\ue002 intimacy"),
    ("help.yaml", "address: ", "address: \ue001 "),
    ("articles/intimacy/fr.md", "## ", "## \uf8ff"),
])
def test_a_private_use_character_is_refused_and_never_breaks_a_page(library, make_app, where, old, new):
    path = library / where
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    app = make_app(content=library, languages="en,fr,ar")
    code, output = check(app.test_cli_runner(), library)
    assert code == 1 and f"{where}:" in output and "private-use character" in output
    pages = every_article_page(app, ("en", "fr", "ar"))
    assert set(pages.values()) <= {200, 404}
    assert sum(status == 200 for status in pages.values()) >= len(pages) - 3
    client = app.test_client()
    for address in ("/en/", "/fr/", "/en/help", "/en/search?q=consent", "/en/topics/closeness"):
        assert client.get(address).status_code in (200, 404), address
    assert client.get("/healthz").get_json()["content_errors"] >= 1


@pytest.mark.parametrize("field", ["name", "address", "website", "hours"])
def test_the_staff_editor_refuses_a_private_use_character(field):
    values = {"id": "clinic", "kinds": ["general"], "name": {"en": "Clinic"}, "phone": "+1 555 0100"}
    values[field] = {"en": "Open \ue000 late"} if field in ("name", "hours") else "https://a.example/\ue001"
    with pytest.raises(ServiceError):
        parse_service(values, "en")


def test_a_publisher_pdf_linked_from_outside_the_folder_is_refused_and_never_served(library, make_app, tmp_path):
    secret = tmp_path / "elsewhere.pdf"
    secret.write_bytes(b"%PDF-1.4 not content: a file elsewhere on the kiosk\n%%EOF\n")
    (library / "articles" / "consent" / "leaflet.pdf").symlink_to(secret)
    source = library / "articles" / "consent" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("licence:", "publisher_pdf: leaflet.pdf\nlicence:"),
                      encoding="utf-8")
    app = make_app(content=library, languages="en")
    code, output = check(app.test_cli_runner(), library)
    assert code == 1 and "consent/en.md:" in output and "outside the content folder" in output
    pdf = app.test_client().get("/en/articles/consent/handout.pdf")
    assert pdf.status_code == 200 and b"a file elsewhere" not in pdf.data  # the generated handout instead


def test_a_link_made_after_the_library_was_read_is_not_followed(library, make_app, tmp_path):
    leaflet = library / "articles" / "consent" / "leaflet.pdf"
    leaflet.write_bytes(b"%PDF-1.4 the publisher's own leaflet\n%%EOF\n")
    source = library / "articles" / "consent" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("licence:", "publisher_pdf: leaflet.pdf\nlicence:"),
                      encoding="utf-8")
    app = make_app(content=library, languages="en", content_poll_seconds=0)
    client = app.test_client()
    assert b"the publisher's own leaflet" in client.get("/en/articles/consent/handout.pdf").data
    secret = tmp_path / "elsewhere.pdf"
    secret.write_bytes(b"%PDF-1.4 a file elsewhere on the kiosk\n%%EOF\n")
    leaflet.unlink()
    leaflet.symlink_to(secret)
    assert b"a file elsewhere" not in client.get("/en/articles/consent/handout.pdf").data


def test_an_article_folder_linked_from_outside_is_skipped(library, make_app, tmp_path):
    outside = tmp_path / "outside-article"
    shutil.copytree(library / "articles" / "consent", outside)
    (library / "articles" / "borrowed").symlink_to(outside, target_is_directory=True)
    loaded = load_library(library)
    assert "borrowed" not in loaded.articles
    assert any("borrowed" in str(problem) and "outside the content folder" in str(problem)
               for problem in loaded.problems)


def test_an_articles_folder_linked_from_outside_is_skipped_whole(library, tmp_path):
    outside = tmp_path / "outside-articles"
    shutil.move(library / "articles", outside)
    (library / "articles").symlink_to(outside, target_is_directory=True)
    loaded = load_library(library)
    assert not loaded.articles
    assert any("consent" in str(problem) and "outside the content folder" in str(problem)
               for problem in loaded.problems)


def test_a_loop_of_links_among_the_article_folders_costs_only_itself(library):
    (library / "articles" / "loop").symlink_to("loop")
    (library / "articles" / "nowhere").symlink_to(library / "missing")
    (library / "articles" / "notes.txt").write_text("not an article", encoding="utf-8")
    loaded = load_library(library)
    assert set(loaded.articles) == set(SLUGS)
    # Each link is named once, for staff to mend; a file beside the folders is no article, and no problem.
    skipped = sorted(str(problem.path.relative_to(library)) for problem in loaded.problems
                     if "leads nowhere" in problem.message)
    assert skipped == ["articles/loop", "articles/nowhere"]
    assert not any("notes.txt" in str(problem) for problem in loaded.problems)


def test_only_a_link_among_the_article_folders_is_followed_to_see_where_it_leads(library, tmp_path, monkeypatch):
    # Resolving every folder's path took seconds of a one-article update at 10,000 articles.
    from kiosk.content import loader
    (library / "articles" / "borrowed").symlink_to(tmp_path, target_is_directory=True)
    followed = []
    real_inside = loader.inside
    monkeypatch.setattr(loader, "inside", lambda folder, path: (followed.append(path), real_inside(folder, path))[1])
    loaded = load_library(library)
    folders_looked_at = [path for path in followed if path.parent == library / "articles" or path == library / "articles"]
    assert folders_looked_at == [library / "articles", library / "articles" / "borrowed"]
    assert "borrowed" not in loaded.articles and "consent" in loaded.articles


def test_a_file_of_absurd_size_is_refused_without_reading_it_all(library):
    huge = library / "articles" / "consent" / "es.md"
    with huge.open("a", encoding="utf-8") as file:
        file.write("Palabras. " * 300_000)  # about 3 MiB
    loaded = load_library(library)
    assert any("consent/es.md" in str(problem) and "larger than" in str(problem) for problem in loaded.problems)
    assert "es" not in loaded.articles["consent"].versions and "en" in loaded.articles["consent"].versions


@pytest.mark.parametrize("name", ["topics.yaml", "help.yaml"])
def test_a_running_kiosk_keeps_the_last_good_topics_and_help_list(library, make_app, name):
    app = make_app(content=library, languages="en")
    before = content_holder(app).current.library
    (library / name).write_text(ALIAS_BOMB, encoding="utf-8")
    after = load_library(library, fallback=before)
    assert after.topics == before.topics and after.help.services == before.help.services
    assert any(name in str(problem) and "last good version" in str(problem) for problem in after.problems)
    assert set(after.articles) == set(before.articles)


def test_without_a_readable_topics_file_a_fresh_kiosk_still_serves_every_article(library, make_app):
    (library / "topics.yaml").write_text("just: [unclosed\n", encoding="utf-8")
    app = make_app(content=library, languages="en")
    assert set(every_article_page(app, ("en",)).values()) == {200}
