"""The instance folder holds only the kiosk's own files, and none of them can take the kiosk down: a damaged
one is set aside with one log line naming it and made again; a folder that cannot be written still serves
every patron page and says what is wrong on `/healthz` and the readiness check."""

from __future__ import annotations

import errno
import logging

import pytest

from kiosk import create_app
from kiosk.content.search import INDEX_FILE_PREFIX
from kiosk.content.serving import content_holder
from kiosk.content.startup_cache import CACHE_FILE
from kiosk.deploy.readiness import run_checks
from kiosk.settings import SAVED_SETTINGS_FILE

from .conftest import signed_in

pytestmark = pytest.mark.usefixtures("own_instance")
PAGES = ["/en/", "/ar/articles/consent", "/zh-Hans/search?q=%E8%BE%B9%E7%95%8C", "/en/search?q=consent",
         "/en/help", "/fr/articles/boundaries/handout"]


def kiosk(instance, **config):
    return create_app({"TESTING": True, "instance": instance, "languages": "en,fr,ar,zh-Hans", **config})


def served(app) -> dict[str, int]:
    client = app.test_client()
    return {page: client.get(page).status_code for page in PAGES}


def said_about(caplog, name: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if name in record.getMessage()]


def index_file(instance):
    found = list(instance.glob(f"{INDEX_FILE_PREFIX}*.sqlite"))
    assert len(found) == 1, found
    return found[0]


def ready_instance(instance):
    """An instance folder as a kiosk leaves it: start-up cache and search index written."""
    app = kiosk(instance)
    with app.app_context():
        content_holder(app).current.search  # the index, once it is built  # noqa: B018
    return app


def test_a_damaged_search_index_file_is_made_again_at_start(tmp_path, caplog):
    instance = tmp_path / "instance"
    ready_instance(instance)
    index = index_file(instance)
    index.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    caplog.set_level(logging.WARNING)
    app = kiosk(instance)
    assert set(served(app).values()) == {200}
    assert len(said_about(caplog, index.name)) == 1
    assert (instance / (index.name + ".damaged")).exists()
    made_again = index_file(instance)  # a file of its own: the damaged one's name is never used again
    assert made_again != index and made_again.read_bytes()[:16] == b"SQLite format 3\x00"
    assert made_again.stat().st_size > 4200


@pytest.mark.parametrize("damage", ["cut short", "changed since it was recorded"])
def test_an_index_file_not_as_the_start_record_names_it_is_made_again_at_start(tmp_path, caplog, damage):
    import apsw
    instance = tmp_path / "instance"
    ready_instance(instance)
    index = index_file(instance)
    if damage == "cut short":
        with index.open("r+b") as file:
            file.truncate(index.stat().st_size // 2)
    else:  # as if the kiosk stopped between changing the file in place and recording it
        writer = apsw.Connection(str(index))
        writer.execute("UPDATE generation SET number = number + 1")
        writer.close()
    caplog.set_level(logging.WARNING)
    app = kiosk(instance)
    assert set(served(app).values()) == {200}
    assert "/en/articles/consent" in app.test_client().get("/en/search?q=consent").get_data(as_text=True)
    assert len(said_about(caplog, index.name)) == 1
    assert index_file(instance) != index and (instance / (index.name + ".damaged")).exists()


def test_an_index_file_damaged_while_served_is_built_again_not_a_500(tmp_path, caplog):
    instance = tmp_path / "instance"
    app = ready_instance(instance)
    client = app.test_client()
    assert "consent" in client.get("/en/search?q=consent").get_data(as_text=True)
    index = index_file(instance)
    with index.open("r+b") as file:  # the same file the kiosk has open, overwritten in place
        file.seek(1024)
        file.write(b"\x00\xde\xad" * ((index.stat().st_size - 1024) // 3))
    caplog.set_level(logging.WARNING)
    response = client.get("/en/search?q=consent")
    assert response.status_code == 200 and "/en/articles/consent" in response.get_data(as_text=True)
    assert len([line for line in said_about(caplog, "search index") if "damaged" in line]) == 1
    assert client.get("/en/search?q=boundaries").status_code == 200


def test_an_index_damaged_again_and_again_keeps_one_set_aside_not_one_each_time(tmp_path):
    # Each index file has a name of its own: a failing card would fill the folder with set-aside copies.
    instance = tmp_path / "instance"
    client = ready_instance(instance).test_client()
    for _ in range(3):
        index = index_file(instance)
        with index.open("r+b") as file:
            file.seek(1024)
            file.write(b"\x00\xde\xad" * ((index.stat().st_size - 1024) // 3))
        response = client.get("/en/search?q=consent")
        assert response.status_code == 200 and "/en/articles/consent" in response.get_data(as_text=True)
        assert index_file(instance) != index
    assert [path.name for path in instance.glob(f"{INDEX_FILE_PREFIX}*.damaged")] == [index.name + ".damaged"]


@pytest.mark.parametrize("damage", [b"\x80\x04not a pickle", b"", b"\x80\x05\x95" + b"\x00" * 40])
def test_a_damaged_start_up_cache_is_set_aside_and_the_content_read_afresh(tmp_path, caplog, damage):
    instance = tmp_path / "instance"
    ready_instance(instance)
    (instance / CACHE_FILE).write_bytes(damage)
    caplog.set_level(logging.WARNING)
    app = kiosk(instance)
    assert set(served(app).values()) == {200}
    assert len(said_about(caplog, CACHE_FILE)) == 1


@pytest.mark.parametrize("damage", ['{"idle_seconds": ', '["en"]', '{"idle_seconds": [300]}',
                                    '{"languages": {"en": 1}}', '{"default_language": null}', "\x00\x01"])
def test_damaged_saved_settings_are_set_aside_and_the_kiosk_starts(tmp_path, caplog, damage):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700, exist_ok=True)  # own_instance may have made it
    (instance / SAVED_SETTINGS_FILE).write_text(damage)
    caplog.set_level(logging.WARNING)
    app = kiosk(instance, idle_seconds=240)
    assert app.config["KIOSK_IDLE_SECONDS"] == 240  # the command line's value
    assert set(served(app).values()) == {200}
    assert len(said_about(caplog, SAVED_SETTINGS_FILE)) == 1
    assert (instance / (SAVED_SETTINGS_FILE + ".damaged")).read_text() == damage


def test_an_instance_folder_that_cannot_be_written_still_serves_and_says_so(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the instance folder should be")
    app = kiosk(blocker / "instance")
    assert set(served(app).values()) == {200}
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "degraded" and health["instance_writable"] is False
    assert "cannot be written" in health["instance_problem"]
    line = next(str(check) for check in run_checks(app) if check.name == "instance folder")
    assert line.startswith("WARN") and "cannot be written" in line


def test_a_full_disk_keeps_staff_settings_until_a_restart_and_says_so(tmp_path, monkeypatch):
    """A full disk is played by refusing every new file in the instance folder (ENOSPC): a stand-in, since
    filling this machine's disk is not something a test may do."""
    instance = tmp_path / "instance"
    from kiosk.staff.pin import set_pin
    set_pin(instance, "482913")
    app = ready_instance(instance)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("kiosk.atomic.tempfile.mkstemp", full)
    client = signed_in(app)
    page = client.get("/staff/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/staff/settings", data={
        "csrf_token": token, "languages": ["en", "fr"], "default_language": "en", "idle_seconds": "300",
        "read_aloud": "on"}, follow_redirects=True)
    assert response.status_code == 200
    assert "until the kiosk restarts" in response.get_data(as_text=True)
    assert app.config["KIOSK_IDLE_SECONDS"] == 300
    assert not (instance / SAVED_SETTINGS_FILE).exists()
    still_offered = {page: status for page, status in served(app).items() if page.startswith(("/en/", "/fr/"))}
    assert set(still_offered.values()) == {200}
    assert app.test_client().get("/healthz").get_json()["articles"] == 6
