"""A fleet's health on Prometheus, with the real parts: promtool, Prometheus, node exporters, CUPS.

- ``promtool check config`` / ``check rules`` on ``deploy/prometheus/``, and promtool's
  unit tests of every alert (``alerts.test.yml``);
- two real kiosks (``run_kiosk.py``), each writing its health into a textfile folder
  of its own, served by a real node exporter each on loopback, scraped by a real
  Prometheus with the fleet's scrape settings and alert rules; one kiosk's printer is a
  cups-pdf queue stopped on purpose with ``cupsdisable``, and its alert fires, for that
  kiosk only; stopping the other kiosk's node exporter fires KioskDown for it; every
  expression of the fleet's Grafana dashboard (deploy/grafana/) runs on that Prometheus.

Skipped, and said so, where Prometheus, the node exporter or CUPS is missing; mandatory under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from kiosk.fleet_health.metrics import METRICS_FILE

from .conftest import ROOT, free_port
from .test_fleet_dashboard import dashboard_expressions

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
NEEDED = {"promtool": "prometheus", "prometheus": "prometheus",
          "prometheus-node-exporter": "prometheus-node-exporter", "lpadmin": "cups", "cupsdisable": "cups",
          "ipptool": "cups-ipp-utils"}
MISSING = sorted({package for command, package in NEEDED.items() if shutil.which(command) is None})
if MISSING:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run the Prometheus fleet test: apt-get install {' '.join(MISSING)}")
    pytest.skip(f"PROMETHEUS FLEET TESTS SKIPPED: apt-get install {' '.join(MISSING)}", allow_module_level=True)


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_scrape_configuration_is_valid():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_are_valid():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_and_they_pass():
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts.test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test.get("alert_rule_test", [])
              if case.get("exp_alerts")}
    assert alerts <= tested, f"alerts never seen firing in alerts.test.yml: {sorted(alerts - tested)}"
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


class Processes:
    """Every process a test starts, stopped (and waited for) at its end."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, command: list[str], log: Path, **options) -> subprocess.Popen:
        with open(log, "wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **options)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                self.stop(process)


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def test_printers():
    """Two cups-pdf queues of this test's own (removed at its end); the system's default is left alone."""
    names = [f"KioskFleetTest{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        subprocess.run(["lpadmin", "-p", name, "-v", "cups-pdf:/", "-m", "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd", "-E"],
                       check=True, capture_output=True, timeout=60)
    yield names
    for name in names:
        subprocess.run(["lpadmin", "-x", name], check=False, capture_output=True, timeout=60)


def prometheus_api(base: str, path: str, **query: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v1/{path}?{urllib.parse.urlencode(query)}", timeout=10) as response:
        return json.loads(response.read())["data"]


def wait_for(condition, what: str, timeout: float = 120):
    """Ask ``condition()`` again and again until it gives something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def firing(base: str, name: str) -> dict[str, dict]:
    """The alerts named ``name`` that fire now, by kiosk (its node exporter's address)."""
    try:
        alerts = prometheus_api(base, "alerts")["alerts"]
    except OSError:
        return {}
    return {alert["labels"]["instance"]: alert for alert in alerts
            if alert["labels"]["alertname"] == name and alert["state"] == "firing"}


def rules_firing_at_once(tmp_path: Path) -> Path:
    """The fleet's alert rules, each firing as soon as its condition holds (``for`` is unit-tested above)."""
    text = (PROMETHEUS_DIR / "alerts.yml").read_text()
    copy = tmp_path / "alerts.yml"
    copy.write_text(re.sub(r"^(\s+)for: \S+$", r"\1for: 0s", text, flags=re.MULTILINE))
    return copy


def fleet_configuration(tmp_path: Path, exporters: list[str]) -> Path:
    """deploy/prometheus/prometheus.yml with the test's exporters as its kiosks, scraped every second."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(rules_firing_at_once(tmp_path))]
    (job,) = config["scrape_configs"]
    del job["file_sd_configs"]
    job["static_configs"] = [{"targets": exporters}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    assert promtool("check", "config", str(path), cwd=tmp_path).returncode == 0
    return path


def test_prometheus_sees_two_kiosks_and_a_stopped_printer_fires_its_alert(tmp_path, processes, test_printers):
    stopped_printer, working_printer = test_printers
    subprocess.run(["cupsdisable", "-r", "stopped by the fleet test", stopped_printer], check=True, timeout=60)
    exporters = []
    for name, printer in (("a", stopped_printer), ("b", working_printer)):
        folder = tmp_path / name
        (folder / "textfile").mkdir(parents=True)
        kiosk_port, exporter_port = free_port(), free_port()
        processes.start([sys.executable, str(ROOT / "run_kiosk.py"), "--no-browser", "--port", str(kiosk_port),
                         "--instance", str(folder / "instance"), "--metrics-folder", str(folder / "textfile")],
                        folder / "kiosk.log", cwd=ROOT, env={**os.environ, "LPDEST": printer})
        exporters.append(f"127.0.0.1:{exporter_port}")
        processes.start(["prometheus-node-exporter", "--collector.disable-defaults", "--collector.textfile",
                         f"--collector.textfile.directory={folder / 'textfile'}",
                         f"--web.listen-address=127.0.0.1:{exporter_port}"], folder / "exporter.log")
    kiosk_a, kiosk_b = exporters
    prometheus_port = free_port()
    base = f"http://127.0.0.1:{prometheus_port}"
    processes.start(["prometheus", f"--config.file={fleet_configuration(tmp_path, exporters)}",
                     f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prometheus_port}"],
                    tmp_path / "prometheus.log")

    def serving() -> set[str]:
        try:
            return {row["metric"]["instance"] for row in prometheus_api(base, "query", query="kiosk_serving == 1")["result"]}
        except OSError:
            return set()

    wait_for(lambda: serving() == {kiosk_a, kiosk_b}, "both kiosks to be seen serving")
    assert (tmp_path / "a" / "textfile" / METRICS_FILE).is_file()
    versions = prometheus_api(base, "query", query="kiosk_content_info")["result"]
    assert {row["metric"]["instance"] for row in versions} == {kiosk_a, kiosk_b}
    assert all(row["metric"]["version"].startswith("local-") for row in versions)

    # The fleet's dashboard: every expression runs on this Prometheus, and its kiosk list holds both kiosks.
    for expression in dashboard_expressions():
        prometheus_api(base, "query", query=expression.replace("$instance", ".*"))  # a bad one is an HTTP error
    ages = next(expression for expression in dashboard_expressions() if "node_textfile_mtime_seconds" in expression)
    rows = prometheus_api(base, "query", query=ages.replace("$instance", ".*"))["result"]
    assert {row["metric"]["instance"] for row in rows} == {kiosk_a, kiosk_b}
    assert all(float(row["value"][1]) < 300 for row in rows), rows

    alert = wait_for(lambda: firing(base, "KioskPrinterStopped").get(kiosk_a), "the stopped printer's alert")
    assert alert["labels"]["printer"] == stopped_printer
    reasons = prometheus_api(base, "query", query=f'kiosk_printer_state_reason{{instance="{kiosk_a}"}} == 1')
    assert {row["metric"]["reason"] for row in reasons["result"]} == {"paused"}
    assert kiosk_b not in firing(base, "KioskPrinterStopped")
    # A scrape made before a kiosk's first file may have fired KioskNotServing for a moment (its `for` is 0 here).
    wait_for(lambda: firing(base, "KioskNotServing") == {}, "no kiosk to be seen not serving")
    assert firing(base, "KioskDown") == {}

    processes.stop(processes.running[3])  # kiosk b's node exporter: the machine looks gone
    wait_for(lambda: kiosk_b in firing(base, "KioskDown"), "kiosk b to be seen down")
    assert kiosk_a not in firing(base, "KioskDown")
