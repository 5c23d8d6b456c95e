"""The launcher: kiosk flags, restarts with back-off, clean stop. A fake browser stands in for Chromium
here (it records its arguments and exits) because a real one cannot be watched crashing on demand."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.deploy.launcher import BrowserSupervisor, browser_command, display_available, find_browser

from .conftest import ROOT, free_port, seeded

REQUIRED_FLAGS = ["--kiosk", "--kiosk-printing", "--incognito", "--no-first-run", "--noerrdialogs",
                  "--disable-session-crashed-bubble", "--disable-translate", "--disable-pinch",
                  "--overscroll-history-navigation=0", "--disable-background-networking"]


def fake_browser(folder: Path, name: str = "chromium", behaviour: str = "exit") -> Path:
    """A stand-in browser that appends its arguments (and whether its profile exists) to calls.jsonl."""
    script = folder / name
    log = folder / "calls.jsonl"
    tail = "signal.pause()" if behaviour == "stay" else "sys.exit(3)"  # stays until the launcher ends it
    script.write_text(f"""#!{sys.executable}
import json, os, signal, sys, time
profile = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--user-data-dir="))
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"args": sys.argv[1:], "profile_exists": os.path.isdir(profile),
                         "time": time.monotonic()}}) + "\\n")
{tail}
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def calls(folder: Path) -> list[dict]:
    path = folder / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_browser_command_has_every_kiosk_flag():
    command = browser_command("/usr/bin/chromium", "http://127.0.0.1:8080/", "/tmp/p", as_root=False)
    for flag in REQUIRED_FLAGS:
        assert flag in command
    assert "--user-data-dir=/tmp/p" in command
    assert command[-1] == "http://127.0.0.1:8080/"
    assert "--no-sandbox" not in command
    assert "--no-sandbox" in browser_command("/b", "http://x/", "/p", as_root=True)


def test_find_browser_and_display(tmp_path):
    assert find_browser(str(tmp_path)) is None
    fake_browser(tmp_path, "google-chrome")
    assert find_browser(str(tmp_path)) == str(tmp_path / "google-chrome")
    assert display_available({"DISPLAY": ":0"}) and display_available({"WAYLAND_DISPLAY": "wayland-0"})
    assert not display_available({})


def test_a_browser_that_dies_at_once_is_restarted_with_growing_delays(tmp_path):
    browser = fake_browser(tmp_path)
    said: list[str] = []
    supervisor = BrowserSupervisor(str(browser), "http://127.0.0.1:9/", shortest_delay=0.05,
                                   longest_delay=0.4, healthy_run=120, log=said.append).start()
    deadline = time.monotonic() + 120
    while len(calls(tmp_path)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop()
    starts = [call["time"] for call in calls(tmp_path)]
    assert len(starts) >= 5
    delays = [float(line.rsplit(" in ", 1)[1].removesuffix(" s")) for line in said]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4]  # doubling after each quick death, capped at longest_delay
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap >= delay for gap, delay in zip(gaps, delays, strict=False))  # it waited: not a busy loop
    for call in calls(tmp_path):
        assert call["profile_exists"]
        for flag in REQUIRED_FLAGS:
            assert flag in call["args"]
    profiles = {next(a for a in call["args"] if a.startswith("--user-data-dir=")) for call in calls(tmp_path)}
    assert len(profiles) == len(starts)  # a fresh throwaway profile every time
    for profile in profiles:
        assert not Path(profile.split("=", 1)[1]).exists()  # removed on exit


def test_stop_closes_a_running_browser_and_removes_its_profile(tmp_path):
    browser = fake_browser(tmp_path, behaviour="stay")
    supervisor = BrowserSupervisor(str(browser), "http://127.0.0.1:9/", log=lambda line: None).start()
    deadline = time.monotonic() + 10
    while not calls(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop(timeout=5)
    assert supervisor.starts == 1
    profile = next(a for a in calls(tmp_path)[0]["args"] if a.startswith("--user-data-dir="))
    assert not Path(profile.split("=", 1)[1]).exists()



def start_kiosk(tmp_path, env_extra, *args, preexec_fn=None):
    # A restarted kiosk's instance folder: a first start's background work (templates compiled for
    # twelve languages) is not what these tests are about.
    instance = seeded(tmp_path / "instance")
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "KIOSK_INSTANCE": str(instance),
           "PYTHONFAULTHANDLER": "1", **env_extra}
    if "DISPLAY" not in env_extra:
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
    return subprocess.Popen([sys.executable, "run_kiosk.py", "--port", str(free_port()), *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec_fn)


def test_run_kiosk_starts_the_browser_and_stops_both_on_sigterm(tmp_path):
    fake_browser(tmp_path, behaviour="stay")
    process = start_kiosk(tmp_path, {"DISPLAY": ":99"})
    deadline = time.monotonic() + 20
    while not calls(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert calls(tmp_path), "the browser was not started"
    assert calls(tmp_path)[0]["args"][-1].startswith("http://127.0.0.1:")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "shown full screen" in output and "Reading kiosk stopped." in output
    profile = next(a for a in calls(tmp_path)[0]["args"] if a.startswith("--user-data-dir="))
    assert not Path(profile.split("=", 1)[1]).exists()


@pytest.mark.parametrize("env, args, says", [
    ({}, [], "no display"),
    ({"DISPLAY": ":99"}, ["--no-browser"], "open http://127.0.0.1:"),
])
def test_without_display_or_with_no_browser_it_serves_and_says_how_to_view(tmp_path, env, args, says):
    fake_browser(tmp_path, behaviour="stay")
    process = start_kiosk(tmp_path, env, *args)
    output = Output(process)
    assert says in output.wait_for("Reading kiosk ready")
    process.send_signal(signal.SIGINT)
    assert "Reading kiosk stopped." in output.to_the_end()
    assert not calls(tmp_path)


def test_ctrl_c_stops_a_kiosk_started_with_it_ignored_and_held(tmp_path):
    # A script's background job starts with SIGINT ignored, and a parent can hold it blocked: Ctrl+C
    # must still stop the kiosk. (Twice in full test runs the other launcher tests' kiosks served on
    # a minute after SIGINT, as a kiosk started so did before serve() took SIGINT itself.)
    def ignored_and_held():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    fake_browser(tmp_path, behaviour="stay")
    process = start_kiosk(tmp_path, {}, preexec_fn=ignored_and_held)
    output = Output(process)
    output.wait_for("Reading kiosk ready")
    process.send_signal(signal.SIGINT)
    assert "Reading kiosk stopped." in output.to_the_end(timeout=20)


class Output:
    """A running kiosk's output, read as it comes, so a test can wait for a line however loaded the machine is."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in iter(self.process.stdout.readline, ""):
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 180) -> str:
        """Everything said up to the first line containing ``text``."""
        deadline = time.monotonic() + timeout
        while not self.seen or text not in self.seen[-1]:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                pytest.fail(f"the kiosk never said {text!r}; it said: {''.join(self.seen)!r}")
            self.seen.append(line)
        return "".join(self.seen)

    def to_the_end(self, timeout: float = 60) -> str:
        """Everything said, once the kiosk has exited; if it does not, a failure with its threads' stacks."""
        try:
            self.process.wait(timeout=timeout)
            stuck = False
        except subprocess.TimeoutExpired:
            # Python's fault handler (PYTHONFAULTHANDLER, which start_kiosk sets) prints every thread's stack.
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=timeout)
            stuck = True
        self.reader.join(timeout=timeout)
        while (line := self.lines.get_nowait() if not self.lines.empty() else None) is not None:
            self.seen.append(line)
        if stuck:
            pytest.fail(f"the kiosk had not stopped {timeout} s after it was asked to; it said: {''.join(self.seen)}")
        return "".join(self.seen)
