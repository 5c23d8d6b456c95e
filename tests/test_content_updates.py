"""New content without a restart: publishing with a manifest, and a running kiosk taking each complete version.

The unit tests call ``ContentUpdates.check`` themselves (a test app starts no
thread) with a clock they move on; the live test runs a real kiosk on waitress
looking at its folder ten times a second while pages are asked for.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import weakref
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk import create_app
from kiosk.content.manifest import MANIFEST, Checker, content_files, publish, read_manifest, verify
from kiosk.content.serving import content_holder
from kiosk.content.updates import ContentUpdates, content_updates
from kiosk.deploy.readiness import run_checks
from kiosk.patron.article_pages import article_pages

from .conftest import ROOT, free_port, seeded, signed_in, wait_until_answering

TOPICS = "care:\n  en: Taking care\n  es: Cuidarse\n"


def source(title: str, body: str, revision: int = 1) -> str:
    """An English source article."""
    return (f"---\ntitle: {title}\nsummary: A short test article.\ntopics: [care]\nrevision: {revision}\n"
            f"attribution: \"© Test\"\nlicence: CC BY 4.0\n---\n\n{body}\n")


def translation(title: str, body: str, revision: int = 1) -> str:
    """A Spanish translation of it."""
    return (f"---\ntitle: {title}\nsummary: Un artículo de prueba.\ntranslated_from: {revision}\n"
            f"reviewed: false\n---\n\n{body}\n")


def write_version(folder: Path, number: int, *, extra: bool = False) -> None:
    """Version ``number`` of a small library: every title and body says which version it is."""
    (folder / "articles" / "rest").mkdir(parents=True, exist_ok=True)
    (folder / "topics.yaml").write_text(f"# version {number}\n{TOPICS}", encoding="utf-8")
    (folder / "articles" / "rest" / "en.md").write_text(
        source(f"Rest v{number}", f"Body of rest v{number}."), encoding="utf-8")
    (folder / "articles" / "rest" / "es.md").write_text(
        translation(f"Descanso v{number}", f"Cuerpo de descanso v{number}."), encoding="utf-8")
    if extra:
        (folder / "articles" / "water").mkdir(exist_ok=True)
        (folder / "articles" / "water" / "en.md").write_text(
            source(f"Water v{number}", f"Body of water v{number}."), encoding="utf-8")


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path):
    """A published content folder at version 1."""
    path = tmp_path / "content"
    write_version(path, 1)
    publish(path, "v1")
    return path


@pytest.fixture
def kiosk(folder, tmp_path):
    """A test kiosk over ``folder`` (no thread: the test looks when it chooses), its looker and its clock."""
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder,
                      "languages": "en,es", "content_settle_seconds": 5})
    clock = Clock()
    updates = app.extensions["kiosk_content_updates"] = ContentUpdates(app, clock=clock)
    # Its index built: a look is then a child's (``taking``), as in a kiosk past its first start.
    updates.holder.current.index.result()
    updates.check()
    return app, updates, clock


def health(app) -> dict:
    return app.test_client().get("/healthz").get_json()


def page(app, address: str) -> str:
    response = app.test_client().get(address)
    assert response.status_code == 200, address
    return response.get_data(as_text=True)


# The manifest and `content publish`

def test_publish_lists_every_file_with_its_size_and_sha256_and_verifies(folder):
    (folder / ".stfolder").mkdir()
    (folder / "articles" / "rest" / ".syncthing.en.md.tmp").write_text("arriving")
    (folder / "articles" / "rest" / "en.md~").write_text("an editor's backup")
    manifest = read_manifest(folder)
    assert manifest.version == "v1" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", manifest.published_at)
    assert sorted(manifest.files) == ["articles/rest/en.md", "articles/rest/es.md", "topics.yaml"]
    data = (folder / "topics.yaml").read_bytes()
    assert manifest.files["topics.yaml"] == (len(data), hashlib.sha256(data).hexdigest())
    assert verify(folder) == (manifest, [])


def test_a_version_is_named_by_the_time_and_the_files(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_version(first, 1)
    write_version(second, 2)
    one, two = publish(first), publish(second)
    assert re.match(r"^\d{4}-\d\d-\d\d\.\d{4}\.[0-9a-f]{6}$", one.version)
    assert one.version != two.version


def test_the_checker_names_each_file_that_differs(folder):
    manifest = read_manifest(folder)
    (folder / "articles" / "rest" / "es.md").unlink()
    en = folder / "articles" / "rest" / "en.md"
    en.write_text(en.read_text().replace("v1", "v9"))  # same size, other bytes
    (folder / "topics.yaml").write_text("# version 1\n" + TOPICS + "more: {en: More}\n")
    (folder / "articles" / "rest" / "fr.md").write_text("not published")
    differences = Checker().differences(folder, manifest, content_files(folder))
    assert differences == [
        "articles/rest/en.md: different content",
        "articles/rest/es.md: missing",
        f"topics.yaml: {len(TOPICS) + 29} bytes, the manifest says {len(TOPICS) + 12}",
        "articles/rest/fr.md: not in the manifest",
    ]


def hashed_files(monkeypatch) -> list[str]:
    """The content files the checker hashes from now on, by name, in order."""
    from kiosk.content import manifest
    hashed, real = [], manifest.sha256_of
    monkeypatch.setattr(manifest, "sha256_of", lambda path: hashed.append(Path(path).name) or real(path))
    return hashed


def test_a_checker_after_a_restart_hashes_only_the_files_changed_since_it_last_checked(folder, tmp_path,
                                                                                      monkeypatch):
    from kiosk.content.manifest import CHECKED_FILE
    kept = tmp_path / CHECKED_FILE
    assert Checker(kept).differences(folder, read_manifest(folder), content_files(folder)) == []
    en = folder / "articles" / "rest" / "en.md"
    en.write_text(en.read_text().replace("v1", "v2"))
    (folder / "articles" / "rest" / "es.md").unlink()
    publish(folder, "v2")
    hashed = hashed_files(monkeypatch)
    restarted = Checker(kept)  # nothing of the first held in memory
    assert restarted.differences(folder, read_manifest(folder), content_files(folder)) == []
    assert hashed == ["en.md"]
    with sqlite3.connect(kept) as store:  # one row a present file: the one removed went
        assert sorted(path for (path,) in store.execute("SELECT path FROM hashes")) == [
            "articles/rest/en.md", "topics.yaml"]
    assert kept.stat().st_mode & 0o777 == 0o600


def test_the_hashes_kept_are_matched_to_the_manifest_in_one_pass_whatever_comes_and_goes(folder, tmp_path,
                                                                                        monkeypatch):
    from kiosk.content.manifest import CHECKED_FILE
    kept = tmp_path / CHECKED_FILE
    # Names that sort around each other ("-" before "/", before letters), some kept, some not yet.
    for name in ("a", "a-b", "b", "rest-0", "z"):
        shutil.copytree(folder / "articles" / "rest", folder / "articles" / name)
    publish(folder, "v1")
    assert Checker(kept).differences(folder, read_manifest(folder), content_files(folder)) == []
    with sqlite3.connect(kept) as store, store:
        store.execute("DELETE FROM hashes WHERE path LIKE 'articles/a-b/%' OR path = 'articles/z/en.md'")
    shutil.rmtree(folder / "articles" / "a")  # kept, and now gone
    shutil.copytree(folder / "articles" / "rest", folder / "articles" / "c")  # neither kept nor checked yet
    changed = folder / "articles" / "b" / "en.md"
    changed.write_text(changed.read_text().replace("v1", "v2"))
    publish(folder, "v2")
    from kiosk.content import manifest
    hashed, real = [], manifest.sha256_of
    monkeypatch.setattr(manifest, "sha256_of",
                        lambda path: hashed.append(Path(path).relative_to(folder).as_posix()) or real(path))
    assert Checker(kept).differences(folder, read_manifest(folder), content_files(folder)) == []
    assert hashed == ["articles/a-b/en.md", "articles/a-b/es.md", "articles/b/en.md", "articles/c/en.md",
                      "articles/c/es.md", "articles/z/en.md"]
    assert Checker(kept).differences(folder, read_manifest(folder), content_files(folder)) == []
    assert len(hashed) == 6  # every one kept since


def test_a_damaged_file_of_checked_hashes_is_set_aside_in_one_line_and_the_check_stays_right(folder, tmp_path,
                                                                                            caplog):
    from kiosk.content.manifest import CHECKED_FILE
    kept = tmp_path / CHECKED_FILE
    kept.write_bytes(b"not a database, whatever its name says" * 100)
    en = folder / "articles" / "rest" / "en.md"
    en.write_text(en.read_text().replace("v1", "v9"))  # same size, other bytes
    checker = Checker(kept)
    assert checker.differences(folder, read_manifest(folder), content_files(folder)) == [
        "articles/rest/en.md: different content"]
    said = [record.getMessage() for record in caplog.records if CHECKED_FILE in record.getMessage()]
    assert len(said) == 1 and "set aside" in said[0]
    assert (tmp_path / (CHECKED_FILE + ".damaged")).exists()
    assert checker.differences(folder, read_manifest(folder), content_files(folder)) == [
        "articles/rest/en.md: different content"]  # made again, and kept there
    with sqlite3.connect(kept) as store:
        assert store.execute("SELECT count(*) FROM hashes").fetchone()[0] == 3


def test_where_the_checked_hashes_cannot_be_kept_they_are_held_in_memory(folder, tmp_path, caplog, monkeypatch):
    from kiosk.content.manifest import CHECKED_FILE
    kept = tmp_path / "no-such-folder" / CHECKED_FILE  # cannot be made, even by root
    checker = Checker(kept)
    assert checker.differences(folder, read_manifest(folder), content_files(folder)) == []
    assert sum("cannot be kept" in record.getMessage() for record in caplog.records) == 1
    hashed = hashed_files(monkeypatch)
    assert checker.differences(folder, read_manifest(folder), content_files(folder)) == []
    assert hashed == [] and not kept.parent.exists()


def test_a_kiosk_keeps_its_checked_hashes_in_its_instance_folder(kiosk, folder, monkeypatch):
    from kiosk.content.loader import load_library
    from kiosk.content.manifest import CHECKED_FILE
    app, updates, clock = kiosk
    kept = Path(app.instance_path) / CHECKED_FILE
    assert kept.exists()
    en = folder / "articles" / "rest" / "en.md"
    en.write_text(en.read_text().replace("v1", "v2"))
    publish(folder, "v2")
    assert updates.take_now()  # checked by a child, against the hashes kept
    with sqlite3.connect(kept) as store:
        assert dict(store.execute("SELECT path, sha256 FROM hashes")) == {
            path: sha256 for path, (_size, sha256) in read_manifest(folder).files.items()}
    # The kiosk's own checker (a library held in memory is looked at by the kiosk itself) reads the same file.
    updates.holder.replace(load_library(folder), "v2", True)
    restarted = ContentUpdates(app, clock=clock)
    en.write_text(en.read_text().replace("v2", "v3"))
    publish(folder, "v3")
    hashed = hashed_files(monkeypatch)
    assert restarted.take_now()
    assert health(app)["content_version"] == "v3" and hashed == ["en.md"]


def test_content_publish_writes_the_manifest(app, tmp_path):
    path = tmp_path / "content"
    write_version(path, 1)
    result = app.test_cli_runner().invoke(args=["content", "publish", str(path), "--version", "spring-2027"])
    assert result.exit_code == 0, result.output
    assert "Published version spring-2027: 3 files" in result.output
    assert verify(path)[0].version == "spring-2027" and verify(path)[1] == []
    check = app.test_cli_runner().invoke(args=["content", "check", str(path)])
    assert "manifest: version spring-2027, every file as published" in check.output


def test_content_publish_refuses_a_folder_with_errors_and_leaves_the_manifest(app, folder):
    before = (folder / MANIFEST).read_bytes()
    (folder / "articles" / "rest" / "en.md").write_text("---\ntitle: [never closed\n---\nBody\n")
    result = app.test_cli_runner().invoke(args=["content", "publish", str(folder)])
    assert result.exit_code == 1
    assert "not published: 2 errors" in result.output and "en.md" in result.output
    assert (folder / MANIFEST).read_bytes() == before
    check = app.test_cli_runner().invoke(args=["content", "check", str(folder)])
    assert "manifest: version v1, 1 file differs" in check.output
    assert "articles/rest/en.md: " in check.output


def test_a_damaged_manifest_is_reported_not_fatal(app, folder):
    (folder / MANIFEST).write_text('{"format": 1, "version": "v2", "files": {"topics.y')
    check = app.test_cli_runner().invoke(args=["content", "check", str(folder)])
    assert check.exit_code == 0 and "manifest: manifest.json is not a complete manifest" in check.output


# A running kiosk taking new versions

def test_the_version_served_is_known_from_the_start(kiosk):
    app, _, _ = kiosk
    status = health(app)
    assert status["content_version"] == "v1" and status["content_published"] is True
    assert status["content_waiting"] is None
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", status["content_taken_at"])


def test_a_new_article_and_a_changed_translation_are_served_once_published(kiosk, folder):
    app, updates, _ = kiosk
    assert "Descanso v1" in page(app, "/es/articles/rest")
    assert app.test_client().get("/en/articles/water").status_code == 404
    write_version(folder, 2, extra=True)
    assert not updates.check()  # the files are new, the manifest still says v1: not complete
    assert health(app)["content_version"] == "v1"
    publish(folder, "v2")
    assert updates.check()
    assert "Descanso v2" in page(app, "/es/articles/rest")
    assert "Body of water v2" in page(app, "/en/articles/water")
    assert "Water v2" in page(app, "/en/search?q=water")
    status = health(app)
    assert status["content_version"] == "v2" and status["content_waiting"] is None
    assert not updates.check()  # nothing new: nothing done


@pytest.mark.parametrize("held_in_memory", [False, True])
def test_a_version_taken_goes_over_the_folder_listing_once_for_its_digest(kiosk, folder, monkeypatch,
                                                                          held_in_memory):
    # Each pass over a 10,000-article library's 120,000 files took a tenth of a second or more of an update.
    # The kiosk walks its folder; a child lists it (none of its passes is counted here), or else the kiosk.
    from kiosk.content import manifest
    from kiosk.content.loader import load_library
    app, updates, _ = kiosk
    # Counted in this thread alone: a kiosk of an earlier test in this process may still look at its own folder.
    # A listing is a list by then (sorted); a walk hands its files over one by one, keeping none.
    real, passes, here = manifest._digest, [], threading.get_ident()
    monkeypatch.setattr(manifest, "_digest", lambda files: (
        passes.append("listing" if isinstance(files, list) else "walk") if threading.get_ident() == here else None,
        real(files))[1])
    for number in (2, 3):
        if held_in_memory:
            updates.holder.replace(load_library(folder), f"v{number - 1}", True)
        write_version(folder, number)
        publish(folder, f"v{number}")
        passes.clear()
        assert (updates.check() if number == 2 else updates.take_now())
        assert health(app)["content_version"] == f"v{number}"
        # The look's walk found a change; the listing then, once.
        walked = ["walk"] if number == 2 else []
        assert passes == (walked + ["listing"] if held_in_memory else walked)


@pytest.mark.parametrize("held_in_memory", [False, True])
def test_a_version_taken_gives_back_its_room_once_its_listing_is_let_go_of(kiosk, folder, monkeypatch,
                                                                          held_in_memory):
    # At 10,000 articles the listing is 600,000 objects; given back before it was let go of, 65 MiB stayed taken.
    # A child lists the folder and the kiosk none; a kiosk whose library is held in memory lists it itself.
    from kiosk.content import updates as updates_module
    from kiosk.content.loader import load_library
    _, updates, _ = kiosk
    if held_in_memory:
        updates.holder.replace(load_library(folder), "v1", True)

    class Listing(dict):
        """A listing that can be watched going."""
    listings, given_back, real = [], [], updates_module.content_files

    def listed(path):
        listing = Listing(real(path))
        listings.append(weakref.ref(listing))
        return listing
    monkeypatch.setattr(updates_module, "content_files", listed)
    monkeypatch.setattr(updates_module, "release_free_memory",
                        lambda: given_back.append([listing() is None for listing in listings]))
    write_version(folder, 2)
    publish(folder, "v2")
    assert updates.check()
    assert given_back == [[True] if held_in_memory else []]  # once, the listing gone
    assert not updates.check()  # nothing new: nothing to give back
    write_version(folder, 3)
    publish(folder, "v3")
    assert updates.take_now()
    # (v2, read by the kiosk itself, was recorded in the start-up cache: v3 is a child's to read.)
    assert given_back == ([[True], [True]] if held_in_memory else [[], []])
    assert health(kiosk[0])["content_version"] == "v3"


def test_a_look_at_a_folder_that_has_not_changed_walks_it_and_keeps_no_listing(kiosk, folder, monkeypatch):
    # A listing of a 10,000-article library is 120,000 entries and tens of MiB, made and let go of at every look.
    from kiosk.content import updates as updates_module
    _, updates, _ = kiosk
    listed, real = [], updates_module.content_files
    monkeypatch.setattr(updates_module, "content_files", lambda path: (listed.append(path), real(path))[1])
    assert not updates.check() and not updates.check()
    assert listed == []
    (folder / "topics.yaml").write_text(f"# edited\n{TOPICS}", encoding="utf-8")
    assert not updates.check()  # a change against the manifest: listed, judged, and not taken
    assert listed == [] and updates.holder.waiting is not None  # by a child: the kiosk holds no listing


class Watching:
    """What ``_look_every`` reads of a watcher beside its looks: its folder, and what it is waiting for."""

    folder = Path()

    def __init__(self) -> None:
        from types import SimpleNamespace
        self.holder = SimpleNamespace(waiting=None)


class StopAfter:
    """The watcher's stop event, for ``_look_every``: notes each pause it is asked to wait, and stops the watcher
    after ``looks`` of them."""

    def __init__(self, looks: int):
        self.pauses: list[float] = []
        self._looks = looks

    def wait(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        return len(self.pauses) > self._looks


def test_a_look_that_takes_long_is_followed_by_a_longer_pause_unless_it_took_a_new_version():
    """Looks take at most ``LOOKS_SHARE`` of a core, whatever the poll: a big library's walk takes most of a second."""
    from kiosk.content import updates as updates_module
    taken = iter([True, False, False])

    class Watcher(Watching):
        children_seconds = 0.0  # its looks start no child

        def look(self):
            began = time.thread_time()
            while time.thread_time() - began < 0.02:  # a fiftieth of a second of the processor, spent here
                pass
            return next(taken)

    watcher, stop = Watcher(), StopAfter(3)
    updates_module._look_every(lambda: watcher, stop, 0.1)
    # The first look after the poll's 0.1 s; after the look that took a version, 0.1 s again: more may come.
    assert stop.pauses[:2] == [0.1, 0.1]
    # After a look that took 0.02 s of a core and nothing else: at least 0.02 / LOOKS_SHARE = 0.4 s.
    assert min(stop.pauses[2:]) >= 0.02 / updates_module.LOOKS_SHARE
    assert updates_module.pause_after(3, 0.01) == 3


def test_the_processor_time_of_a_looks_child_counts_in_its_pause(kiosk, folder):
    from kiosk.content import updates as updates_module
    _, updates, _ = kiosk
    before = updates.children_seconds
    (folder / "topics.yaml").write_text(f"# edited\n{TOPICS}", encoding="utf-8")
    assert not updates.check()  # judged by a child, which says how long it took
    assert updates.children_seconds > before

    class Watcher(Watching):
        children_seconds = 0.0

        def look(self):
            self.children_seconds += 0.1  # a tenth of a second of the processor, spent by its child
            return False

    stop, watcher = StopAfter(2), Watcher()
    updates_module._look_every(lambda: watcher, stop, 0.1)
    assert min(stop.pauses[1:]) >= 0.1 / updates_module.LOOKS_SHARE


def test_the_files_a_half_arrived_version_lacks_are_watched_through_the_pause_once_a_pause(tmp_path):
    from kiosk.content import updates as updates_module
    from kiosk.content.manifest import Waiting
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "here.md").write_text("old", encoding="utf-8")
    judged = content_files(tmp_path)["articles/here.md"]
    awaited = (("articles/here.md", judged), ("articles/coming.md", None))

    class Watcher(Watching):
        children_seconds = 0.0

        def look(self):
            self.children_seconds += 1.0  # a child's look: a pause of 1 / LOOKS_SHARE = 20 s after it
            self.holder.waiting = Waiting("v2", ("articles/here.md: different content", "articles/coming.md: missing"),
                                          "arriving", awaited)
            return False

    watcher, stop = Watcher(), StopAfter(3)
    watcher.folder = tmp_path
    (tmp_path / "articles" / "coming.md").write_text("new", encoding="utf-8")  # one of the two is there...
    assert not updates_module.arrived(tmp_path, awaited)
    (tmp_path / "articles" / "here.md").write_text("new!", encoding="utf-8")  # ...and now both
    assert updates_module.arrived(tmp_path, awaited)
    (tmp_path / "articles" / "coming.md").unlink()
    assert updates_module.arrived(tmp_path, (("articles/coming.md", content_files(tmp_path)["articles/here.md"]),))
    (tmp_path / "articles" / "coming.md").write_text("new", encoding="utf-8")
    updates_module._look_every(lambda: watcher, stop, 0.1)
    # The first look after the poll's 0.1 s; then, within the 20 s pause, the files it lacked are looked at
    # 0.1 s later, found there, and the folder looked at again at once. That look was made early: its whole
    # pause follows, unwatched.
    assert stop.pauses[:2] == [0.1, 0.1] and stop.pauses[2] >= 1.0 / updates_module.LOOKS_SHARE
    assert updates_module.watched_after(watcher.holder.waiting, taken=False, early=False) == awaited
    assert updates_module.watched_after(watcher.holder.waiting, taken=True, early=False) == ()
    assert updates_module.watched_after(None, taken=False, early=False) == ()


def test_only_the_folders_own_files_that_a_version_lacks_are_watched(folder):
    from kiosk.content.taking import judge
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    data["version"] = "v2"
    data["files"]["articles/rest/fr.md"] = {"size": 1, "sha256": "0" * 64}
    (folder / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    manifest, waiting = judge(folder, content_files(folder), Checker())
    assert manifest is None and waiting.version == "v2" and waiting.awaited == (("articles/rest/fr.md", None),)
    # A manifest that names files elsewhere (damaged, or hostile) is never complete: nothing outside is watched.
    for elsewhere in ("../outside.md", "/etc/hostname", "articles/../../outside.md"):
        data["files"][elsewhere] = {"size": 1, "sha256": "0" * 64}
        (folder / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
        manifest, waiting = judge(folder, content_files(folder), Checker())
        assert manifest is None and f"{elsewhere}: missing" in waiting.reasons and waiting.awaited == ()
        del data["files"][elsewhere]


def test_files_changed_under_the_served_manifest_or_a_manifest_unreadable_have_the_manifest_watched(folder):
    # What comes next begins with a manifest written again: a new version's, whose files came first, or the
    # rest of one still being written. The files already changed will not change again for it.
    from kiosk.content.taking import judge
    (folder / "topics.yaml").write_text(f"# version 2\n{TOPICS}", encoding="utf-8")
    files = content_files(folder)
    manifest, waiting = judge(folder, files, Checker(), served="v1")
    assert manifest is None and (waiting.version, waiting.kind) == ("v1", "changed")
    assert waiting.reasons[0].startswith("topics.yaml: ") and waiting.awaited == ((MANIFEST, files[MANIFEST]),)
    (folder / MANIFEST).write_text('{"format": 1, "vers', encoding="utf-8")
    files = content_files(folder)
    manifest, waiting = judge(folder, files, Checker(), served="v1")
    assert manifest is None and waiting.kind == "unreadable" and waiting.awaited == ((MANIFEST, files[MANIFEST]),)


@pytest.fixture
def slowly_looking(folder, tmp_path, monkeypatch):
    """A running kiosk over ``folder`` whose every child's look is followed by a minute or more, as at 10,000
    articles (a share of a core a tenth of the kiosk's own); and version 2, published in a staging folder."""
    from kiosk.content import updates as updates_module
    monkeypatch.setattr(updates_module, "LOOKS_SHARE", 0.005)
    staging = tmp_path / "staging"
    write_version(staging, 2)
    publish(staging, "v2")
    app = create_app({"instance": seeded(tmp_path / "instance"), "content": folder, "languages": "en,es",
                      "content_poll_seconds": 0.1})
    yield app, content_holder(app), staging
    content_updates(app).stop()


def served_well_before_the_pause(app, holder, landed: float) -> None:
    """Wait for version 2 to be served after what it waited for ``landed`` (``time.monotonic``): well before
    the whole pause after the look that found it kept back, at least 0.25 s / 0.005 = 50 s here."""
    while holder.current.version != "v2":
        assert time.monotonic() - landed < 45, "served only after the whole pause"
        time.sleep(0.01)
    assert holder.waiting is None and "Rest v2" in page(app, "/en/articles/rest")


def test_a_big_librarys_version_whose_manifest_comes_last_is_served_once_it_lands(folder, slowly_looking):
    # A sync may deliver a version's files before its manifest; a look between them finds files that differ
    # from the version served. At 10,000 articles the pause after such a look is about 50 s.
    app, holder, staging = slowly_looking
    for name in ("topics.yaml", "articles/rest/en.md", "articles/rest/es.md"):
        (folder / name).write_bytes((staging / name).read_bytes())
    deadline = time.monotonic() + 120
    # (A look between two of the files finds fewer changed; whichever it found, all are there before the
    # manifest, and none changes again.)
    while holder.waiting is None or holder.waiting.kind != "changed":
        assert time.monotonic() < deadline, "the version's files were never looked at"
        time.sleep(0.01)
    assert holder.current.version == "v1"
    landed = time.monotonic()
    # As Syncthing puts a file in place: written beside it, then renamed over it.
    (folder / ".syncthing.manifest.json.tmp").write_bytes((staging / MANIFEST).read_bytes())
    (folder / ".syncthing.manifest.json.tmp").replace(folder / MANIFEST)
    served_well_before_the_pause(app, holder, landed)


def test_a_big_librarys_version_caught_half_arrived_is_served_once_its_last_file_lands(folder, slowly_looking):
    # At 10,000 articles a look that finds a version half-arrived takes about 2.5 s of a core, and the pause
    # after it about 50 s.
    app, holder, staging = slowly_looking
    for name in (MANIFEST, "topics.yaml", "articles/rest/es.md"):  # the English file is still on its way
        (folder / name).write_bytes((staging / name).read_bytes())
    deadline = time.monotonic() + 120
    while holder.waiting is None or holder.waiting.version != "v2":
        assert time.monotonic() < deadline, "the half-arrived version was never looked at"
        time.sleep(0.01)
    # (A look between two of the files copied lacks more; the English one is lacked whenever it looks.)
    assert ("articles/rest/en.md", content_files(folder)["articles/rest/en.md"]) in holder.waiting.awaited
    assert holder.current.version == "v1"
    landed = time.monotonic()
    (folder / "articles" / "rest" / "en.md").write_bytes((staging / "articles" / "rest" / "en.md").read_bytes())
    served_well_before_the_pause(app, holder, landed)


def test_a_half_arrived_version_is_never_served_and_says_what_is_missing(kiosk, folder, tmp_path):
    app, updates, _ = kiosk
    staging = tmp_path / "staging"
    write_version(staging, 2, extra=True)
    publish(staging, "v2")
    # The manifest arrives first, then the files one by one (as a sync may deliver them).
    (folder / MANIFEST).write_bytes((staging / MANIFEST).read_bytes())
    updates.check()
    status = health(app)
    assert status["content_version"] == "v1"
    assert status["content_waiting"]["version"] == "v2" and status["content_waiting"]["kind"] == "arriving"
    assert "articles/water/en.md: missing" in status["content_waiting"]["reasons"]
    for name in ("articles/rest/en.md", "topics.yaml", "articles/rest/es.md"):
        (folder / name).write_bytes((staging / name).read_bytes())
        assert not updates.check()
        assert "Rest v1" in page(app, "/en/articles/rest") and "Descanso v1" in page(app, "/es/articles/rest")
    water = folder / "articles" / "water" / "en.md"
    water.parent.mkdir()
    water.write_bytes((staging / "articles" / "water" / "en.md").read_bytes()[:40])  # still being written
    assert not updates.check()
    assert "articles/water/en.md" in health(app)["content_waiting"]["reasons"][0]
    water.write_bytes((staging / "articles" / "water" / "en.md").read_bytes())
    assert updates.check()
    assert health(app)["content_version"] == "v2" and health(app)["content_waiting"] is None
    assert "Descanso v2" in page(app, "/es/articles/rest")


def test_a_file_changed_by_hand_after_publishing_keeps_the_published_version(kiosk, folder):
    app, updates, clock = kiosk
    en = folder / "articles" / "rest" / "en.md"
    en.write_text(source("Rest edited", "Edited here."))
    clock.now += 60
    assert not updates.check()
    assert "Rest v1" in page(app, "/en/articles/rest")
    waiting = health(app)["content_waiting"]
    assert waiting["kind"] == "changed" and waiting["version"] == "v1"
    assert len(waiting["reasons"]) == 1 and waiting["reasons"][0].startswith("articles/rest/en.md: ")


def test_a_damaged_manifest_keeps_the_last_good_version(kiosk, folder):
    app, updates, _ = kiosk
    write_version(folder, 2)
    (folder / MANIFEST).write_text('{"format": 1, "vers')
    assert not updates.check()
    assert "Rest v1" in page(app, "/en/articles/rest")
    assert health(app)["content_waiting"] == {"version": None, "kind": "unreadable", "files_left": 1,
                                              "reasons": ["manifest.json is not a complete manifest"]}


def test_a_folder_without_a_manifest_is_taken_once_it_settles(kiosk, folder):
    app, updates, clock = kiosk
    (folder / MANIFEST).unlink()
    write_version(folder, 2)
    assert not updates.check()
    clock.now += 4
    assert not updates.check()  # changed less than five seconds ago: perhaps still being edited
    assert "Rest v1" in page(app, "/en/articles/rest")
    clock.now += 2
    assert updates.check()
    assert "Rest v2" in page(app, "/en/articles/rest")
    status = health(app)
    assert status["content_version"].startswith("local-") and status["content_published"] is False


def test_a_broken_file_in_a_folder_without_a_manifest_keeps_the_last_good_article(kiosk, folder):
    app, updates, clock = kiosk
    (folder / MANIFEST).unlink()
    (folder / "articles" / "rest" / "en.md").write_text("---\ntitle: [broken\n---\n")
    (folder / "articles" / "rest" / "es.md").write_text(translation("Descanso nuevo", "Cuerpo nuevo."))
    updates.check()
    clock.now += 6
    assert updates.check()
    assert "Rest v1" in page(app, "/en/articles/rest")
    problems = [str(problem) for problem in content_holder(app).current.library.problems]
    assert any("the last good version of this article is still served" in problem for problem in problems)
    assert health(app)["content_warnings"] >= 1


def start_while_a_new_version_lands(folder, tmp_path, monkeypatch, *, published: bool):
    """A test kiosk whose start reads version 1, and version 2 lands once the files are read."""
    import kiosk.content.serving
    real_load = kiosk.content.serving.load_library

    def load_then_sync(*args, **kwargs):
        library = real_load(*args, **kwargs)
        write_version(folder, 2, extra=True)
        if published:
            publish(folder, "v2")
        return library

    monkeypatch.setattr(kiosk.content.serving, "load_library", load_then_sync)
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder,
                      "languages": "en,es", "content_settle_seconds": 5})
    monkeypatch.setattr(kiosk.content.serving, "load_library", real_load)
    clock = Clock()
    return app, ContentUpdates(app, clock=clock), clock


def test_a_version_published_while_the_kiosk_starts_is_taken_at_the_first_look(folder, tmp_path, monkeypatch):
    app, updates, _ = start_while_a_new_version_lands(folder, tmp_path, monkeypatch, published=True)
    assert "Rest v1" in page(app, "/en/articles/rest")
    assert health(app)["content_version"] != "v2"  # never named after files it did not read
    assert updates.check()
    assert health(app)["content_version"] == "v2"
    assert "Body of water v2" in page(app, "/en/articles/water")


def test_files_edited_while_the_kiosk_starts_are_taken_once_they_settle(folder, tmp_path, monkeypatch):
    (folder / MANIFEST).unlink()
    app, updates, clock = start_while_a_new_version_lands(folder, tmp_path, monkeypatch, published=False)
    assert "Rest v1" in page(app, "/en/articles/rest")
    assert not updates.check()
    clock.now += 6
    assert updates.check()
    assert "Rest v2" in page(app, "/en/articles/rest")


def test_a_handout_being_made_keeps_the_library_it_started_with(kiosk, folder, monkeypatch):
    app, updates, _ = kiosk
    from kiosk.handouts import handout
    real = handout.handout_page

    def swap_then_render(*args, **kwargs):
        write_version(folder, 2)
        publish(folder, "v2")
        assert updates.check()  # a new version is served from here on, mid-request
        return real(*args, **kwargs)
    monkeypatch.setattr(handout, "handout_page", swap_then_render)
    response = app.test_client().get("/en/articles/rest/handout.pdf")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Body of rest v1." in text and "v2" not in text
    assert "Rest v2" in page(app, "/en/articles/rest")


def test_the_staff_screen_shows_the_version_and_what_is_arriving(folder, tmp_path):
    from kiosk.staff.pin import set_pin

    from .conftest import STAFF_PIN
    set_pin(tmp_path / "instance", STAFF_PIN)
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder})
    updates = content_updates(app)
    screen = signed_in(app).get("/staff/").get_data(as_text=True)
    assert "Version served: v1, since " in screen and "Every file is as published." in screen
    write_version(folder, 2)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["version"] = "v2"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    updates.check()
    screen = signed_in(app).get("/staff/").get_data(as_text=True)
    assert "Version v2 is arriving." in screen and "articles/rest/en.md: different content" in screen


def test_readiness_says_whether_the_folder_is_synced_and_published(folder, tmp_path):
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder})
    line = next(str(c) for c in run_checks(app, path="") if c.name == "content updates")
    assert line == "OK    content updates: a folder not synced by Syncthing, published version v1; looked at every 3 s"
    (folder / ".stfolder").mkdir()
    (folder / "topics.yaml").write_text("# version 1\n" + TOPICS + "\n")
    line = next(str(c) for c in run_checks(app, path="") if c.name == "content updates")
    assert line.startswith("WARN  content updates: a Syncthing folder; version v1 is not complete (1 of its files not as published)")


# A new version read by a process of its own

def test_a_new_version_is_read_by_a_process_of_its_own_and_served_as_it_recorded_it(kiosk, folder, monkeypatch):
    # Reading a version leaves its room behind in the process that read it: the kiosk reads nothing itself.
    from kiosk.content import loader, taking
    from kiosk.content import updates as updates_module
    from kiosk.content.stored import StoredArticles
    app, updates, _ = kiosk
    before = updates.holder.current
    outcomes = []
    monkeypatch.setattr(updates_module, "look_in_a_child", lambda order: (
        outcomes.append(taking.look_in_a_child(order)), outcomes[-1])[1])
    monkeypatch.setattr(updates_module, "content_files", lambda *_: pytest.fail("the kiosk listed its folder"))
    monkeypatch.setattr(loader, "_load_folder", lambda *_: pytest.fail("an article was read by the kiosk"))
    write_version(folder, 2, extra=True)
    publish(folder, "v2")
    assert updates.check()
    assert [outcome.result for outcome in outcomes] == [taking.TAKEN] and outcomes[0].indexed
    after = updates.holder.current
    assert after.version == "v2" and after.published and isinstance(after.library.articles, StoredArticles)
    assert "Rest v2" in page(app, "/en/articles/rest") and "Water v2" in page(app, "/en/articles/water")
    assert after.search.path == before.search.path and after.search.generation == before.search.generation + 1
    assert after.search.search("en", "water") == ["water"] and before.search.search("en", "water") == []
    assert health(app)["content_version"] == "v2"


def test_a_child_that_fails_leaves_the_version_to_the_kiosk_with_one_line(kiosk, folder, monkeypatch, caplog):
    from kiosk.content import taking
    app, updates, _ = kiosk
    monkeypatch.setattr(taking, "COMMAND", (sys.executable, "-c", "raise SystemExit('no room for a child')"))
    write_version(folder, 2)
    publish(folder, "v2")
    assert updates.check()
    assert "Rest v2" in page(app, "/en/articles/rest") and health(app)["content_version"] == "v2"
    said = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert said == ["content: the kiosk looks at its folder itself: the child failed (no room for a child)"]


def test_a_library_held_in_memory_is_never_handed_to_a_child(kiosk, folder, monkeypatch, caplog):
    # The child reads the served library from the start-up cache's file: one held in memory (the instance
    # folder could not hold it) is not there, and the kiosk takes the new version itself, without a word.
    from kiosk.content import taking
    from kiosk.content.loader import load_library
    app, updates, _ = kiosk
    updates.holder.replace(load_library(folder), "v1", True)
    monkeypatch.setattr(taking, "COMMAND", (sys.executable, "-c", "raise SystemExit('a child was started')"))
    write_version(folder, 2)
    publish(folder, "v2")
    assert updates.check()
    assert "Rest v2" in page(app, "/en/articles/rest")
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_what_the_child_logs_is_said_by_the_kiosk_once(kiosk, folder, caplog):
    # The served search index, damaged on disk: the child sets it aside in one line naming it, and builds the
    # new version's whole; the kiosk says that line, and serves the new index.
    app, updates, _ = kiosk
    served = updates.holder.current.search.path
    with open(served, "r+b") as file:
        file.seek(0)
        file.write(b"not a database at all, not any more" * 4)
    write_version(folder, 2)
    publish(folder, "v2")
    assert updates.check()
    lines = [record.getMessage() for record in caplog.records if str(served) in record.getMessage()]
    assert len(lines) == 1 and "set aside" in lines[0], lines
    assert updates.holder.current.search.search("en", "rest") == ["rest"]
    assert updates.holder.current.search.path != served


# A real kiosk, a steady load, a hundred versions

def test_a_hundred_versions_under_load_never_fail_or_mix(tmp_path):
    folder, staging = tmp_path / "content", tmp_path / "staging"
    write_version(folder, 0)
    publish(folder, "v0")
    port = free_port()
    code = ("from waitress import serve; from kiosk import create_app; "
            f"serve(create_app({{'instance': {str(tmp_path / 'instance')!r}, 'content': {str(folder)!r}, "
            f"'languages': 'en,es', 'content_poll_seconds': 0.1}}), host='127.0.0.1', port={port}, "
            "threads=4, ident=None)")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, ""

    try:
        wait_until_answering(base, server)
        published = {0}
        failures: list[str] = []
        pages_seen = [0]
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                status, text = get("/en/articles/rest?compare=es")
                pages_seen[0] += 1
                if status != 200:
                    failures.append(f"status {status}")
                    continue
                found = {int(n) for n in re.findall(r"(?:Rest|Body of rest|Descanso|Cuerpo de descanso) v(\d+)", text)}
                if len(found) != 1 or not found <= published:
                    failures.append(f"mixed or unpublished versions {sorted(found)}")

        clients = [threading.Thread(target=load) for _ in range(3)]
        for client in clients:
            client.start()
        order = random.Random(7)
        for number in range(1, 101):
            write_version(staging, number)
            publish(staging, f"v{number}")
            names = ["topics.yaml", "articles/rest/en.md", "articles/rest/es.md", MANIFEST]
            order.shuffle(names)  # the files arrive in any order, the manifest first or last
            slowly = number % 4 == 0  # then the kiosk looks between every two files
            for position, name in enumerate(names):
                if position == len(names) - 1:
                    published.add(number)  # complete from the next write on
                (folder / name).write_bytes((staging / name).read_bytes())
                time.sleep(0.15 if slowly else 0.002)
            deadline = time.monotonic() + 60  # a loaded machine may take long; taken at all is what counts
            while json.loads(get("/healthz")[1])["content_version"] != f"v{number}":
                assert time.monotonic() < deadline, f"v{number} was not taken within 60 s"
                time.sleep(0.01)
        stop.set()
        for client in clients:
            client.join()
        assert failures == []
        assert pages_seen[0] > 300
        assert "Rest v100" in get("/en/articles/rest")[1]
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[1]
    assert "/en/articles" not in log and "compare" not in log  # the log names no page


def test_a_running_kiosk_let_go_of_is_freed_and_its_threads_end(tmp_path):
    before = set(threading.enumerate())
    # Not a test kiosk: it polls its folder, releases each day's usage figures and writes health metrics,
    # each in a thread of its own.
    app = create_app({"instance": seeded(tmp_path / "instance"), "languages": "en,ar", "content_poll_seconds": 60,
                      "usage_figures": "on", "metrics_folder": str(tmp_path / "metrics")})
    names = {"kiosk-content-updates", "kiosk-usage-days", "kiosk-metrics"}
    threads = [thread for thread in set(threading.enumerate()) - before if thread.name in names]
    assert {thread.name for thread in threads} == names
    assert article_pages(app).wait_until_built()  # a round of rendering holds its kiosk while it runs
    gone = weakref.ref(app)
    del app
    # The rendering thread says the pages are built a moment before its round lets go of the kiosk.
    deadline = time.monotonic() + 30
    while gc.collect() is not None and gone() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gone() is None, [type(holder).__name__ for holder in gc.get_referrers(gone())]
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), thread.name
