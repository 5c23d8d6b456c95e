"""Whether the last Syncthing sync succeeded and when: asked of a real Syncthing, written for Prometheus, told to staff.

The kiosk reads its own Syncthing's REST address and key from that Syncthing's
``config.xml`` (``syncthing_config``) and asks it about the content folder. The
first tests need no Syncthing (the kiosk set up without it, or with settings that
cannot be used); the last runs two real instances on loopback
(``tests/syncthing_pair.py``): skipped, and said so, where Syncthing is not
installed; mandatory under CI=true.
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.content.manifest import publish
from kiosk.fleet_health.health import health_watch
from kiosk.fleet_health.metrics import write_metrics
from kiosk.fleet_health.syncthing import syncthing_time
from kiosk.staff.pin import set_pin

from .conftest import CONTENT, STAFF_PIN, free_port, seeded, signed_in
from .syncthing_pair import SyncthingPair, syncthing_available
from .test_fleet_health import samples

SYNCTHING_METRICS = ("kiosk_syncthing_up", "kiosk_syncthing_folder_complete", "kiosk_syncthing_need_files",
                     "kiosk_syncthing_need_bytes", "kiosk_syncthing_pull_errors", "kiosk_syncthing_peer_connected",
                     "kiosk_syncthing_last_sync_timestamp_seconds")


def kiosk_app(tmp_path: Path, content: Path, syncthing_config: Path | None):
    set_pin(tmp_path / "instance", STAFF_PIN)
    return create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": content,
                       "metrics_folder": tmp_path / "metrics", "syncthing_config": syncthing_config})


def look(app) -> tuple[dict, str]:
    """A fresh look at the machine: the metrics file's samples by name, and the staff screen's health section."""
    found = {name: value for (name, _labels), value in samples(write_metrics(app)).items()}
    page = signed_in(app).get("/staff/").get_data(as_text=True)
    section = page[page.index('id="kiosk-health-heading"'):]
    return found, html.unescape(section[:section.index("</section>")])


def config_xml(path: Path, address: str, api_key: str, folder: Path) -> Path:
    path.write_text(f"""<configuration version="36">
    <folder id="reading-kiosk-content" label="content" path="{folder}" type="receiveonly">
        <device id="AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA"></device>
    </folder>
    <gui enabled="true" tls="false"><address>{address}</address><apikey>{api_key}</apikey></gui>
</configuration>
""", encoding="utf-8")
    return path


def test_a_kiosk_without_syncthing_says_so_and_writes_no_syncthing_figure(tmp_path):
    app = kiosk_app(tmp_path, CONTENT, None)
    found, section = look(app)
    assert not any(name.startswith("kiosk_syncthing_") for name in found)
    assert "The content is not synced by Syncthing" in section
    assert "Syncthing is" not in section and "Please tell whoever looks after the kiosk" not in section


def not_http() -> int:
    """A port on loopback where something that is not Syncthing answers every connection with a line of noise."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with listener:
            listener.settimeout(60)
            try:
                while True:
                    connection, _ = listener.accept()
                    with connection:
                        connection.sendall(b"SSH-2.0-not-syncthing\r\n")
            except OSError:
                return

    threading.Thread(target=answer, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize(("case", "words"), [
    ("missing", "The kiosk cannot read Syncthing's settings, so it cannot tell how syncing goes."),
    ("no key", "The kiosk cannot read Syncthing's settings, so it cannot tell how syncing goes."),
    ("another folder", "Syncthing on this computer does not share the content folder"),
    ("not running", "Syncthing is not answering on this computer, so new content cannot arrive."),
    ("something else", "Syncthing is not answering on this computer, so new content cannot arrive."),
])
def test_syncthing_settings_that_cannot_be_used_are_told_to_staff_and_fleet_without_an_error(tmp_path, case, words):
    config = tmp_path / "config.xml"
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    if case == "no key":
        config_xml(config, address, "", CONTENT)
    elif case == "another folder":
        config_xml(config, address, "a-key-of-sixteen-letters", tmp_path)
    elif case == "not running":
        config_xml(config, address, "a-key-of-sixteen-letters", CONTENT)
    elif case == "something else":
        config_xml(config, f"127.0.0.1:{not_http()}", "a-key-of-sixteen-letters", CONTENT)
    found, section = look(kiosk_app(tmp_path, CONTENT, config))
    assert found["kiosk_syncthing_up"] == 0
    assert not any(name.startswith("kiosk_syncthing_") and name != "kiosk_syncthing_up" for name in found)
    assert words in section


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while (value := condition()) is False or value is None:
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)
    return value


@pytest.fixture
def syncthing_needed():
    if syncthing_available() is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("syncthing is not installed, and CI must run the Syncthing health test "
                               "(apt-get install syncthing)")
        pytest.skip("syncthing is not installed (apt-get install syncthing): the Syncthing health test did not run")


def test_the_last_sync_and_its_moment_come_from_the_kiosks_real_syncthing(tmp_path, syncthing_needed):
    with SyncthingPair(tmp_path / "sync") as pair:
        shutil.copytree(CONTENT, pair.publisher_folder, dirs_exist_ok=True)
        publish(pair.publisher_folder, "v1")
        pair.rescan()
        pair.wait_in_sync(timeout=60)
        app = kiosk_app(tmp_path, pair.kiosk_folder, pair.kiosk.home / "config.xml")

        # In sync, the publisher connected: synced now.
        before = datetime.now(UTC).replace(microsecond=0).timestamp()
        found, section = look(app)
        assert found["kiosk_syncthing_up"] == 1
        assert found["kiosk_syncthing_folder_complete"] == 1 and found["kiosk_syncthing_peer_connected"] == 1
        assert found["kiosk_syncthing_need_files"] == 0 and found["kiosk_syncthing_pull_errors"] == 0
        synced = found["kiosk_syncthing_last_sync_timestamp_seconds"]
        assert before <= synced <= time.time()
        assert "Syncthing is up to date with the publishing computer, which is connected now." in section

        # A large file on its way, sent slowly: not complete, and the last complete sync is still the one above.
        pair.set_send_rate(200)
        (pair.publisher_folder / "large.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(4 * 1024 * 1024))
        pair.rescan()
        wait_for(lambda: pair.kiosk.get("/rest/db/status", folder=pair.folder_id)["needTotalItems"] > 0,
                 "the kiosk's Syncthing to know of the large file")
        found, section = look(app)
        assert found["kiosk_syncthing_folder_complete"] == 0
        assert found["kiosk_syncthing_need_files"] == 1 and found["kiosk_syncthing_need_bytes"] > 0
        assert found["kiosk_syncthing_last_sync_timestamp_seconds"] == synced
        assert "Syncthing is bringing new content: 1 file still to arrive." in section
        assert "Last complete sync: " in section

        pair.set_send_rate(0)
        pair.wait_in_sync(timeout=120)
        found, _ = look(app)
        assert found["kiosk_syncthing_folder_complete"] == 1
        synced_again = found["kiosk_syncthing_last_sync_timestamp_seconds"]
        assert synced_again >= synced

        # The publisher goes away: the last sync is the later of the moment the kiosk's Syncthing last saw it
        # (Syncthing's own, kept across restarts; in v1.19 it may be a little before the disconnection) and the
        # last look that found it connected.
        stopped_at = time.time()
        pair.publisher.stop()
        publisher_id = pair.publisher.device_id
        wait_for(lambda: not pair.kiosk.get("/rest/system/connections")["connections"][publisher_id]["connected"],
                 "the kiosk's Syncthing to see the publisher gone")
        last_seen = syncthing_time(pair.kiosk.get("/rest/stats/device")[publisher_id]["lastSeen"])
        found, section = look(app)
        assert found["kiosk_syncthing_peer_connected"] == 0 and found["kiosk_syncthing_folder_complete"] == 1
        last_sync = found["kiosk_syncthing_last_sync_timestamp_seconds"]
        assert last_sync == max(last_seen.timestamp(), synced_again) and last_sync <= time.time()
        assert synced_again <= stopped_at
        # A kiosk started now, with nothing in memory, has Syncthing's moment alone.
        restarted, _ = look(kiosk_app(tmp_path / "restarted", pair.kiosk_folder, pair.kiosk.home / "config.xml"))
        assert restarted["kiosk_syncthing_last_sync_timestamp_seconds"] == last_seen.timestamp()
        assert "Syncthing was up to date with the publishing computer when they were last connected:" in section

        # Syncthing's REST API on HTTPS (its own self-signed certificate): still asked.
        pair.kiosk.request("PATCH", "/rest/config/gui", body={"useTLS": True})
        wait_for(lambda: 'tls="true"' in (pair.kiosk.home / "config.xml").read_text(), "Syncthing to turn on TLS")
        found, _ = wait_for(lambda: (answer := look(app))[0]["kiosk_syncthing_up"] == 1 and answer,
                            "the kiosk to ask Syncthing over HTTPS")
        assert found["kiosk_syncthing_folder_complete"] == 1

        # The kiosk's own Syncthing stops: staff and the fleet are told, and the kiosk goes on serving.
        pair.kiosk.stop()
        found, section = look(app)
        assert found["kiosk_syncthing_up"] == 0
        assert "Syncthing is not answering on this computer" in section
        assert app.test_client().get("/en/articles/consent").status_code == 200
    assert health_watch(app).current().syncthing.problem == "not-answering"
