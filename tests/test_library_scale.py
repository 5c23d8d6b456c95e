"""A library of any size: the kiosk's memory once restarted does not grow with the number of articles."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kiosk import create_app
from kiosk.content.serving import content_holder
from kiosk.patron.article_pages import article_pages

from .conftest import CONTENT, ROOT, free_port, seeded

GROWTH_ALLOWED_MIB = 8
"""What ten times the articles may add to a restarted kiosk's memory: the slugs and fingerprints it holds
(about 0.2 KiB an article), far below what the articles themselves take (about 80 KiB each in twelve languages)."""


def generate(folder: Path, count: int) -> Path:
    """``count`` articles, each the shipped English 'consent' under a slug and title of its own."""
    (folder / "articles").mkdir(parents=True)
    shutil.copy(CONTENT / "topics.yaml", folder / "topics.yaml")
    text = (CONTENT / "articles" / "consent" / "en.md").read_text(encoding="utf-8")
    for number in range(count):
        article = folder / "articles" / f"consent-{number:05d}"
        article.mkdir(parents=True)
        (article / "en.md").write_text(text.replace("title: ", f"title: {number:05d} ", 1), encoding="utf-8")
    return folder


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime and stime


def busy_threads(pid: int) -> int:
    """How many of the process's threads are running or waiting to run (or for the disk)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            states.append((task / "stat").read_text().rpartition(")")[2].split()[0])
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return sum(state in ("R", "D") for state in states)


def idle(pid: int) -> None:
    """Wait until the process's background work is done: no thread of it runs or waits to run, and it
    used no CPU from one look to the next. A thread a loaded machine keeps waiting shows as runnable."""
    deadline = time.monotonic() + 120
    before = cpu_ticks(pid)
    while True:
        time.sleep(0.2)  # how often to look, not how long to wait
        now = cpu_ticks(pid)
        if now == before and busy_threads(pid) == 0:
            return
        assert time.monotonic() < deadline, "the kiosk never settled"
        before = now


def get(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=60) as response:
        return response.read()


def restarted_memory(content: Path, instance: Path, count: int) -> float:
    """The resident memory of ``run_kiosk.py`` restarted over a library built before, after it served
    200 distinct articles, 50 searches and the keyboard's suggestions (which wait for the index and words)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "run_kiosk.py", "--no-browser", "--port", str(port),
                                "--content", str(content), "--instance", str(instance), "--languages", "en",
                                "--content-poll-seconds", "0"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                get(base, "/healthz")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the kiosk never answered"
                time.sleep(0.1)
        for number in range(0, count, count // 200):
            assert f"{number:05d} ".encode() in get(base, f"/en/articles/consent-{number:05d}")
        for word in ("consent", "yes", "no", "body", "feel") * 10:
            assert b"/en/articles/consent-" in get(base, f"/en/search?q={word}")
        assert b"completions" in get(base, "/en/keyboard/suggestions?typed=con")
        idle(process.pid)  # what it does in the background at a start (pages counted) is done
        return resident_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def build(content: Path, instance: Path) -> None:
    """Start a kiosk once over ``content`` and wait for everything it builds (articles, index, pages)."""
    app = create_app({"TESTING": True, "content": str(content), "instance": str(instance), "languages": "en"})
    holder = content_holder(app)
    holder.current.index.result()
    holder.current.words.result()
    assert article_pages(app).wait_until_built(600)


def test_a_restarted_kiosk_holds_no_more_for_ten_times_the_articles(tmp_path):
    memory = {}
    for count in (200, 2000):
        content = generate(tmp_path / f"library-{count}", count)
        instance = seeded(tmp_path / f"instance-{count}")
        build(content, instance)
        memory[count] = restarted_memory(content, instance, count)
    assert memory[2000] - memory[200] < GROWTH_ALLOWED_MIB, memory
