"""The kiosk's health for Prometheus: what is written, how, and that nothing in it moves when a patron acts.

The real Prometheus, node exporters and CUPS are in tests/test_fleet_prometheus.py; here the file itself
is checked, parsed with prometheus_client's own parser, and CUPS's answers are stood in for by a stand-in
``ipptool`` where a real printer cannot be put in that state (out of paper, a supply level).
"""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk import create_app
from kiosk.content.manifest import publish
from kiosk.fleet_health.health import health_watch
from kiosk.fleet_health.metrics import METRICS_FILE, write_metrics
from kiosk.handouts.printing import printer_status
from kiosk.staff.pin import set_pin
from kiosk.usage.recorder import every_figure
from kiosk.usage.release import release_day

from .conftest import CONTENT, seeded, signed_in
from .test_readiness import command

MOVES_WITH_THE_CLOCK_OR_THE_DISK = {"kiosk_health_looked_timestamp_seconds", "kiosk_instance_filesystem_avail_bytes"}


def samples(path: Path) -> dict[tuple, float]:
    """Every sample of a metrics file, by name and labels."""
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
def metrics_app(tmp_path):
    return create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "metrics_folder": tmp_path / "metrics"})


def test_the_metrics_file_is_written_whole_readable_by_the_exporter_and_follows_the_naming_rules(metrics_app, tmp_path):
    path = write_metrics(metrics_app)
    assert path == tmp_path / "metrics" / METRICS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o644, "the node exporter runs as another user"
    assert [p.name for p in path.parent.iterdir()] == [METRICS_FILE], "no temporary file left for the collector"
    found = samples(path)
    names = {name for name, _labels in found}
    assert all(name.startswith("kiosk_") for name in names)
    assert not any(name.endswith("_total") for name in names), "no counter: nothing that adds up what patrons do"
    assert {"kiosk_serving", "kiosk_content_info", "kiosk_content_taken_timestamp_seconds",
            "kiosk_content_sync_ok", "kiosk_instance_filesystem_avail_bytes", "kiosk_readiness_ok"} <= names
    assert found[("kiosk_serving", ())] == 1
    version = health_watch(metrics_app).current().content_version
    assert found[("kiosk_content_info", (("published", "false"), ("version", version)))] == 1
    checks = {dict(labels)["check"] for name, labels in found if name == "kiosk_readiness_ok"}
    assert checks == {"speech", "catalogs", "fonts"}
    fonts = [dict(labels)["language"] for name, labels in found
             if name == "kiosk_readiness_ok" and dict(labels)["check"] == "fonts"]
    assert sorted(fonts) == sorted(language.tag for language in metrics_app.config["KIOSK_LANGUAGES"])


def test_nothing_in_the_metrics_moves_when_patrons_read_search_listen_print_and_leave(metrics_app):
    before = samples(write_metrics(metrics_app))
    client = metrics_app.test_client()
    for address in ("/en/articles/consent", "/fr/search?q=secret", "/ar/articles/intimacy?compare=uk",
                    "/es/articles/consent/handout.pdf", "/en/articles/consent/speech/title.json", "/uk/help"):
        assert client.get(address).status_code == 200, address
    assert client.post("/reset").status_code in (302, 303)
    after = samples(write_metrics(metrics_app))
    assert before.keys() == after.keys()
    moved = {key for key in before if before[key] != after[key] and key[0] not in MOVES_WITH_THE_CLOCK_OR_THE_DISK}
    assert moved == set()


def test_a_synced_published_folder_reports_its_sync_and_publication(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    (folder / ".stfolder").mkdir()
    manifest = publish(folder, "2026-12a")
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder,
                      "metrics_folder": tmp_path / "metrics"})
    found = samples(write_metrics(app))
    assert found[("kiosk_content_synced_folder", ())] == 1
    assert found[("kiosk_content_sync_ok", ())] == 1
    assert found[("kiosk_content_info", (("published", "true"), ("version", "2026-12a")))] == 1
    published = found[("kiosk_content_published_timestamp_seconds", ())]
    assert datetime.fromtimestamp(published, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == manifest.published_at


IPPTOOL_ANSWER = """[
 {"group-tag": "operation-attributes-tag", "attributes-charset": "utf-8"},
 {"group-tag": "printer-attributes-tag", "printer-is-accepting-jobs": true, "printer-state": 5,
  "printer-state-reasons": ["media-empty-error", "door-open-warning", "toner-low-report"],
  "marker-names": ["Black toner", "Waste", "Cyan"], "marker-levels": [7, -3, 64]}
]"""


def test_cups_reasons_and_supply_levels_are_reported_as_the_printer_gives_them(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    command(folder, "ipptool", f"cat <<'EOF'\n{IPPTOOL_ANSWER}\nEOF")
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    status = printer_status("Front")
    assert status.state == "stopped" and status.accepting_jobs
    assert status.reasons == ("media-empty", "door-open", "toner-low")
    assert status.supplies == (("Black toner", 0.07), ("Cyan", 0.64)), "a level the printer cannot tell is left out"


def test_no_printer_status_when_cups_cannot_answer(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    command(folder, "ipptool", "echo 'ipptool: Unable to connect' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    assert printer_status("Front") is None


def test_without_a_metrics_folder_nothing_is_written(tmp_path):
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance")})
    assert app.config["KIOSK_METRICS_FOLDER"] is None
    assert "kiosk_metrics_writer" not in app.extensions


def test_the_staff_screen_says_how_the_printer_content_and_disk_are_in_words(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    command(folder, "ipptool", f"cat <<'EOF'\n{IPPTOOL_ANSWER}\nEOF")
    command(folder, "lp", "exit 0")
    command(folder, "lpstat", 'echo "system default destination: Front"')
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    set_pin(tmp_path / "instance", "482913")
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance")})
    page = signed_in(app).get("/staff/").get_data(as_text=True)
    section = page[page.index('id="kiosk-health-heading"'):]
    section = section[:section.index("</section>")]
    for words in ("Printer Front: stopped.", "Out of paper.", "A door or cover of the printer is open.",
                  "Ink or toner is running low.", "Black toner: 7% left.", "Cyan: 64% left.",
                  "The content is not synced by Syncthing", "Free disk space: ",
                  "Everything the kiosk needs is installed."):
        assert words in section, words


def test_yesterdays_released_usage_figures_are_written_when_usage_figures_are_on(tmp_path):
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "metrics_folder": tmp_path / "metrics",
                      "usage_figures": "on"})
    assert not any(name == "kiosk_usage_released_yesterday" for name, _ in samples(write_metrics(app)))
    released = release_day(app.instance_path, date.today() - timedelta(days=1), {"sessions": 12}, every_figure(app),
                           1.0)
    found = samples(write_metrics(app))
    assert found[("kiosk_usage_released_yesterday", (("figure", "sessions"),))] == released["sessions"]
    articles = sum(value for name, value in released.items() if name.startswith("article/"))
    assert found[("kiosk_usage_released_yesterday", (("figure", "article"),))] == articles
