"""The start-up cache: an unchanged library is not parsed again, and any change is."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.content import loader, startup_cache
from kiosk.content.loader import load_library
from kiosk.content.manifest import content_files, listing_digest
from kiosk.content.startup_cache import CACHE_FILE, StartupCache
from kiosk.content.stored import DamagedFile, StoredArticles

from .conftest import CONTENT, FIXTURES, ROOT


@pytest.fixture
def library_copy(tmp_path):
    return shutil.copytree(CONTENT, tmp_path / "content")


def load(folder, instance):
    cache = StartupCache(instance)
    library = cache.keep(load_library(folder, cache=cache), listing_digest(content_files(folder)))
    return library, cache


def test_a_second_load_takes_every_article_from_the_cache(library_copy, tmp_path):
    first, cold = load(library_copy, tmp_path / "instance")
    second, warm = load(library_copy, tmp_path / "instance")
    assert cold.hits == 0 and warm.hits == len(list((library_copy / "articles").iterdir()))
    assert second.articles.keys() == first.articles.keys()
    assert second.articles["consent"].versions["fr"] == first.articles["consent"].versions["fr"]


def test_a_load_from_the_cache_follows_links_in_a_few_paths_not_in_every_article_folder(library_copy, tmp_path,
                                                                                        monkeypatch):
    # Following every folder's path (a pure-Python walk of every part of it) took seconds of an update at
    # 10,000 articles. A folder that is a link is still keyed by where it leads.
    for number in range(20):
        shutil.copytree(library_copy / "articles" / "consent", library_copy / "articles" / f"consent-{number:02d}")
    elsewhere = shutil.copytree(library_copy / "articles" / "consent", library_copy / "elsewhere")
    (library_copy / "articles" / "linked").symlink_to(elsewhere, target_is_directory=True)
    load(library_copy, tmp_path / "instance")
    resolved = []
    real_resolve = Path.resolve
    monkeypatch.setattr(Path, "resolve", lambda path, strict=False: (resolved.append(path),
                                                                     real_resolve(path, strict))[1])
    library, cache = load(library_copy, tmp_path / "instance")
    assert cache.hits == len(library.articles) == 27
    assert len(resolved) < 10
    assert library_copy / "articles" / "linked" in resolved
    moved = shutil.move(elsewhere, library_copy / "moved")  # the same files (the same inodes), elsewhere
    (library_copy / "articles" / "linked").unlink()
    (library_copy / "articles" / "linked").symlink_to(moved, target_is_directory=True)
    library, cache = load(library_copy, tmp_path / "instance")
    assert "linked" in library.articles and cache.hits == 26  # it leads elsewhere now: read again


def test_a_changed_file_is_parsed_again_and_only_its_article(library_copy, tmp_path, monkeypatch):
    load(library_copy, tmp_path / "instance")
    translation = library_copy / "articles" / "boundaries" / "es.md"
    translation.write_text(translation.read_text(encoding="utf-8").replace("title: ", "title: Nuevo ", 1),
                           encoding="utf-8")
    parsed = []
    real_load_folder = loader._load_folder
    monkeypatch.setattr(loader, "_load_folder", lambda folder, topics: (parsed.append(folder.name),
                                                                       real_load_folder(folder, topics))[1])
    library, cache = load(library_copy, tmp_path / "instance")
    assert cache.hits == 5 and parsed == ["boundaries"]
    assert library.articles["boundaries"].versions["es"].title.startswith("Nuevo ")


def folder_rows(instance: Path) -> int:
    with closing(sqlite3.connect(instance / CACHE_FILE)) as db:
        return db.execute("SELECT count(*) FROM folders").fetchone()[0]


def test_code_replaced_on_disk_while_the_kiosk_runs_does_not_empty_the_cache_it_serves(library_copy, tmp_path,
                                                                                     monkeypatch):
    # An upgrade puts the next version's files in place before the restart; an update taken meanwhile by the
    # running kiosk would otherwise key its rows by code it does not run, and empty the file it serves from.
    load(library_copy, tmp_path / "instance")
    upgraded = tmp_path / "loader.py"
    upgraded.write_text(Path(loader.__file__).read_text(encoding="utf-8") + "\n# the next version\n",
                        encoding="utf-8")
    monkeypatch.setattr(loader, "__file__", str(upgraded))
    assert load(library_copy, tmp_path / "instance")[1].hits == 6


def test_a_first_build_cut_short_resumes_from_the_articles_it_had_written(library_copy, tmp_path, monkeypatch):
    # A power cut during a long first build: what was written is not parsed again.
    monkeypatch.setattr(startup_cache, "WRITTEN_AT_ONCE", 4)
    load_library(library_copy, cache=StartupCache(tmp_path / "instance"))  # never kept: the start is cut short
    assert folder_rows(tmp_path / "instance") == 4
    parsed = []
    real_load_folder = loader._load_folder
    monkeypatch.setattr(loader, "_load_folder", lambda folder, topics: (parsed.append(folder.name),
                                                                       real_load_folder(folder, topics))[1])
    library, cache = load(library_copy, tmp_path / "instance")
    assert cache.hits == 4 and parsed == sorted(path.name for path in (library_copy / "articles").iterdir())[4:]
    assert library.articles["consent"] == load_library(library_copy).articles["consent"]


def test_articles_parsed_are_let_go_of_once_written_and_read_back_from_the_file(library_copy, tmp_path, monkeypatch):
    # So a big library is never held whole while it is read (2 GiB at 10,000 articles when it was).
    monkeypatch.setattr(startup_cache, "WRITTEN_AT_ONCE", 4)
    library = load_library(library_copy, cache=StartupCache(tmp_path / "instance"))
    fresh = load_library(library_copy)
    with closing(sqlite3.connect(tmp_path / "instance" / CACHE_FILE)) as db, db:
        db.execute("DELETE FROM versions")
    written, held = list(library.articles)[:4], list(library.articles)[4:]
    for slug in written:
        with pytest.raises(DamagedFile):
            library.articles[slug].versions["en"]
    assert [library.articles[slug] == fresh.articles[slug] for slug in held] == [True] * 2


def test_a_disk_that_fills_during_a_build_costs_memory_and_no_article(library_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(startup_cache, "WRITTEN_AT_ONCE", 2)
    cache = StartupCache(tmp_path / "instance")
    real_packed, packed_so_far = startup_cache.packed, []

    def filling_up(result):
        packed_so_far.append(result.slug)
        if len(packed_so_far) == 3:  # the second batch: the file may not grow by a page (SQLite's "disk is full")
            db = cache._db()
            db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        return real_packed(result)
    monkeypatch.setattr(startup_cache, "packed", filling_up)
    library = cache.keep(load_library(library_copy, cache=cache), listing_digest(content_files(library_copy)))
    assert not isinstance(library.articles, StoredArticles)  # held in memory, as with a read-only instance folder
    assert folder_rows(tmp_path / "instance") == 2
    written_before = next(iter(library.articles))
    version = library.articles[written_before].versions["en"]
    assert library.articles[written_before].versions["en"] is not version  # read anew: what was read is not held
    fresh = load_library(library_copy)
    assert [library.articles[slug] == fresh.articles[slug] for slug in fresh.articles] == [True] * 6


def test_problems_come_back_from_the_cache_too(tmp_path):
    first, _ = load(FIXTURES / "mixed", tmp_path / "instance")
    second, warm = load(FIXTURES / "mixed", tmp_path / "instance")
    assert warm.hits > 0
    assert [str(problem) for problem in second.problems] == [str(problem) for problem in first.problems]


def test_the_library_served_is_read_from_the_file_and_held_only_as_a_light_index(library_copy, tmp_path):
    library, _ = load(library_copy, tmp_path / "instance")
    assert isinstance(library.articles, StoredArticles)
    assert library.articles["consent"] is not library.articles["consent"]  # read anew each time, never kept
    assert library.articles["consent"] == load_library(library_copy).articles["consent"]
    assert list(library.articles) == sorted(path.name for path in (library_copy / "articles").iterdir())


@pytest.mark.parametrize("damage", [b"not a database at all", b"", b"SQLite format 3\x00" + b"\xff" * 4096])
def test_a_damaged_cache_is_set_aside_with_one_line_and_built_again(library_copy, tmp_path, caplog, damage):
    instance = tmp_path / "instance"
    load(library_copy, instance)
    (instance / CACHE_FILE).write_bytes(damage)
    caplog.set_level(logging.WARNING)
    library, cache = load(library_copy, instance)
    assert cache.hits == 0 and len(library.articles) == 6
    assert library.articles["consent"].versions["fr"].title
    said = [record.getMessage() for record in caplog.records if CACHE_FILE in record.getMessage()]
    assert len(said) == 1
    assert load(library_copy, instance)[1].hits == 6


def test_the_search_index_is_kept_for_the_same_articles(library_copy, tmp_path, make_app):
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    first = content_holder(app).current.search
    assert first.search("en", "consent")
    restarted = content_holder(make_app(content=library_copy)).current
    assert restarted.index.done() and restarted.search.path == first.path  # opened as it was, not built again
    assert restarted.search.search("en", "consent")


def test_the_index_is_written_page_by_page_into_its_file_never_held_whole(library_copy, tmp_path, monkeypatch):
    # 308 MiB at 10,000 articles in twelve languages: built in memory and copied, it made a first start's peak.
    from kiosk.content import search
    from kiosk.content.search import SearchIndex, write_index_file
    library = load_library(library_copy)
    monkeypatch.setattr(search, "_connect", lambda: pytest.fail("built in memory"))
    written = write_index_file(library, ["en", "fr"], tmp_path / "instance")
    assert written.name.startswith(".search-index-") and written.stat().st_mode & 0o777 == 0o600
    index = SearchIndex.published(written, ["en", "fr"], tuple(library.articles))
    assert not written.exists() and index.path.parent == tmp_path / "instance"
    assert index.search("fr", "consentement")[0] == "consent"
    assert SearchIndex.build(library, ["en"], tmp_path / "instance").search("en", "consent")[0] == "consent"


CHILD_INDEX = """
import os, sys
from pathlib import Path
from kiosk.content import search
from kiosk.content.loader import load_library
from kiosk.content.manifest import content_files, listing_digest
from kiosk.content.serving import _prepare_at_start
from kiosk.content.startup_cache import StartupCache
folder, instance, filled_by = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
real_fill = search._fill
def fill(*arguments):
    filled_by.write_text(str(os.getpid()))
    return real_fill(*arguments)
search._fill = fill
cache = StartupCache(instance)
library = cache.keep(load_library(folder, cache=cache), listing_digest(content_files(folder)))
index = _prepare_at_start(library, cache).index.result(timeout=240)
print(os.getpid(), filled_by.read_text(), index.path.parent == instance, index.search("en", "consent")[0])
"""


def test_at_a_start_a_forked_child_writes_the_index_file_and_this_process_only_opens_it(library_copy, tmp_path):
    # A fresh interpreter: the child is only forked from a process running no other thread.
    finished = subprocess.run([sys.executable, "-c", CHILD_INDEX, str(library_copy), str(tmp_path / "instance"),
                               str(tmp_path / "filled-by")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              check=True)
    ours, filled_by, in_the_folder, found = finished.stdout.split()
    assert filled_by != ours and (in_the_folder, found) == ("True", "consent")


NAMING_FAILS = """
import logging, sys
from pathlib import Path
from kiosk.content import search
from kiosk.content.loader import load_library
from kiosk.content.manifest import content_files, listing_digest
from kiosk.content.serving import _prepare_at_start
from kiosk.content.startup_cache import StartupCache
folder, instance = Path(sys.argv[1]), Path(sys.argv[2])
logging.basicConfig(stream=sys.stdout, format="%(message)s")
def rename_fails(source, target):
    raise PermissionError("the folder turned read-only")
search.os.replace = rename_fails
writes = []
real_write = search.write_index_file
search.write_index_file = lambda *arguments: writes.append(1) or real_write(*arguments)
cache = StartupCache(instance)
library = cache.keep(load_library(folder, cache=cache), listing_digest(content_files(folder)))
index = _prepare_at_start(library, cache).index.result(timeout=240)
print("found", index.search("en", "consent")[0], "path", index.path, "written here", len(writes))
"""


def test_an_index_the_child_wrote_but_could_not_be_named_is_held_in_memory_said_once(library_copy, tmp_path):
    # A fresh interpreter: the child is only forked from a process running no other thread.
    finished = subprocess.run([sys.executable, "-c", NAMING_FAILS, str(library_copy), str(tmp_path / "instance")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    lines = finished.stdout.splitlines()
    assert lines[-1] == "found consent path None written here 0"
    assert sum("the search index cannot be kept" in line for line in lines) == 1
    assert not [path for path in (tmp_path / "instance").iterdir() if "search-index" in path.name]


def test_a_start_cut_short_while_its_index_was_written_leaves_nothing_behind_after_the_next(library_copy, make_app):
    from kiosk.content.search import write_index_file
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    instance = Path(app.instance_path)
    left = write_index_file(content_holder(app).current.library, ["en"], instance)  # never named: cut short
    again = make_app(content=library_copy)  # opens the index it kept
    assert content_holder(again).current.search.search("en", "consent")
    assert not left.exists()
    assert sorted(path.name for path in instance.iterdir() if "search-index" in path.name)[0].startswith(
        "search-index-")


def test_the_served_index_is_a_read_only_file_in_the_instance_folder_and_older_ones_go(library_copy, tmp_path,
                                                                                       make_app):
    import apsw

    from kiosk.content.loader import load_library
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    holder = content_holder(app)
    assert holder.current.search.search("en", "consent")
    (first,) = (tmp_path / "instance").glob("search-index-*.sqlite")
    assert first.stat().st_mode & 0o777 == 0o600
    with pytest.raises(apsw.ReadOnlyError):  # read-only: nothing, not a search, is ever written to it
        holder.current.search.connection.execute("CREATE TABLE visits(x)")
    assert holder.current.search.connection.execute("PRAGMA database_list").fetchone()[2] == str(first)

    shutil.rmtree(library_copy / "articles" / "consent")
    holder.replace(load_library(library_copy))
    (second,) = (tmp_path / "instance").glob("search-index-*.sqlite")
    assert second != first and "consent" not in holder.current.search.search("en", "consent")



def test_two_indexes_made_together_never_remove_each_others_file_before_it_is_open(library_copy, tmp_path,
                                                                                  monkeypatch):
    # The start's index, built in the background, and a new version's can be made at once.
    import threading

    from kiosk.content import search
    from kiosk.content.search import SearchIndex, write_index_file
    folder = tmp_path / "instance"
    library = load_library(library_copy)
    older = write_index_file(library, ["en"], folder)
    shutil.rmtree(library_copy / "articles" / "consent")
    newer = write_index_file(load_library(library_copy), ["en"], folder)
    real_fsync_folder = search.fsync_folder

    def name_while_the_other_is_named(named):
        real_fsync_folder(named)
        if made:
            return
        other = threading.Thread(target=SearchIndex.published, args=(older, ["en"], tuple(library.articles)))
        other.start()
        other.join(timeout=0.5)  # the other's clean-up, between this file's naming and its opening
        made.append(other)

    made = []
    monkeypatch.setattr(search, "fsync_folder", name_while_the_other_is_named)
    index = SearchIndex.published(newer, ["en"], tuple(sorted(set(library.articles) - {"consent"})))
    made[0].join()
    assert index.search("en", "boundaries")


OPENED: list[str] | None = None
"""Paths opened while a test records them (an audit hook cannot be removed: it records only then)."""


def _record_opens(event, arguments):
    if OPENED is not None and event == "open" and isinstance(arguments[0], str | os.PathLike):
        OPENED.append(os.fspath(arguments[0]))


sys.addaudithook(_record_opens)


def test_a_restart_serves_the_kept_library_without_reading_a_content_file(library_copy, make_app):
    global OPENED
    from kiosk.content.serving import content_holder
    from kiosk.patron.article_pages import article_pages
    first = make_app(content=library_copy)
    assert article_pages(first).wait_until_built()
    OPENED = []
    try:
        restarted = make_app(content=library_copy)
        client = restarted.test_client()
        assert "الموافقة" in client.get("/ar/articles/consent").get_data(as_text=True)
        assert "/en/articles/consent" in client.get("/en/search?q=consent").get_data(as_text=True)
        assert article_pages(restarted).wait_until_built()
        opened = list(OPENED)
    finally:
        OPENED = None
    content = str(library_copy.resolve())
    assert [path for path in opened if os.path.abspath(path).startswith(content)] == []
    assert len(content_holder(restarted).current.library.articles) == 6


def test_a_restart_that_does_not_poll_serves_at_once_and_then_takes_what_changed_while_it_was_off(
        library_copy, make_app, tmp_path, monkeypatch):
    from kiosk import create_app
    from kiosk.content import serving, updates
    from kiosk.content.serving import content_holder
    from kiosk.content.updates import content_updates
    from kiosk.patron.article_pages import article_pages
    first = make_app(content=library_copy)
    assert article_pages(first).wait_until_built()
    content_holder(first).current.index.result()  # recorded: the restart opens it, and a look is then a child's
    source = library_copy / "articles" / "boundaries" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Zebrafinch ", 1),
                      encoding="utf-8")
    listed = []  # which thread of the kiosk listed this library's folder (other kiosks of the run may list theirs)

    def note(folder, real):
        if Path(folder).resolve() == library_copy.resolve():
            listed.append(threading.current_thread().name)
        return real(folder)
    for module in (serving, updates):
        monkeypatch.setattr(module, "content_files", lambda folder, real=module.content_files: note(folder, real))
    looked = []  # which thread had a child look at the folder
    monkeypatch.setattr(updates, "look_in_a_child", lambda order, real=updates.look_in_a_child: (
        looked.append(threading.current_thread().name), real(order))[1])
    # Not a test kiosk: one whose threads run, as --content-poll-seconds 0 starts it.
    app = create_app({"instance": tmp_path / "instance", "content": library_copy, "languages": "en,ar",
                      "content_poll_seconds": 0})
    # The first page is the build it kept, served without listing the folder: one look does, in a thread of
    # its own, once that page is out.
    assert "Zebrafinch" not in app.test_client().get("/en/articles/boundaries").get_data(as_text=True)
    assert content_updates(app)._first_page.is_set()  # the look did not wait its longest (10 s) for it
    look = content_updates(app)._thread
    content_updates(app).wait_for_look(120)
    assert not look.is_alive() and looked == ["kiosk-content-look"] and listed == []  # the kiosk lists nothing
    assert content_holder(app).current.library.articles["boundaries"].versions["en"].title.startswith("Zebrafinch ")
    assert "Zebrafinch" in app.test_client().get("/en/articles/boundaries").get_data(as_text=True)


def test_a_version_named_while_its_search_index_is_recorded_keeps_both(library_copy, tmp_path, monkeypatch):
    # A start names its version as its index, built in the background, is recorded: one change once wrote over
    # the other, and the next start built the whole index again, or the next update could not change it.
    from kiosk.content.search import INDEXED_LANGUAGES, SearchIndex
    library, cache = load(library_copy, tmp_path / "instance")
    index = SearchIndex.build(library, INDEXED_LANGUAGES, tmp_path / "instance")
    real_dumps, naming, go_on = startup_cache.pickle.dumps, threading.Event(), threading.Event()

    def slowly_for_the_name(record, protocol):
        if record.version == "v7" and not go_on.is_set():  # the name is being written...
            naming.set()
            go_on.wait()
        return real_dumps(record, protocol=protocol)
    monkeypatch.setattr(startup_cache.pickle, "dumps", slowly_for_the_name)
    name = threading.Thread(target=cache.name_version, args=("v7", True))
    name.start()
    naming.wait()
    put = threading.Thread(target=cache.put_index, args=(cache.index_key(INDEXED_LANGUAGES), index))
    put.start()  # ...when the index is recorded
    put.join(1)  # (given time to write over the name, as it once did)
    go_on.set()
    name.join()
    put.join()
    record = StartupCache(tmp_path / "instance").trusted(library_copy)[1]
    assert record.version == "v7" and record.index is not None and record.index[1] == index.path.name


@pytest.mark.parametrize("in_file", [True, False])
def test_a_recorded_version_whose_index_cannot_be_read_is_indexed_again(library_copy, make_app, in_file):
    # A child recorded a new version; its index file is gone when the kiosk opens the record (or the child could
    # not keep one in a file at all): the kiosk builds it, kept in a file and recorded where the child's was.
    from kiosk.content.search import INDEXED_LANGUAGES
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    holder = content_holder(app)
    holder.current.index.result()
    cache = StartupCache(Path(app.instance_path))
    library, record = cache.trusted(library_copy)
    cache.index(cache.index_key(INDEXED_LANGUAGES))[0].unlink()
    content = holder.replace_with_recorded(cache, library, record, in_file)
    assert holder.current is content and content.search.search("en", "consent")[0] == "consent"
    reopened = StartupCache(Path(app.instance_path))
    recorded = reopened.index(reopened.index_key(INDEXED_LANGUAGES))
    if in_file:
        assert content.search.path.is_file() and recorded[0] == content.search.path
    else:
        assert content.search.path is None and recorded is None


@pytest.mark.parametrize("written_at_once", [startup_cache.WRITTEN_AT_ONCE, 1])
def test_an_update_lists_the_folder_once_and_reads_again_a_file_changed_while_it_was_read(library_copy, make_app,
                                                                                        monkeypatch, written_at_once):
    from kiosk.content import updates
    from kiosk.content.serving import content_holder
    from kiosk.content.taking import ELSEWHERE, Outcome
    from kiosk.content.updates import content_updates
    monkeypatch.setattr(startup_cache, "WRITTEN_AT_ONCE", written_at_once)
    app = make_app(content=library_copy)
    # The kiosk reads the version itself, as it does when no child can (or while its start's index is built):
    # the read watched below is this process's. Left to the moment, a loaded machine's index was sometimes
    # built already, and the child read the folder where nothing watched it.
    monkeypatch.setattr(updates, "look_in_a_child", lambda order: Outcome(ELSEWHERE))
    rows_before = folder_rows(Path(app.instance_path))
    source = library_copy / "articles" / "boundaries" / "en.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("title: ", "title: Zebrafinch ", 1), encoding="utf-8")
    listed = []
    for module in (updates, startup_cache):
        monkeypatch.setattr(module, "content_files", lambda folder, real=module.content_files: (
            listed.append(folder.relative_to(library_copy).as_posix()), real(folder))[1])
    real_load_folder = loader._load_folder

    def edited_while_read(folder, topics):
        result = real_load_folder(folder, topics)
        if not listed.count("articles/boundaries"):  # the first read only: edited again, longer, meanwhile
            source.write_text(text.replace("title: ", "title: Zebrafinches ", 1), encoding="utf-8")
        return result
    monkeypatch.setattr(loader, "_load_folder", edited_while_read)
    assert not content_updates(app).take_now()  # what was read is not served
    assert listed == [".", "articles/boundaries"]  # the folder once, the article read once more
    assert folder_rows(Path(app.instance_path)) == rows_before  # nor kept, if it was written as it was read
    assert content_updates(app).take_now()
    assert content_holder(app).current.library.articles["boundaries"].versions["en"].title.startswith(
        "Zebrafinches ")


def test_a_one_article_change_reads_that_article_and_changes_the_index_for_it_alone(library_copy, make_app,
                                                                                   monkeypatch):
    from kiosk.content.serving import content_holder
    from kiosk.content.updates import content_updates
    app = make_app(content=library_copy)
    before = content_holder(app).current
    before.index.result()  # built: the change is then a child's to read, as in a kiosk past its first start
    assert before.search.path is not None
    rows_before = folder_rows(Path(app.instance_path))
    source = library_copy / "articles" / "boundaries" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Zebrafinch ", 1),
                      encoding="utf-8")
    file = before.search.path.stat()
    assert content_updates(app).take_now()  # read by a process of its own
    after = content_holder(app).current
    assert folder_rows(Path(app.instance_path)) == rows_before + 1  # that article alone was read from its files
    # The index was changed in its own file, not built whole.
    assert after.search.path == before.search.path and after.search.path.stat().st_ino == file.st_ino
    assert after.search.generation == before.search.generation + 1
    assert after.search.search("en", "zebrafinch") == ["boundaries"]
    assert after.search.search("fr", "consentement") == before.search.search("fr", "consentement")
    # A request that took the old version before the swap still reads it whole.
    assert before.search.search("en", "zebrafinch") == []
    assert not before.library.articles["boundaries"].versions["en"].title.startswith("Zebrafinch ")
    assert after.library.articles["boundaries"].versions["en"].title.startswith("Zebrafinch ")
    assert after.library.articles["consent"] == before.library.articles["consent"]
    # The next start opens the changed index as it is.
    restarted = content_holder(make_app(content=library_copy)).current
    assert restarted.index.done() and restarted.search.path == after.search.path
    assert restarted.search.search("en", "zebrafinch") == ["boundaries"]


def test_an_article_changed_or_removed_leaves_none_of_its_old_words_in_the_index(library_copy, make_app):
    # The index keeps no article's words: an article is taken out by being told the words it was put in
    # with. Told others, some of its old words would still find it.
    from kiosk.content.serving import content_holder
    from kiosk.content.updates import content_updates
    app = make_app(content=library_copy)
    started = content_holder(app).current.index.result()  # each change below is then made in its file
    source = library_copy / "articles" / "boundaries" / "en.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("title: Boundaries", "title: Zebrafinch boundaries", 1), encoding="utf-8")
    assert content_updates(app).take_now()
    assert content_holder(app).current.search.search("en", "zebrafinch") == ["boundaries"]
    source.write_text(text, encoding="utf-8")
    assert content_updates(app).take_now()
    search = content_holder(app).current.search
    assert search.search("en", "zebrafinch") == []
    found = search.search("en", "boundaries")
    assert found[0] == "boundaries" and found.count("boundaries") == 1  # put in again once, at its own row
    assert search.search("tl", "zebrafinch") == []
    shutil.rmtree(library_copy / "articles" / "boundaries")
    assert content_updates(app).take_now()
    search = content_holder(app).current.search
    assert search.path == started.path and search.generation == started.generation + 3
    assert "boundaries" not in search.search("en", "boundary") + search.search("fr", "limites")
    assert search.search("en", "consent")[0] == "consent"


def test_the_version_before_a_change_lets_go_of_its_hold_on_the_index_file_once_it_is_let_go_of(library_copy,
                                                                                                 make_app):
    # Its one read of the file, held open from just before the change, keeps the change in SQLite's log until it
    # ends: kept for good, it would keep every later change there too.
    import gc
    import weakref

    from kiosk.content.serving import content_holder
    from kiosk.content.updates import content_updates
    app = make_app(content=library_copy)
    served = content_holder(app).current  # as a request under way holds the version it began with
    before = weakref.ref(served.search)
    source = library_copy / "articles" / "consent" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Quillwort ", 1), encoding="utf-8")
    assert content_updates(app).take_now()
    assert served.search.connection.in_transaction and served.search.search("en", "quillwort") == []
    del served
    gc.collect()
    assert before() is None
    after = content_holder(app).current.search
    assert not after.connection.in_transaction and after.search("en", "quillwort") == ["consent"]


def test_a_cache_file_damaged_while_served_is_named_once_set_aside_and_built_again(library_copy, make_app, caplog):
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    client = app.test_client()
    assert client.get("/ar/articles/consent").status_code == 200
    served = content_holder(app).current
    assert served.keyboard_words.chinese  # the start's own writes to the file are done (its Chinese words, kept there)
    path = library_copy.parent / "instance" / CACHE_FILE
    with path.open("r+b") as file:  # the same file the kiosk has open, overwritten in place after its header
        file.seek(4096)
        file.write(b"\x00\xde\xad" * ((path.stat().st_size - 4096) // 3))
    caplog.set_level(logging.WARNING)
    # An article page alone reads its stored page, not this file: side by side, the article itself is read.
    assert client.get("/ar/articles/boundaries?compare=en").status_code == 500  # the error page, never a traceback
    deadline = time.monotonic() + 120
    while content_holder(app).current is served:  # built again in the background
        assert time.monotonic() < deadline, "never built again"
        time.sleep(0.05)
    response = client.get("/ar/articles/boundaries?compare=en")
    assert response.status_code == 200 and "/ar/articles/boundaries" in response.get_data(as_text=True)
    assert len([record for record in caplog.records if CACHE_FILE in record.getMessage()]) == 1
    assert (path.parent / (CACHE_FILE + ".damaged")).exists()
    assert content_holder(app).current.version == served.version


def test_each_search_lets_go_of_the_pages_it_read(library_copy, make_app):
    from kiosk.content.serving import content_holder
    index = content_holder(make_app(content=library_copy)).current.search
    statements = []

    def traced(_cursor, statement, _bindings):
        statements.append(statement)
        return True
    index.connection.exec_trace = traced
    try:
        assert index.search("en", "consent")
    finally:
        index.connection.exec_trace = None
    assert statements[-1] == "PRAGMA shrink_memory"


def test_an_article_read_for_a_request_leaves_no_page_of_it_in_sqlite_s_memory(library_copy, make_app):
    from kiosk.content.serving import content_holder
    app = make_app(content=library_copy)
    # This thread's connections: the test client's requests run here.
    reader = content_holder(app).current.library.articles.reader()
    statements = []
    reader.set_trace_callback(statements.append)
    try:
        assert app.test_client().get("/ar/articles/consent?compare=en").status_code == 200
    finally:
        reader.set_trace_callback(None)
    assert any("FROM folders" in statement for statement in statements)
    assert statements[-1] == "PRAGMA shrink_memory"


# The start-up work done while the content is read ("meanwhile"): templates are compiled
# then, in this process, while worker processes parse a big library.

def count_calls():
    calls = []
    return calls, lambda: calls.append(len(calls))


@pytest.mark.parametrize("case", ["small library", "no articles folder", "every article from the cache"])
def test_meanwhile_runs_exactly_once_whatever_there_is_to_parse(library_copy, tmp_path, case):
    if case == "no articles folder":
        shutil.rmtree(library_copy / "articles")
    if case == "every article from the cache":
        load(library_copy, tmp_path / "instance")
    calls, meanwhile = count_calls()
    library = load_library(library_copy, cache=StartupCache(tmp_path / "instance"), meanwhile=meanwhile)
    assert calls == [0]
    assert len(library.articles) == (0 if case == "no articles folder" else 6)


BIG_LOAD = """
import multiprocessing, shutil, sys
from pathlib import Path
from kiosk.content.loader import PARALLEL_FROM, load_library
shipped, folder = Path(sys.argv[1]), Path(sys.argv[2])
shutil.copy(shipped / "topics.yaml", folder / "topics.yaml")
for number in range(PARALLEL_FROM + 10):
    shutil.copytree(shipped / "articles" / "consent", folder / "articles" / f"consent-{number:03d}")
workers_seen = []
library = load_library(folder, meanwhile=lambda: workers_seen.append(len(multiprocessing.active_children())))
print(len(workers_seen), workers_seen[0], len(library.articles))
"""


def test_a_big_library_is_parsed_by_worker_processes_while_meanwhile_runs_here(tmp_path):
    # A fresh interpreter: the workers are only forked from a process running no other thread.
    (tmp_path / "big" / "articles").mkdir(parents=True)
    finished = subprocess.run([sys.executable, "-c", BIG_LOAD, str(CONTENT), str(tmp_path / "big")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    calls, workers, articles = map(int, finished.stdout.split())
    assert calls == 1
    assert workers == (os.cpu_count() if (os.cpu_count() or 1) > 1 else 0)
    assert articles == len(list((tmp_path / "big" / "articles").iterdir()))


def test_every_template_is_compiled_in_every_language_while_the_content_is_read(tmp_path, monkeypatch):
    import kiosk.content.serving
    from kiosk import create_app

    compiled_when_loaded = {}
    apps = []

    def load_and_look(folder, *, cache=None, meanwhile):
        library = load_library(folder, cache=cache, meanwhile=meanwhile)
        environments = apps[0].extensions["kiosk_template_environments"]
        compiled_when_loaded.update({tag: set(environment.cache or {}) for tag, environment in environments.items()})
        return library

    real_init = kiosk.content.init_app
    monkeypatch.setattr(kiosk.content.serving, "load_library", load_and_look)
    monkeypatch.setattr(kiosk.content, "init_app", lambda app: (apps.append(app), real_init(app)))
    app = create_app({"instance": str(tmp_path / "instance"), "TESTING": True})
    names = app.jinja_env.list_templates(extensions=["html"])
    assert set(compiled_when_loaded) == {language.tag for language in app.config["KIOSK_LANGUAGES"]}
    for tag, compiled in compiled_when_loaded.items():
        assert len(compiled) == len(names), tag


def test_a_restart_serving_its_kept_build_imports_no_markdown_or_webvtt_parser(tmp_path):
    # It parses nothing: markdown-it and webvtt-py took 40 to 50 ms of every restart to import.
    code = ("import sys; from kiosk import create_app; "
            f"create_app({{'instance': {str(tmp_path / 'instance')!r}, 'content_poll_seconds': 0}}); "
            "print(sorted({'markdown_it', 'mdit_py_plugins', 'webvtt'} & {name.split('.')[0] for name in sys.modules}))")
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "['markdown_it', 'mdit_py_plugins']"  # the first start parses the library
    restart = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert restart.stdout.strip() == "[]"


def test_a_start_imports_nothing_only_the_content_check_needs():
    # The readability formula's word lists and HTML parser took a tenth of a second of every start.
    code = ("import sys; from kiosk import create_app; "
            "print(sorted({'new_dale_chall_readability', 'bs4'} & set(sys.modules)))")
    imported = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def test_rows_unused_for_a_day_go_with_their_versions_and_titles_and_a_start_with_none_looks_for_none(
        library_copy, tmp_path):
    import sqlite3
    library, cache = load(library_copy, tmp_path / "instance")
    key = library.articles.keys_on_disk["consent"]
    statements = []
    cache._db().set_trace_callback(statements.append)
    cache.forget_unused()
    assert not [statement for statement in statements if "versions" in statement or "titles" in statement]
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE folders SET used_at = 0 WHERE key = ?", (key,))
    cache.forget_unused()
    with sqlite3.connect(cache.path) as db:
        assert [db.execute(f"SELECT count(*) FROM {table} WHERE key = ?", (key,)).fetchone()[0]
                for table in ("folders", "versions", "titles")] == [0, 0, 0]
        assert db.execute("SELECT count(*) FROM versions").fetchone()[0] > 0


def test_a_folder_s_digest_worked_out_while_it_is_walked_is_its_listing_s(library_copy):
    from kiosk.content.manifest import folder_digest
    articles = library_copy / "articles"
    for name in ("consent-2", "consent.b", "consent b"):  # each sorts before "consent/" but after "consent"
        shutil.copytree(articles / "consent", articles / name)
    (articles / "consent" / "en.md~").write_text("a backup")
    (articles / "consent" / ".hidden").write_text("not content")
    (articles / "consent-2" / "narration").mkdir()
    (articles / "consent-2" / "narration" / "en.json").write_text("{}")
    (library_copy / "topics.yaml-link").symlink_to(library_copy / "topics.yaml")
    assert folder_digest(library_copy) == listing_digest(content_files(library_copy))
    (articles / "consent.b" / "en.md").write_text("changed")
    assert folder_digest(library_copy) == listing_digest(content_files(library_copy))


def test_once_kept_the_cache_lets_go_of_the_listing_it_was_read_by(library_copy, tmp_path):
    # The keyboard's words are worked out in the background with this cache to keep them in: holding the
    # listing meanwhile held 120,000 files' states at 10,000 articles.
    files = content_files(library_copy)
    state = files["articles/consent/en.md"]
    alone = sys.getrefcount(state)
    cache = StartupCache(tmp_path / "instance", files)
    assert sys.getrefcount(state) > alone  # grouped by article folder, to fingerprint each without reading it
    cache.keep(load_library(library_copy, cache=cache), listing_digest(files))
    assert sys.getrefcount(state) == alone
