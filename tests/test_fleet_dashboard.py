"""The fleet's Grafana dashboard (deploy/grafana/reading-kiosks.json) asks only for what the kiosks really write.

Every expression's metric names are checked against the names
``kiosk/fleet_health/metrics.py`` writes for a kiosk with every part present
(printer, supplies, Syncthing, usage figures), the node exporter's own file age,
and Prometheus's ``up`` and ``ALERTS``. That each expression runs on a real
Prometheus scraping real kiosks is checked in tests/test_fleet_prometheus.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from kiosk.deploy.readiness import Check
from kiosk.fleet_health.health import KioskHealth, ReadinessItem
from kiosk.fleet_health.metrics import metrics_text
from kiosk.fleet_health.syncthing import SyncthingState
from kiosk.handouts.printing import PrinterStatus

from .conftest import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "reading-kiosks.json"
FROM_ELSEWHERE = {"up", "ALERTS", "node_textfile_mtime_seconds"}
"""Written by Prometheus itself (``up``, ``ALERTS``) and by the node exporter about the kiosk's file."""
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def dashboard_expressions() -> list[str]:
    """Every query of every panel, and of the dashboard's variables."""
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    expressions += [re.fullmatch(r"label_values\((.*), \w+\)", variable["definition"]).group(1)
                    for variable in dashboard["templating"]["list"] if variable["type"] == "query"]
    return expressions


def metric_names(expression: str) -> set[str]:
    """The metric names an expression reads (strings, label matchers, ranges and grouping lists left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if match.group(2) is None and match.group(1).lower() not in PROMQL_WORDS:
            names.add(match.group(1))
    return names


def every_name_the_kiosk_writes() -> set[str]:
    """The sample names of a kiosk with every part the metrics can describe."""
    now = datetime.now(UTC)
    health = KioskHealth(
        looked_at=now, content_version="2026-12a", content_published=True, content_published_at=now,
        content_taken_at=now, content_waiting=False, synced=True, printer_name="Front",
        printer=PrinterStatus(name="Front", state="idle", accepting_jobs=True, reasons=("media-low",),
                              supplies=(("Black toner", 0.5),)),
        disk_free_bytes=1, disk_size_bytes=2,
        readiness=(ReadinessItem("speech", "", Check("speech", True, "")),),
        usage_yesterday={"sessions": 3},
        syncthing=SyncthingState(complete=True, peer_connected=True, last_synced_at=now))
    return {sample.name for family in text_string_to_metric_families(metrics_text(health).decode())
            for sample in family.samples}


def test_the_name_reader_finds_names_and_nothing_else():
    assert metric_names('time() - max by (instance) (node_textfile_mtime_seconds{file=~"a\\\\.prom"}[1d] offset 5m)'
                        ) == {"node_textfile_mtime_seconds"}
    assert metric_names("count(kiosk_serving == 1) or on(instance) vector(0)") == {"kiosk_serving"}
    assert metric_names('a_b / on(instance) group_left(version) c_d{x="y z"} > 0.1') == {"a_b", "c_d"}


def test_every_dashboard_expression_reads_only_metrics_the_kiosk_writes():
    written = every_name_the_kiosk_writes() | FROM_ELSEWHERE
    expressions = dashboard_expressions()
    assert len(expressions) > 10
    read = set()
    for expression in expressions:
        names = metric_names(expression)
        assert names, f"no metric in {expression!r}"
        assert names <= written, f"{expression!r} reads {sorted(names - written)}, which no kiosk writes"
        read |= names
    # The dashboard shows every kind of health the kiosk writes (the Syncthing sync included).
    for name in ("kiosk_serving", "kiosk_content_info", "kiosk_syncthing_last_sync_timestamp_seconds",
                 "kiosk_printer_state_reason", "kiosk_instance_filesystem_avail_bytes", "kiosk_readiness_ok"):
        assert name in read, name


def test_the_dashboard_is_a_grafana_dashboard_for_any_prometheus():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "reading-kiosks" and dashboard["panels"]
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"${datasource}"}
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
