"""The article pages kept in the instance folder: one read of one file a page, found by an offset held in
memory; a file of another format, damaged or cut short, is named in one line and its pages made again; a page
whose name's digest is another's is never served for it; a new version adds the pages that changed, alone."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
import threading
import weakref
from datetime import date

import pytest

from kiosk import create_app, reading
from kiosk.content.serving import content_holder
from kiosk.content.updates import content_updates
from kiosk.languages import LANGUAGES
from kiosk.patron import article_pages as module
from kiosk.patron import page_file
from kiosk.patron.article_pages import article_pages
from kiosk.patron.page_file import PAGES_FILE

from .conftest import CONTENT, ROOT, seeded

ADDRESSES = [f"/{tag}/articles/{slug}{choice}" for tag in ("en", "ar") for slug in ("consent", "boundaries")
             for choice in ("", "?size=3&contrast=high")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the shipped library and an instance folder in which a kiosk built it in two languages."""
    folder = tmp_path_factory.mktemp("built")
    content = shutil.copytree(CONTENT, folder / "content")
    app = started(content, seeded(folder / "instance"))
    content_holder(app).current.words.result()  # all its background work done before it is copied
    return content, folder / "instance"


def started(content, instance):
    app = create_app({"TESTING": True, "instance": instance, "content": str(content), "languages": "en,ar"})
    assert article_pages(app).wait_until_built()
    return app


@pytest.fixture
def library_copy(built, tmp_path, request):
    """The built library, or (``"its own"``, for a test that changes it) a copy of its own."""
    if getattr(request, "param", None) == "its own":
        return shutil.copytree(built[0], tmp_path / "content")
    return built[0]


@pytest.fixture
def kiosk(built, library_copy, tmp_path):
    """Start a kiosk over ``library_copy`` in two languages, from a copy of the built instance folder (as a restart),
    its pages built."""
    shutil.copytree(built[1], tmp_path / "instance")
    return lambda: started(library_copy, tmp_path / "instance")


@pytest.fixture
def rendered(monkeypatch):
    """The pages rendered on the spot by the requests of a test (their article and language)."""
    real, calls = module._stored, []
    monkeypatch.setattr(module, "_stored", lambda *arguments: (calls.append(arguments), real(*arguments))[1])
    return calls


@pytest.fixture
def reads(monkeypatch):
    """Every ``os.pread`` of the test, as (descriptor, bytes asked for)."""
    real, calls = os.pread, []
    monkeypatch.setattr(page_file.os, "pread",
                        lambda descriptor, length, offset: (calls.append((descriptor, length)),
                                                            real(descriptor, length, offset))[1])
    return calls


def pages_of(app) -> dict[str, bytes]:
    client = app.test_client()
    return {address: client.get(address).get_data() for address in ADDRESSES}


def served_as_rendered(app, monkeypatch) -> dict[str, bytes]:
    """The same addresses with nothing stored: each page rendered on the spot."""
    with monkeypatch.context() as patch:
        patch.setattr(page_file.PageFile, "get", lambda *arguments: None)
        return pages_of(app)


def test_a_page_is_one_read_of_the_pages_file_and_the_article_is_not_read(kiosk, reads, rendered):
    app = kiosk()
    reads.clear()  # what the start read and rendered
    rendered.clear()
    articles = content_holder(app).current.library.articles.reader()
    statements: list[str] = []
    articles.set_trace_callback(statements.append)
    try:
        page = app.test_client().get("/ar/articles/consent?size=2").get_data()
    finally:
        articles.set_trace_callback(None)
    index = article_pages(app)._store._index
    assert reads == [(index.file.number, index.lengths[index.find(page_file._digest(page_name_of(app)))])]
    assert statements == [] and rendered == []  # its page holds all the page needs
    assert b"/ar/articles/consent?size=2" in page


def test_a_page_of_the_default_display_choices_is_one_read_of_it_whole_in_its_layout(kiosk, reads, rendered,
                                                                                      monkeypatch):
    app = kiosk()
    expected = served_as_rendered(app, monkeypatch)["/en/articles/consent"]
    reads.clear()
    rendered.clear()
    laid_out = []
    real = module.fill_layout
    monkeypatch.setattr(module, "fill_layout", lambda *arguments, **values: (laid_out.append(arguments),
                                                                              real(*arguments, **values))[1])
    page = app.test_client().get("/en/articles/consent").get_data()
    index = article_pages(app)._store._index
    whole = module.in_layout_name(page_name_of(app, "en"))
    assert reads == [(index.file.number, index.lengths[index.find(page_file._digest(whole))])]
    assert rendered == [] and laid_out == []  # read whole: nothing rendered, nothing put in a layout
    assert page == expected
    # With other display choices, or arguments of its own, the page is put in its layout as the request asks.
    assert app.test_client().get("/en/articles/consent?size=2").status_code == 200
    assert app.test_client().get("/en/articles/consent?highlight=1").status_code == 200
    assert len(laid_out) == 2


def test_a_page_kept_in_its_layout_is_not_served_once_a_static_file_changed(kiosk, monkeypatch):
    # A page in its layout names each static file with a digest of its content (so a browser takes the new one):
    # a kiosk whose static files changed, its code and settings the same, must not serve the old names.
    from kiosk import web
    real = web.static_hashes
    monkeypatch.setattr(web, "static_hashes", lambda folder: {**real(folder), "kiosk.css": "0123456789ab"})
    app = kiosk()
    page = app.test_client().get("/en/articles/consent").get_data()
    assert b"kiosk.css?v=0123456789ab" in page
    assert page == served_as_rendered(app, monkeypatch)["/en/articles/consent"]


def test_a_page_kept_in_its_layout_follows_the_settings_staff_save(kiosk, monkeypatch):
    # The idle time is in every layout: the pages kept in their layout are made again with the new one, never
    # served with the old. The signal's receivers run in no set order, so the layouts' own is left out here: the
    # pages must see to the layouts they are kept in (CI once served a page laid out before the save).
    from kiosk.layout import layouts
    from kiosk.settings import save_staff_settings
    from kiosk.signals import signals_of
    app = kiosk()
    signals_of(app).settings_changed.disconnect(layouts(app).rebuild)
    save_staff_settings(app, {"idle_seconds": "345"})
    assert article_pages(app).wait_until_built()
    page = app.test_client().get("/en/articles/consent").get_data()
    assert b'data-idle-seconds="345"' in page
    assert page == served_as_rendered(app, monkeypatch)["/en/articles/consent"]
    assert article_pages(app)._store.has(module.in_layout_name(page_name_of(app, "en")))  # served whole again


def page_name_of(app, language: str = "ar") -> bytes:
    pages = article_pages(app)
    library = content_holder(app).current.library
    return page_file.page_name(pages.context_of(library), library.articles.keys_on_disk["consent"], language)


def test_a_restart_with_every_page_stored_looks_none_of_them_up(kiosk, monkeypatch):
    real, looked = page_file.PageFile.has, []
    monkeypatch.setattr(page_file.PageFile, "has", lambda pages, name: (looked.append(name), real(pages, name))[1])
    kiosk()
    assert len(looked) == 1  # the mark that they are all stored, not each of the 12 pages


def test_a_kiosk_started_on_another_port_looking_at_its_folder_otherwise_keeps_every_page(built, tmp_path,
                                                                                          monkeypatch, rendered):
    # None of these is in a page; each made a big library's 120,000 pages be made again.
    shutil.copytree(built[1], tmp_path / "instance")
    real, looked = page_file.PageFile.has, []
    monkeypatch.setattr(page_file.PageFile, "has", lambda pages, name: (looked.append(name), real(pages, name))[1])
    app = create_app({"TESTING": True, "instance": tmp_path / "instance", "content": str(built[0]), "languages": "en,ar",
                      "port": 8123, "no_browser": True, "content_poll_seconds": 7, "content_settle_seconds": 3,
                      "metrics_folder": str(tmp_path)})
    assert article_pages(app).wait_until_built()
    assert len(looked) == 1 and rendered == []
    # A setting a page does show is still part of what its pages are kept by.
    changed = create_app({"TESTING": True, "instance": tmp_path / "instance", "content": str(built[0]),
                          "languages": "en,ar", "read_aloud": False})
    assert article_pages(changed).wait_until_built()
    assert rendered


def test_the_pages_file_is_read_in_the_background_and_a_page_asked_for_before_is_rendered(kiosk, monkeypatch,
                                                                                         rendered):
    real, opened = page_file.PageFile.__init__, []
    monkeypatch.setattr(page_file.PageFile, "__init__", lambda pages, *arguments, **named: (
        opened.append(threading.current_thread().name), real(pages, *arguments, **named))[1])
    app = kiosk()
    assert opened == ["kiosk-article-pages"]  # not the start's own thread: the first page did not wait for it
    stored = app.test_client().get("/ar/articles/consent").get_data()
    article_pages(app)._store = None  # as before the renderer has read it
    assert app.test_client().get("/ar/articles/consent").get_data() == stored and len(rendered) == 1


def test_a_stored_page_is_the_page_rendered_on_the_spot(kiosk, monkeypatch, rendered):
    app = kiosk()
    rendered.clear()
    stored = pages_of(app)
    assert rendered == []
    assert served_as_rendered(app, monkeypatch) == stored
    assert len(rendered) == len(ADDRESSES)
    assert b"/en/articles/consent?size=3&amp;contrast=high" in stored["/en/articles/consent?size=3&contrast=high"]
    # No hole is left: a stored hole is a byte UTF-8 never uses, so decoding would fail.
    assert all("\ue000" not in page.decode() for page in stored.values())


def test_the_date_a_printed_page_shows_goes_into_the_stored_page_as_text_never_as_markup(kiosk, monkeypatch):
    app = kiosk()
    # Babel writes the dates; were one to hold a character HTML reads as markup, it would still go in as text.
    dates = reading._PrintDates()
    dates.take(date.today(), {known.tag: "5 <déc> & 2026" for known in LANGUAGES})
    monkeypatch.setattr(reading, "_print_dates", dates)
    page = app.test_client().get("/en/articles/consent").get_data()
    assert "5 &lt;déc&gt; &amp; 2026".encode() in page and "<déc>".encode() not in page


def test_a_page_whose_digest_is_another_pages_is_never_served_for_it(kiosk, monkeypatch, rendered):
    monkeypatch.setattr(page_file, "_digest", lambda name: 7)  # every name the same digest: one page stored
    app = kiosk()
    assert list(article_pages(app)._store._index.digests).count(7) == 1
    rendered.clear()
    assert pages_of(app) == served_as_rendered(app, monkeypatch)
    assert len(rendered) >= 2 * len(ADDRESSES) - 2  # all but the one stored page were rendered both times


def test_an_earlier_format_is_set_aside_and_made_again(kiosk, tmp_path, caplog):
    instance = tmp_path / "instance"
    (instance / PAGES_FILE).write_bytes(b"SQLite format 3\0" + bytes(4096))
    (instance / "article-pages.sqlite").write_bytes(b"SQLite format 3\0")  # where the pages were kept before
    app = kiosk()
    assert len(article_pages(app).pages_built()) == 6 * 2
    assert (instance / (PAGES_FILE + ".damaged")).exists() and not (instance / "article-pages.sqlite").exists()
    assert len([record for record in caplog.records if PAGES_FILE in record.getMessage()]) == 1
    assert "الموافقة".encode() in app.test_client().get("/ar/articles/consent").get_data()


def test_a_file_cut_short_serves_its_whole_segments_and_makes_the_rest_again(kiosk, tmp_path, caplog, rendered):
    app = kiosk()
    path, whole = tmp_path / "instance" / PAGES_FILE, article_pages(app)._store._index.end
    expected = pages_of(app)
    segment = path.read_bytes()[len(page_file._FILE_HEAD):][:5000]
    with open(path, "ab") as file:  # as a power cut while a segment was written leaves it
        file.write(segment)
    caplog.set_level(logging.WARNING)
    rendered.clear()
    restarted = kiosk()
    assert [record.getMessage() for record in caplog.records if PAGES_FILE in record.getMessage()] == [
        f"{path} (the pre-rendered article pages) was cut short: its 5000 bytes after byte {whole} are removed, "
        "and those pages rendered again"]
    assert path.stat().st_size == whole and rendered == []  # nothing else was lost
    assert pages_of(restarted) == expected


def test_a_page_damaged_while_served_is_never_served_and_the_file_is_made_again(kiosk, tmp_path, caplog,
                                                                               monkeypatch, reads):
    app = kiosk()
    expected = served_as_rendered(app, monkeypatch)
    pages = article_pages(app)
    index = pages._store._index
    place = index.find(page_file._digest(page_name_of(app)))
    path = tmp_path / "instance" / PAGES_FILE
    with open(path, "r+b") as file:  # a byte of the stored Arabic 'consent' page changed on disk
        file.seek(index.offsets[place] + index.lengths[place] - 100)
        file.write(b"#")
    caplog.set_level(logging.WARNING)
    assert pages_of(app) == expected
    assert len([record for record in caplog.records if PAGES_FILE in record.getMessage()]) == 1
    assert (tmp_path / "instance" / (PAGES_FILE + ".damaged")).exists()
    assert pages.wait_until_built()
    assert len(pages.pages_built()) == 6 * 2
    reads.clear()
    assert pages_of(app) == expected and len(reads) == len(ADDRESSES)  # from the file made again


@pytest.mark.parametrize("library_copy", ["its own"], indirect=True)
def test_a_new_version_adds_the_pages_of_the_article_that_changed_alone(kiosk, library_copy, tmp_path):
    app = kiosk()
    path = tmp_path / "instance" / PAGES_FILE
    before, inode = path.read_bytes(), path.stat().st_ino
    count = len(article_pages(app)._store._index.digests)
    source = library_copy / "articles" / "boundaries" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Zebrafinch ", 1),
                      encoding="utf-8")
    assert content_updates(app).take_now()
    pages = article_pages(app)
    pages.rebuild()  # as the new content's signal asks; waited for here
    assert pages.wait_until_built()
    after = path.read_bytes()
    assert path.stat().st_ino == inode and after.startswith(before)  # added to, nothing rewritten
    # The changed article in its two languages (each page kept twice: alone, and whole in its layout), and the
    # mark that every page of the new version is stored.
    assert len(pages._store._index.digests) == count + 2 * 2 + 1
    assert len(after) - len(before) < 2 * 2 * max(len(page) for page in pages_of(app).values())
    assert b"Zebrafinch " in app.test_client().get("/en/articles/boundaries").get_data()


def test_pages_no_longer_served_go_once_they_take_more_room_than_the_rest(tmp_path):
    pages = page_file.PageFile(tmp_path / PAGES_FILE)
    old = [(f"old\0{number}\0en".encode(), f"Old {number}", bytes(200_000)) for number in range(10)]
    kept = [(b"new\0consent\0en", "Consent", b"<main>yes</main>"), (b"new\0consent\0ar", "Consent", b"<main>")]
    pages.put(old)
    pages.put(kept)
    served_before = pages._index
    assert not pages.compact([name for name, *_ in kept], kept_unused_seconds=3600)  # written too recently
    assert pages.compact([name for name, *_ in kept], kept_unused_seconds=0)
    assert (tmp_path / PAGES_FILE).stat().st_size < 1000
    assert [stored(pages, name) for name, *_ in kept] == [(title, page) for _name, title, page in kept]
    assert pages.get(old[0][0]) is None
    pages._index, now = served_before, pages._index  # a request that began before reads the old file still
    assert stored(pages, old[0][0]) == ("Old 0", bytes(200_000))
    pages._index = now
    assert [stored(page_file.PageFile(tmp_path / PAGES_FILE), name) for name, *_ in kept] == [
        (title, page) for _name, title, page in kept]  # as the next start finds it


def test_segments_are_merged_a_page_at_a_time_the_latest_of_a_page_kept(tmp_path):
    pages = page_file.PageFile(tmp_path / PAGES_FILE)
    for segment in range(3):  # each with a later version of some of the pages before it: 15,000 in all, 9,000 names
        pages.put([(f"page {number}".encode(), f"Title {number}", f"version {segment}".encode())
                   for number in range(segment * 2000, segment * 2000 + 5000)])
    again = page_file.PageFile(tmp_path / PAGES_FILE)
    assert len(again._index.digests) == 9000
    assert [stored(again, name) for name in (b"page 0", b"page 3999", b"page 4000", b"page 8999")] == [
        ("Title 0", b"version 0"), ("Title 3999", b"version 1"), ("Title 4000", b"version 2"),
        ("Title 8999", b"version 2")]
    # What opening the file takes at most, in a process of its own (this one's kiosks may be working meanwhile):
    # the segments' index bytes, each segment's arrays and the merged index, under 64 bytes a page read. A list
    # of every page's digest as objects, sorted, took 2 MB here, and scattered a big library's memory.
    measured = subprocess.run([sys.executable, "-c", (
        "import sys, tracemalloc\nfrom pathlib import Path\nfrom kiosk.patron import page_file\n"
        "tracemalloc.start()\npage_file.PageFile(Path(sys.argv[1]))\nprint(tracemalloc.get_traced_memory()[1])"),
        str(tmp_path / PAGES_FILE)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(measured.stdout) < 64 * 15_000


def stored(pages: page_file.PageFile, name: bytes) -> tuple[str, bytes]:
    title, record, start = pages.get(name)
    return title, record[start:]


@pytest.mark.parametrize("library_copy", ["its own"], indirect=True)
def test_memory_is_given_back_after_a_round_that_rendered_and_not_after_one_that_found_every_page(
        kiosk, library_copy, tmp_path, monkeypatch):
    # Giving back memory is a full garbage collection: worth it after a build, wasted on a restart's round.
    given_back = []
    monkeypatch.setattr(module, "release_free_memory", lambda: given_back.append(True))
    kiosk()  # the library's own copy is another folder: its pages are rendered
    assert given_back == [True]
    started(library_copy, tmp_path / "instance")  # a restart: every page kept
    assert given_back == [True]


def test_a_kiosk_let_go_of_is_freed_and_its_page_builder_ends(make_app):
    before = set(threading.enumerate())
    app = make_app()
    assert article_pages(app).wait_until_built()
    app.test_client().post("/reset")  # a patron session ended, as every kiosk's does
    builders = [thread for thread in set(threading.enumerate()) - before if thread.name == "kiosk-article-pages"]
    assert len(builders) == 1
    gone = weakref.ref(app)
    del app
    gc.collect()
    assert gone() is None, [type(holder).__name__ for holder in gc.get_referrers(gone())]
    builders[0].join(timeout=30)
    assert not builders[0].is_alive()
