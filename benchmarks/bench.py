#!/usr/bin/env python3
"""`make bench`: how fast the kiosk is, measured against the bare stack in the same run.

Figures printed (and written to bench-results/latest.json):
- article pages, shipped library, each address once in turn (every article x language x
  text size x contrast: more addresses than any cache could hold), kiosk against a bare
  Flask app on waitress handing back the very same bytes (body and headers) for each
  address: the floor of this stack;
- cold start of the shipped library;
- an article's first view with usage figures counted and not: two kiosks side by side
  over loopback, counting switched on in one and off in the other before each session,
  each counting half the time (their own difference, printed, is the floor of what can
  be told apart); and counting's own work after each view
  (the usage recorder, timed alone in the request as the kiosk serves it) set against
  that view's time;
- handout PDFs, generated and a publisher's file;
- a generated library of 1,000 articles x 12 languages (``--large``: and of 10,000, in a run
  of its own): its build, restart to the first article, resident memory after 1,000 distinct
  articles and 400 distinct searches beside the shipped library's, article pages beside the
  bare stack, search, and one changed article taken, then four more updates, memory read after each
  (``library_at_scale``);
- read aloud (eSpeak NG): from the request to the first bytes of audio for the first
  part a tap on Listen plays (its word timings, then its audio, as the page asks for
  them), every article in every language with a voice; and seconds of audio made per
  second of CPU, over every part of every article;
- speaking mode, in Chromium: from a key press that moves to the next item of an article
  page to the moment its speech starts playing (the page marks both), in every language
  with a voice;
- in Chromium (Debian's package, driven by Playwright): navigation to first contentful
  paint of every article page against a minimal static page, at normal CPU speed and
  with the CPU slowed four times through the DevTools protocol (a Raspberry Pi class
  machine); and of the minimal page running the kiosk's session guard before it is
  drawn, the least any kiosk page can do.

Servers run in their own processes; the clients run here, over loopback. Nothing here
is a test: the figures are for the README, and for whoever changes the code to compare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import platform
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROUNDS = 5
STARTS = 5
CONCURRENT_CLIENTS = 4
CONCURRENT_SECONDS = 4.0
CHOICES = ["", "?size=2", "?size=3", "?size=4", "?contrast=high", "?size=2&contrast=high",
           "?size=3&contrast=high", "?size=4&contrast=high"]
TARGETS = {"article_ratio": 1.5, "fcp_ratio": 1.3, "first_audio_p95_ms": 300, "counting_ratio": 1.02,
           "first_sound_p95_ms": 300}
PAGES_PER_SESSION = 8
"""Article views between two resets in the counting comparison: each session reaches its bound of counts."""
COUNTING_ROUNDS = 9
"""Rounds of the counting comparison: each visits every article address once on each of its three kiosks
(a reset costs far more than a view: most of the section's time goes to the resets between sessions)."""
COUNTING_WORK_ROUNDS = 3
"""Rounds of counting's own work timed alone: each times it after every article address, on and off."""
MOVES = 30
"""Moves timed per language in speaking mode."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(code: str, port: int, probe: str, env: dict[str, str] | None = None,
          wait_s: float = 180) -> tuple[subprocess.Popen, float]:
    """Start a server process running Python ``code``; return it and the seconds until ``probe`` answered 200."""
    return start_command([PYTHON, "-c", code], port, probe, env, wait_s)


def start_command(command: list[str], port: int, probe: str, env: dict[str, str] | None = None,
                  wait_s: float = 180) -> tuple[subprocess.Popen, float]:
    """Start the server ``command``; return it and the seconds until ``probe`` answered 200."""
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    while time.perf_counter() < began + wait_s:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", probe)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return process, time.perf_counter() - began
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit(f"server did not answer {probe}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait()


COUNTING_SWITCH = textwrap.dedent("""
    @app.post('/bench/counting/<state>')
    def switch_counting(state):
        app.config['KIOSK_USAGE_FIGURES'] = state == 'on'
        return ''
""")
"""The bench's own address in a kiosk it starts (never in the kiosk itself): usage figures on or off, as staff would."""


def kiosk_code(port: int, instance: Path, content: Path | None = None, languages: tuple[str, ...] = (),
               usage_figures: bool = False, counting_switch: bool = False) -> str:
    """A kiosk serving ``content`` (the shipped library if None), offering ``languages`` (all if empty)."""
    content_line = f"config['content'] = {str(content)!r}" if content else ""
    languages_line = f"config['languages'] = {','.join(languages)!r}" if languages else ""
    switch = textwrap.indent(COUNTING_SWITCH, " " * 8) if counting_switch else ""
    return textwrap.dedent(f"""
        from waitress import serve
        from kiosk import create_app
        config = {{'instance': {str(instance)!r}, 'usage_figures': {'on' if usage_figures else 'off'!r}}}
        {content_line}
        {languages_line}
        app = create_app(config)
{switch}
        serve(app, host='127.0.0.1', port={port}, threads=4, ident=None)
    """)


def bare_code(port: int, responses: Path) -> str:
    """Flask on waitress handing back, for each address, the bytes and headers the kiosk sent."""
    return textwrap.dedent(f"""
        import pickle
        from flask import Flask, request
        from waitress import serve
        app = Flask(__name__)
        RESPONSES = pickle.loads(open({str(responses)!r}, 'rb').read())

        @app.get('/<lang>/articles/<slug>')
        def article(lang, slug):
            body, headers = RESPONSES[request.full_path.rstrip('?')]
            return body, 200, headers

        serve(app, host='127.0.0.1', port={port}, threads=4, ident=None)
    """)


def fetch(port: int, path: str) -> tuple[bytes, list[tuple[str, str]]]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, (path, response.status)
    return body, [(name, value) for name, value in response.getheaders()
                  if name.lower() not in ("date", "server", "content-length")]


def latencies(port: int, paths: list[str]) -> list[float]:
    """Time one request of each path in turn, over one connection."""
    return timed(http.client.HTTPConnection("127.0.0.1", port), paths)


def timed(connection: http.client.HTTPConnection, paths: list[str]) -> list[float]:
    """Time one request of each path in turn, over ``connection``."""
    timings = []
    for path in paths:
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        timings.append(time.perf_counter() - began)
        assert response.status == 200, (path, response.status)
    return timings


def throughput(port: int, paths: list[str]) -> float:
    done = [0] * CONCURRENT_CLIENTS
    stop_at = time.perf_counter() + CONCURRENT_SECONDS

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            connection.request("GET", paths[(done[index] * CONCURRENT_CLIENTS + index) % len(paths)])
            connection.getresponse().read()
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / CONCURRENT_SECONDS


def summary(timings: list[float]) -> dict:
    ordered = sorted(timings)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 3)}


def written_bytes(pid: int) -> int:
    """What process ``pid`` has written to files so far, as the kernel counts what it sends towards the disk."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def resident_mib(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now, or at its peak so far with ``field="VmHWM"`` (the kernel keeps it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def shipped_tags() -> list[str]:
    from kiosk.languages import LANGUAGES
    return [language.tag for language in LANGUAGES]


def shipped_slugs() -> list[str]:
    from kiosk.content.loader import load_library
    return sorted(load_library(ROOT / "content").articles)


def article_addresses() -> list[str]:
    """Every article page of the shipped library in every language and display choice, once each."""
    return [f"/{tag}/articles/{slug}{choice}"
            for choice in CHOICES for tag in shipped_tags() for slug in shipped_slugs()]


def compare_with_bare(work: Path) -> dict:
    """The kiosk and the bare stack, measured in alternating rounds over every article address.

    Alternating evens out whatever else the machine is doing; each figure is the
    median of the rounds' figures.
    """
    addresses = article_addresses()
    kiosk_port, bare_port = free_port(), free_port()
    kiosk, cold = start(kiosk_code(kiosk_port, work / "instance"), kiosk_port, addresses[0])
    try:
        time.sleep(1)  # the article pages are rendered ahead of time, in the background, at start-up
        responses = {address: fetch(kiosk_port, address) for address in addresses}
        (work / "responses.pickle").write_bytes(pickle.dumps(responses))
        bare, _ = start(bare_code(bare_port, work / "responses.pickle"), bare_port, addresses[0])
        try:
            rounds: dict[str, list[dict]] = {"kiosk": [], "bare": []}
            for _ in range(ROUNDS):
                for name, port in (("kiosk", kiosk_port), ("bare", bare_port)):
                    rounds[name].append(summary(latencies(port, addresses)))
            result = {name: {"p50_ms": round(statistics.median(r["p50_ms"] for r in rounds[name]), 3),
                             "p95_ms": round(statistics.median(r["p95_ms"] for r in rounds[name]), 3),
                             "requests_per_s": round(throughput(port, addresses))}
                      for name, port in (("kiosk", kiosk_port), ("bare", bare_port))}
        finally:
            stop(bare)
    finally:
        stop(kiosk)
    result["addresses"] = len(addresses)
    result["kiosk"]["cold_start_s"] = round(cold, 2)
    result["p50_ratio"] = round(result["kiosk"]["p50_ms"] / result["bare"]["p50_ms"], 2)
    return result


def session_of_first_views(connection: http.client.HTTPConnection, paths: list[str]) -> list[float]:
    """End the patron session (untimed), then time one view of each of ``paths`` in turn."""
    connection.request("POST", "/reset")
    connection.getresponse().read()
    return timed(connection, paths)


def counting_cost(work: Path) -> dict:
    """An article's first view with usage figures counted and not, two kiosks switching it session by session.

    Two kiosk processes run side by side, and before each session (``PAGES_PER_SESSION``
    views, then a reset, untimed) counting is switched on in one and off in the other,
    as staff would switch it; each process counts in half of the sessions, and each
    state goes first in half of them. Whatever the two processes differ by (where their
    memory happens to lie: several per cent on a busy machine) falls on both states
    alike, and is printed as the floor; so does whatever else the machine does. Every
    round visits every article address once in each state. The figures are the
    medians of the rounds' medians.
    """
    addresses = article_addresses()
    sessions = [addresses[at:at + PAGES_PER_SESSION] for at in range(0, len(addresses), PAGES_PER_SESSION)]
    ports = [free_port(), free_port()]
    servers = [start(kiosk_code(port, work / f"counting-{index}", counting_switch=True), port, addresses[0])[0]
               for index, port in enumerate(ports)]
    states = ("counting on", "counting off")
    rounds: dict[str, list[dict]] = {name: [] for name in (*states, "kiosk 1", "kiosk 2")}
    try:
        time.sleep(1)  # the article pages are rendered ahead of time, in the background, at start-up
        connections = [http.client.HTTPConnection("127.0.0.1", port) for port in ports]
        for _ in range(COUNTING_ROUNDS):
            timings: dict[str, list[float]] = {name: [] for name in rounds}
            for index, paths in enumerate(sessions):
                counting = index // 2 % 2  # the kiosk that counts this session
                for kiosk, connection in enumerate(connections):
                    connection.request("POST", f"/bench/counting/{'on' if kiosk == counting else 'off'}")
                    switched = connection.getresponse()
                    switched.read()
                    assert switched.status == 200, switched.status
                for kiosk in ((0, 1) if index % 2 == 0 else (1, 0)):
                    views = session_of_first_views(connections[kiosk], paths)
                    timings[states[0] if kiosk == counting else states[1]] += views
                    timings[f"kiosk {kiosk + 1}"] += views
            for name in rounds:
                rounds[name].append(summary(timings[name]))
    finally:
        for server in servers:
            stop(server)
    result: dict = {name: {"p50_ms": round(statistics.median(r["p50_ms"] for r in rounds[name]), 3),
                           "p95_ms": round(statistics.median(r["p95_ms"] for r in rounds[name]), 3)}
                    for name in rounds}
    result["views_each"] = len(addresses) * COUNTING_ROUNDS
    result["rounds"] = COUNTING_ROUNDS
    result["p50_ratio"] = round(result["counting on"]["p50_ms"] / result["counting off"]["p50_ms"], 3)
    result["p50_ratio_kiosks"] = round(result["kiosk 2"]["p50_ms"] / result["kiosk 1"]["p50_ms"], 3)
    per_round = sorted(on["p50_ms"] / off["p50_ms"]
                       for on, off in zip(rounds["counting on"], rounds["counting off"], strict=True))
    result["round_ratios_range"] = [round(per_round[0], 3), round(per_round[-1], 3)]
    return result


def counting_work(work: Path, view_ms: float) -> dict:
    """What counting itself adds to an article's view: the usage recorder's work after the page, timed alone.

    Every article address in turn, each in a request context as the kiosk serves it, the
    recorder called as after every request and its count taken as the response is closed
    (both timed; the part before the page is sent is also given alone), counting on and off taking turns session by
    session, each session ended (untimed) every ``PAGES_PER_SESSION`` views as a patron's
    reset would. Timed alone, a few microseconds are not lost in the noise of a whole
    request on a busy machine; set against ``view_ms``, an article's first view, they say
    what share of it counting costs.
    """
    from flask import Response

    from kiosk import create_app
    from kiosk.usage.recorder import usage_recorder

    app = create_app({"instance": work / "counting-work", "usage_figures": "on"})
    recorder = usage_recorder(app)
    addresses = article_addresses()
    sessions = [addresses[at:at + PAGES_PER_SESSION] for at in range(0, len(addresses), PAGES_PER_SESSION)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    before_sent: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(COUNTING_WORK_ROUNDS):
        for index, paths in enumerate(sessions):
            for on in ((True, False) if index % 2 == 0 else (False, True)):
                app.config["KIOSK_USAGE_FIGURES"] = on
                for path in paths:
                    served = Response("page", status=200)
                    with app.test_request_context(path):
                        app.preprocess_request()
                        began = time.perf_counter()
                        recorder.after_request(served)
                        handed_over = time.perf_counter()
                        served.close()  # the count itself, taken once the page is handed over
                        timings[on].append(time.perf_counter() - began)
                        before_sent[on].append(handed_over - began)
                recorder.end_session(app)
    on_us, off_us = (statistics.median(timings[state]) * 1e6 for state in (True, False))
    before_us = (statistics.median(before_sent[True]) - statistics.median(before_sent[False])) * 1e6
    return {"on_us": round(on_us, 2), "off_us": round(off_us, 2), "added_us": round(on_us - off_us, 2),
            "added_before_sent_us": round(before_us, 2),
            "share_of_view": round((on_us - off_us) / (view_ms * 1000), 4), "calls_each": len(timings[True])}


SCALE_LANGUAGES = tuple(tag for tag in ("en", "es", "fr", "ar", "zh-Hans", "uk", "vi", "tl", "pt-BR", "pl", "ro", "ur"))
"""Every language the kiosk ships, as a real library would have them."""
SCALE_ARTICLE_VIEWS = 1000
SCALE_SEARCHES = 400
SCALE_MORE_UPDATES = 4
"""Updates taken after the one timed, one after another, the kiosk's resident memory read after each: what an
update leaves behind shows over several."""
SCALE_COMPARED = 480
"""Distinct article addresses timed beside the bare stack at each size."""
SCALE_ROUNDS = 11
"""Rounds of those addresses on each side: more than ``ROUNDS``, as a ratio near its target is told apart from
the machine's own variation only over many rounds (each takes under a second)."""
SCALE_PROCESSES = 3
"""Server processes on each side of the comparison with the bare stack. Processes of the very same code differ
by up to a tenth in p50, whatever the rounds (where their memory lies, how their hashes fall: three kiosks
against one bare stack measured 1.15, 1.27 and 1.35 in one run), so each side's figure is its processes'
median."""
SCALE_TARGETS = {"restart_s": 1.0, "rss_mib": 150, "rss_above_shipped_mib": 20, "article_ratio": 1.3,
                 "search_ms": 5.0, "update_s": 5.0}
SCALE_ROUTES = textwrap.dedent("""
    @app.get('/bench/settled')
    def settled():
        from kiosk.content.serving import content_holder
        from kiosk.content.updates import content_updates
        from kiosk.patron.article_pages import article_pages
        content = content_holder(app).current
        content.index.result()
        content.words.result()
        article_pages(app).wait_until_built(3600)
        content_updates(app).wait_for_look(3600)  # a restart's look at its folder, after its first page
        return ''

    @app.post('/bench/take-now')
    def take_now():
        import time
        from kiosk.content.updates import content_updates
        began = time.perf_counter()
        taken = content_updates(app).take_now()
        return {'taken': taken, 'seconds': time.perf_counter() - began}
""")
"""The bench's own addresses in a kiosk it starts (never in the kiosk itself): wait until everything it does
in the background is done (the look at its folder a restart makes after its first page included); take the
content folder's present version now, as staff would, and say how long it took."""


def scale_kiosk_code(port: int, instance: Path, content: Path | None) -> str:
    """A kiosk as ``reading-kiosk`` runs it (every language offered), with the bench's own addresses."""
    content_line = f"config['content'] = {str(content)!r}" if content else ""
    return textwrap.dedent(f"""
        from waitress import serve
        from kiosk import create_app
        config = {{'instance': {str(instance)!r}, 'content_poll_seconds': 0}}
        {content_line}
        app = create_app(config)
{textwrap.indent(SCALE_ROUTES, " " * 8)}
        serve(app, host='127.0.0.1', port={port}, threads=4, ident=None)
    """)


SCRUBBING = {"PYTHONMALLOC": "pymalloc_debug", "MALLOC_ARENA_MAX": "2"}
"""The allocator and pools the kiosk runs under (``kiosk/deploy/command.py``): its memory is measured as it is served."""


def generate_library(folder: Path, articles: int, languages: tuple[str, ...] = SCALE_LANGUAGES) -> None:
    """A large library made from the shipped one: every article copied under new slugs, in ``languages``, and
    published (``manifest.json``), as a clinic network feeds its kiosks."""
    from kiosk.content.manifest import publish
    shutil.copy(ROOT / "content" / "topics.yaml", folder / "topics.yaml")
    sources = sorted((ROOT / "content" / "articles").iterdir())
    for index in range(articles):
        source = sources[index % len(sources)]
        target = folder / "articles" / f"{source.name}-{index:05d}"
        target.mkdir(parents=True)
        for file in (source / f"{tag}.md" for tag in languages):
            text = file.read_text(encoding="utf-8").replace("title: ", f"title: {index:05d} ", 1)
            (target / file.name).write_text(text, encoding="utf-8")
    publish(folder)


def search_words() -> dict[str, list[str]]:
    """200 distinct English words and 200 distinct Chinese character pairs from the shipped text."""
    english = (ROOT / "content" / "articles" / "consent" / "en.md").read_text(encoding="utf-8")
    chinese = (ROOT / "content" / "articles" / "consent" / "zh-Hans.md").read_text(encoding="utf-8")
    words = sorted({w.lower() for w in english.split() if w.isalpha() and len(w) > 3})
    pairs = sorted({chinese[i:i + 2] for i in range(len(chinese) - 1)
                    if all("\u4e00" <= c <= "\u9fff" for c in chinese[i:i + 2])})
    return {"en": words[:200], "zh-Hans": [quote(pair) for pair in pairs[:200]]}


def search_addresses() -> list[str]:
    """``SCALE_SEARCHES`` distinct searches: English words and Chinese pairs, taking turns."""
    words = search_words()
    paths = [f"/{tag}/search?q={word}" for pair in zip(words["en"], words["zh-Hans"], strict=False)
             for tag, word in zip(("en", "zh-Hans"), pair, strict=True)]
    return paths[:SCALE_SEARCHES]


def settle(port: int) -> None:
    """Wait until the kiosk's background work (search index, keyboard words, article pages) is done."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=7200)
    connection.request("GET", "/bench/settled")
    connection.getresponse().read()


def used_memory(port: int, pid: int, articles: list[str]) -> tuple[float, dict, dict]:
    """Resident memory after a first view of every one of ``articles`` and ``SCALE_SEARCHES`` distinct searches."""
    views = summary(latencies(port, articles))
    searches = summary(latencies(port, search_addresses()))
    return resident_mib(pid), views, searches


def beside_bare(work: Path, port: int, addresses: list[str], name: str, instance: Path, content: Path) -> dict:
    """Article pages, kiosks against bare stacks handing back the same bytes, in alternating rounds.

    The kiosk runs under the scrubbing allocator, as deployed, and is set against the bare stack under
    the same allocator: like for like, as the shipped library's comparison sets both under Python's
    default allocator, so the ratio is what the kiosk's own serving costs. The bare stack under the
    default allocator, which scrubs nothing, is timed in the same rounds too, so what the allocator
    costs (the privacy promise's price, paid by any program run under it) is seen apart.

    Each side is ``SCALE_PROCESSES`` processes: the kiosk on ``port`` and more on the same ``instance``
    and ``content``, and as many bare stacks of each kind. A round times every process over every
    address, one process of each side after another; its figure for a side is the median of that
    side's processes' p50s. A ratio is the median of the rounds' own ratios (each round's figures,
    taken moments apart), so a slower or quicker spell of the machine weighs on both sides of it
    alike; the p50s given are the medians of the rounds'.
    """
    responses = {address: fetch(port, address) for address in addresses}
    (work / f"{name}-responses.pickle").write_bytes(pickle.dumps(responses))
    sides: dict[str, list[int]] = {"kiosk": [port], "bare": [], "bare_scrubbing": []}
    started = []
    try:
        for _ in range(SCALE_PROCESSES - 1):
            kiosk_port = free_port()
            started.append(start(scale_kiosk_code(kiosk_port, instance, content), kiosk_port, addresses[0],
                                 SCRUBBING)[0])
            settle(kiosk_port)
            sides["kiosk"].append(kiosk_port)
        for side, env in (("bare", None), ("bare_scrubbing", SCRUBBING)):
            for _ in range(SCALE_PROCESSES):
                bare_port = free_port()
                started.append(start(bare_code(bare_port, work / f"{name}-responses.pickle"), bare_port,
                                     addresses[0], env)[0])
                sides[side].append(bare_port)
        for side_port in (side_port for ports in sides.values() for side_port in ports):
            latencies(side_port, addresses)  # each serves every address once first, as the first kiosk has
        rounds: dict[str, list[list[float]]] = {side: [] for side in sides}
        for _ in range(SCALE_ROUNDS):
            p50s: dict[str, list[float]] = {side: [] for side in sides}
            for place in range(SCALE_PROCESSES):
                for side, ports in sides.items():
                    p50s[side].append(summary(latencies(ports[place], addresses))["p50_ms"])
            for side, figures in p50s.items():
                rounds[side].append(figures)
    finally:
        for process in started:
            stop(process)

    def ratio(other: str) -> float:
        return round(statistics.median(statistics.median(kiosk) / statistics.median(bare)
                                       for kiosk, bare in zip(rounds["kiosk"], rounds[other], strict=True)), 2)

    def p50(side: str) -> float:
        return round(statistics.median(statistics.median(figures) for figures in rounds[side]), 3)

    def each(side: str) -> list[float]:
        return [round(statistics.median(figures[place] for figures in rounds[side]), 3)
                for place in range(SCALE_PROCESSES)]
    return {"kiosk_p50_ms": p50("kiosk"), "kiosk_processes_p50_ms": each("kiosk"),
            "bare_p50_ms": p50("bare_scrubbing"), "bare_processes_p50_ms": each("bare_scrubbing"),
            "ratio": ratio("bare_scrubbing"), "bare_default_allocator_p50_ms": p50("bare"),
            "ratio_to_default_allocator": ratio("bare"), "addresses": len(addresses), "rounds": SCALE_ROUNDS,
            "processes": SCALE_PROCESSES}


def shipped_figures(work: Path) -> tuple[float, float]:
    """The shipped library's resident memory, measured as ``library_at_scale`` measures a large one, and its
    restart to the first article (median of ``STARTS``): what the kiosk itself takes, whatever its library."""
    addresses = [f"/{tag}/articles/{slug}" for tag in shipped_tags() for slug in shipped_slugs()]
    instance = work / "shipped-memory"
    for measured in (False, True):  # the first start builds
        port = free_port()
        process, _took = start(scale_kiosk_code(port, instance, None), port, addresses[0], SCRUBBING)
        try:
            settle(port)
            if measured:
                resident, _views, _searches = used_memory(port, process.pid, addresses)
        finally:
            stop(process)
        if not measured:
            restarts = restarts_as_deployed(instance, None, addresses[:STARTS])
    return resident, round(statistics.median(restarts), 2)


def compiled_as_installed() -> None:
    """Compile the kiosk's modules to bytecode beside them, as pip does when it installs the kiosk's wheel.

    A kiosk as deployed starts from its compiled modules. A checkout run where ``PYTHONDONTWRITEBYTECODE`` is
    set (as on the machine the bench was written on) would compile all of them again at every start: about
    0.15 s of a restart. The files go into each package's ``__pycache__``, which git ignores."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "kiosk")], check=True)


def restarts_as_deployed(instance: Path, content: Path | None, probes: list[str]) -> list[float]:
    """Seconds from starting the kiosk as its systemd unit does (``run_kiosk.py``, the same program as
    ``reading-kiosk``, with the unit's allocator and pools in its environment, and its modules compiled as an
    installed kiosk's are) to the first article page served, once for each of ``probes``."""
    compiled_as_installed()
    content_options = ["--content", str(content)] if content else []
    restarts = []
    for probe in probes:
        port = free_port()
        process, took = start_command([PYTHON, "run_kiosk.py", "--no-browser", "--port", str(port), "--instance",
                                       str(instance), *content_options, "--content-poll-seconds", "0"], port, probe,
                                      SCRUBBING)
        stop(process)
        restarts.append(round(took, 2))
    return restarts


IDLE_SECONDS = 60
"""How long an idle kiosk's processor time is counted (``idle_cpu_percent``): a big library's looks at its folder
come every twenty seconds or so."""


def idle_cpu_percent(instance: Path, content: Path | None, probe: str) -> float:
    """The share of one core a kiosk started as ``reading-kiosk`` does, looking at its folder as it does by default
    (``--content-poll-seconds`` not given), takes while no one uses it, with the children its looks start: counted
    over ``IDLE_SECONDS``, from its first look on."""
    content_options = ["--content", str(content)] if content else []
    port = free_port()
    process, _took = start_command([PYTHON, "run_kiosk.py", "--no-browser", "--port", str(port), "--instance",
                                    str(instance), *content_options], port, probe, SCRUBBING)
    try:
        def ticks() -> int:  # user and system time of the process and of its children that ended (a look's)
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return sum(int(field) for field in fields[11:15])
        time.sleep(5)  # past the first look (after three seconds), which judges the folder as a restart finds it
        before, began = ticks(), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        spent = (ticks() - before) / os.sysconf("SC_CLK_TCK")
        return round(100 * spent / (time.perf_counter() - began), 1)
    finally:
        stop(process)


def library_at_scale(work: Path, articles: int, shipped_rss: float, kiwix: bool = True) -> dict:
    """A generated library of ``articles`` x 12 languages: build, restart, memory, pages, search, an update.

    - build: from the kiosk's start with an empty instance folder to the end of its background work
      (every article parsed, the search index, the keyboard words, every article page rendered), and the
      kiosk process's peak resident memory meanwhile (its worker processes' not counted);
    - restart: from starting the kiosk as ``reading-kiosk`` does to the first article page served, with the
      build kept (``restarts_as_deployed``);
    - memory: resident after ``SCALE_ARTICLE_VIEWS`` distinct article views and ``SCALE_SEARCHES``
      distinct searches, beside the shipped library's figure measured the same way;
    - article pages beside the bare stack (``SCALE_COMPARED`` distinct addresses), search p50;
    - one article's file changed, then the new version taken (as ``take_now`` does after a staff change), and
      what that wrote to disk, its pages rendered again included.
    """
    content = work / f"scale-{articles}"
    content.mkdir()
    generate_library(content, articles)
    slugs = sorted(path.name for path in (content / "articles").iterdir())
    instance = work / f"scale-{articles}-instance"
    port = free_port()
    began = time.perf_counter()
    process, first = start(scale_kiosk_code(port, instance, content), port, f"/en/articles/{slugs[0]}", SCRUBBING,
                           wait_s=7200)
    try:
        settle(port)
        built = {"build_s": round(time.perf_counter() - began, 1), "cold_first_article_s": round(first, 2),
                 "build_peak_rss_mib": resident_mib(process.pid, "VmHWM")}
    finally:
        stop(process)
    return built | built_library(work, content, instance, shipped_rss, kiwix)


def built_library(work: Path, content: Path, instance: Path, shipped_rss: float, kiwix: bool = True) -> dict:
    """``library_at_scale``'s figures after the build, for the library in ``content`` built in ``instance``
    (``--built``: a library built before is measured again, without the build, after a change of the kiosk's
    that keeps what it builds). Changes one article of ``content``."""
    slugs = sorted(path.name for path in (content / "articles").iterdir())
    figures: dict = {"articles": len(slugs), "languages": len(SCALE_LANGUAGES)}
    figures["build_mib_on_disk"] = round(sum(path.stat().st_size for path in instance.iterdir()
                                             if path.is_file()) / 2**20, 1)
    restarts = restarts_as_deployed(instance, content, [f"/en/articles/{slug}" for slug in slugs[:STARTS]])
    figures["restarts_s"] = restarts
    figures["restart_s"] = statistics.median(restarts)
    figures["idle_cpu_percent"] = idle_cpu_percent(instance, content, f"/en/articles/{slugs[0]}")
    port = free_port()
    process, _took = start(scale_kiosk_code(port, instance, content), port, f"/en/articles/{slugs[0]}", SCRUBBING)
    try:
        settle(port)
        views = [f"/{SCALE_LANGUAGES[index % len(SCALE_LANGUAGES)]}/articles/{slugs[index * len(slugs) // SCALE_ARTICLE_VIEWS]}"
                 for index in range(SCALE_ARTICLE_VIEWS)]
        resident, first_views, searches = used_memory(port, process.pid, views)
        figures.update(rss_mib=resident, rss_above_shipped_mib=round(resident - shipped_rss, 1),
                       article_first_view=first_views, search=searches)
        step = max(1, len(slugs) // SCALE_COMPARED)
        compared = [f"/{SCALE_LANGUAGES[index % len(SCALE_LANGUAGES)]}/articles/{slugs[(index * step + 1) % len(slugs)]}"
                    for index in range(SCALE_COMPARED)]
        figures["article_pages"] = beside_bare(work, port, compared, f"scale-{len(slugs)}", instance, content)
        figures["kiwix"] = (beside_kiwix(work, port, slugs, views, compared, figures["article_pages"]["kiosk_p50_ms"])
                            if kiwix else {"skipped": "--without-kiwix: no comparison with kiwix-serve"})
        slug = slugs[len(slugs) // 2]
        written_before = written_bytes(process.pid)
        taken = change_and_take(port, content, slug)
        figures["update_s"] = round(taken["seconds"], 2)
        figures["update_written_mib"] = round((written_bytes(process.pid) - written_before) / 2**20, 1)
        figures["rss_after_update_mib"] = resident_mib(process.pid)
        more = []
        for _ in range(SCALE_MORE_UPDATES):
            change_and_take(port, content, slug)
            more.append(resident_mib(process.pid))
        figures["rss_after_more_updates_mib"] = more
    finally:
        stop(process)
    return figures


def change_and_take(port: int, content: Path, slug: str) -> dict:
    """Change article ``slug``'s English file (its title, back and forth: each time a new version of the article),
    publish the folder again if it is published, have the kiosk on ``port`` take the folder's new version at
    once, as after a staff change, and wait until its pages are rendered; what ``/bench/take-now`` answered."""
    from kiosk.content.manifest import MANIFEST, publish
    changed = content / "articles" / slug / "en.md"
    text = changed.read_text(encoding="utf-8")
    text = (text.replace("title: Changed ", "title: ", 1) if "title: Changed " in text
            else text.replace("title: ", "title: Changed ", 1))
    changed.write_text(text, encoding="utf-8")
    if (content / MANIFEST).exists():  # published again, as a new version reaches a clinic's kiosks
        publish(content)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    connection.request("POST", "/bench/take-now")
    taken = json.loads(connection.getresponse().read())
    page, _headers = fetch(port, f"/en/articles/{slug}")
    assert taken["taken"] and (b"Changed " in page) == ("title: Changed " in text), taken
    settle(port)  # the changed article's pages rendered and stored too
    return taken


ZIM_TOOLS = {"kiwix-serve": "kiwix-tools", "zimwriterfs": "zim-tools"}
"""The programs the comparison with kiwix-serve needs, and the Debian packages they come in."""


def beside_kiwix(work: Path, port: int, slugs: list[str], views: list[str], compared: list[str],
                 kiosk_p50_ms: float) -> dict:
    """kiwix-serve on a ZIM of the same pages, when ``kiwix-tools`` and ``zim-tools`` are installed.

    Every article in every language, as the kiosk on ``port`` serves it (its default display), is
    written into a ZIM by ``zimwriterfs`` (no full-text index: the comparison is of pages), then
    kiwix-serve is measured as the kiosk was: restart to the first article (median of ``STARTS``),
    resident memory after the same ``views``, and the p50 of the ``compared`` addresses (median of
    ``SCALE_ROUNDS`` rounds, just after the kiosk's own rounds).
    """
    missing = [package for program, package in ZIM_TOOLS.items() if not shutil.which(program)]
    if missing:
        return {"skipped": f"not installed (apt-get install {' '.join(missing)}): no comparison with kiwix-serve"}
    # Named by size: a run of --large measures two libraries in the same folder, and zimwriterfs writes no
    # ZIM over one already there.
    pages = work / f"zim-pages-{len(slugs)}"
    addresses = [f"/{tag}/articles/{slug}" for slug in slugs for tag in SCALE_LANGUAGES]
    crawl(port, addresses, pages)
    (pages / "welcome.html").write_bytes((pages / f"{addresses[0].lstrip('/')}.html").read_bytes())
    (pages / "illustration.png").write_bytes(blank_png(48))
    zim = work / f"bench-{len(slugs)}.zim"
    began = time.perf_counter()
    written = subprocess.run(["zimwriterfs", "--welcome=welcome.html", "--illustration=illustration.png",
                              "--language=eng", "--title=Bench", "--description=The kiosk's article pages",
                              "--creator=bench", "--publisher=bench", "--withoutFTIndex", str(pages), str(zim)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if written.returncode:
        raise SystemExit(f"zimwriterfs failed ({written.returncode}): {written.stderr.strip()[-500:]}")
    figures: dict = {"pages": len(addresses), "zim_build_s": round(time.perf_counter() - began, 1),
                     "zim_mib": round(zim.stat().st_size / 2**20, 1)}
    shutil.rmtree(pages)

    def in_zim(address: str) -> str:
        return f"/{zim.stem}{address}.html"

    restarts = []
    for attempt in range(STARTS):
        kiwix_port = free_port()
        process, took = start_command(["kiwix-serve", f"--port={kiwix_port}", "--address=127.0.0.1",
                                       "--nosearchbar", str(zim)], kiwix_port, in_zim(views[attempt]))
        restarts.append(round(took, 2))
        if attempt < STARTS - 1:
            stop(process)
    try:
        latencies(kiwix_port, [in_zim(address) for address in views])
        figures["rss_mib"] = resident_mib(process.pid)
        rounds = [summary(latencies(kiwix_port, [in_zim(address) for address in compared]))["p50_ms"]
                  for _ in range(SCALE_ROUNDS)]
    finally:
        stop(process)
        zim.unlink()
    figures.update(restarts_s=restarts, restart_s=statistics.median(restarts),
                   article_p50_ms=round(statistics.median(rounds), 3),
                   kiosk_ratio=round(kiosk_p50_ms / statistics.median(rounds), 2))
    return figures


def crawl(port: int, addresses: list[str], folder: Path) -> None:
    """Each of ``addresses`` as the server on ``port`` sends it, written to ``folder`` under its path + .html."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for address in addresses:
        connection.request("GET", address)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, (address, response.status)
        path = folder / f"{address.lstrip('/')}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def blank_png(side: int) -> bytes:
    """A white square PNG ``side`` pixels wide (a ZIM must have an illustration)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff\xff\xff" * side for _ in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def print_scale(figures: dict, shipped_rss: float) -> None:
    targets = SCALE_TARGETS
    pages = figures["article_pages"]
    print(f"Library of {figures['articles']:,} articles x {figures['languages']} languages:")
    print(f"  build {figures['build_s']} s (first article after {figures['cold_first_article_s']} s), "
          f"{figures['build_mib_on_disk']} MiB in the instance folder; the kiosk process's resident memory "
          f"peaked at {figures['build_peak_rss_mib']} MiB meanwhile")
    print(f"  restart to first article: median {figures['restart_s']} s of {figures['restarts_s']} "
          f"(target at most {targets['restart_s']})")
    print(f"  idle, looking at its folder as it does by default: {figures['idle_cpu_percent']}% of one core")
    print(f"  resident memory after {SCALE_ARTICLE_VIEWS} distinct articles and {SCALE_SEARCHES} distinct searches: "
          f"{figures['rss_mib']} MiB (target at most {targets['rss_mib']}); the shipped library {shipped_rss} MiB, "
          f"{figures['rss_above_shipped_mib']} MiB above it (target at most {targets['rss_above_shipped_mib']})")
    print(f"  article pages ({pages['addresses']} distinct addresses, {pages['processes']} processes a side): kiosk "
          f"p50 {pages['kiosk_p50_ms']} ms (each process {pages['kiosk_processes_p50_ms']}), bare stack under the "
          f"same scrubbing allocator {pages['bare_p50_ms']} ms (each {pages['bare_processes_p50_ms']}), ratio "
          f"{pages['ratio']} round by round over {pages['rounds']} rounds (target at most {targets['article_ratio']}); "
          f"the bare stack under Python's "
          f"default allocator, which scrubs nothing, {pages['bare_default_allocator_p50_ms']} ms, ratio "
          f"{pages['ratio_to_default_allocator']}; first views p50 {figures['article_first_view']['p50_ms']} ms")
    print(f"  search p50 {figures['search']['p50_ms']} ms (target at most {targets['search_ms']})")
    print(f"  one article changed: the new version served after {figures['update_s']} s "
          f"(target at most {targets['update_s']}), {figures['update_written_mib']} MiB written to disk with its "
          f"pages; memory then {figures['rss_after_update_mib']} MiB, and after each of {SCALE_MORE_UPDATES} more "
          f"{figures['rss_after_more_updates_mib']} MiB")
    kiwix = figures["kiwix"]
    if "skipped" in kiwix:
        print(f"  kiwix-serve: {kiwix['skipped']}", flush=True)
    else:
        print(f"  kiwix-serve on a ZIM of the same {kiwix['pages']:,} pages ({kiwix['zim_mib']} MiB, written in "
              f"{kiwix['zim_build_s']} s): restart to first article median {kiwix['restart_s']} s of "
              f"{kiwix['restarts_s']}; resident memory after the same {SCALE_ARTICLE_VIEWS} articles "
              f"{kiwix['rss_mib']} MiB; article p50 {kiwix['article_p50_ms']} ms (kiosk / kiwix-serve "
              f"{kiwix['kiosk_ratio']})", flush=True)


def handouts(work: Path) -> dict:
    """Generated handout PDF per language, and a large publisher PDF streamed from disk."""
    figures: dict = {}
    content = work / "handout-content"
    shutil.copytree(ROOT / "content", content)
    leaflet = content / "articles" / "consent"
    (leaflet / "publisher.pdf").write_bytes(large_pdf())
    source = leaflet / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "licence: CC BY 4.0", "licence: CC BY 4.0\npublisher_pdf: publisher.pdf"), encoding="utf-8")
    port = free_port()
    process, _ = start(kiosk_code(port, work / "handout-instance", content), port, "/en/")
    try:
        for tag in shipped_tags():
            path = f"/{tag}/articles/intimacy/handout.pdf"
            latencies(port, [path])  # the first PDF also loads WeasyPrint and the fonts
            figures[tag] = summary(latencies(port, [path] * 10))
        before = resident_mib(process.pid)
        figures["publisher"] = summary(latencies(port, ["/en/articles/consent/handout.pdf"] * 50))
        figures["publisher"].update(bytes=(leaflet / "publisher.pdf").stat().st_size,
                                    rss_growth_mib=round(resident_mib(process.pid) - before, 1))
    finally:
        stop(process)
    return figures


def first_byte(port: int, path: str) -> float:
    """Seconds from sending a request to its first byte of body (the rest is read, untimed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    began = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - began
    response.read()
    assert response.status == 200, (path, response.status)
    return elapsed


def read_aloud(work: Path) -> dict:
    """First audio after a tap on Listen, per language; and audio made per CPU second."""
    from kiosk import create_app
    from kiosk.content.loader import load_library
    from kiosk.languages import BY_TAG
    from kiosk.reading import translation_notice
    from kiosk.speech.engine import shared_speaker
    from kiosk.speech.parts import article_parts, speech_parts

    figures: dict = {}
    voiced = [tag for tag in shipped_tags() if BY_TAG[tag].voice]
    port = free_port()
    process, _ = start(kiosk_code(port, work / "speech-instance"), port, "/en/")
    try:
        for tag in voiced:
            timings = []
            for _ in range(ROUNDS):
                for slug in shipped_slugs():
                    page, _headers = fetch(port, f"/{tag}/articles/{slug}")
                    base = f"/{tag}/articles/{slug}/speech/"
                    first = next(iter(speech_parts(page.decode("utf-8"))))
                    began = time.perf_counter()
                    latencies(port, [base + first + ".json"])
                    first_byte(port, base + first + ".wav")
                    timings.append(time.perf_counter() - began)
            figures[tag] = summary(timings)
    finally:
        stop(process)

    app = create_app({"instance": str(work / "speech-instance-2"), "TESTING": True})
    library = load_library(ROOT / "content")
    speaker = shared_speaker()
    spoken_ms = 0
    cpu_began = time.process_time()
    for tag in voiced:
        reader = BY_TAG[tag]
        for article in library.articles.values():
            with app.test_request_context(f"/{tag}/"):
                app.preprocess_request()
                parts = article_parts(article, reader, str(translation_notice(article, reader)))
            for language, text in parts.values():
                spoken_ms += speaker.speak(text, BY_TAG[language].voice).duration_ms
    cpu = time.process_time() - cpu_began
    figures["audio_s_per_cpu_s"] = round(spoken_ms / 1000 / cpu, 1)
    figures["audio_minutes"] = round(spoken_ms / 60000, 1)
    return figures


def large_pdf() -> bytes:
    """A 4 MiB PDF standing in for a publisher's file (incompressible page content)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject
    writer = PdfWriter()
    for _ in range(8):
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(b"% " + os.urandom(512 * 1024).hex().encode()[: 512 * 1024] + b"\n")
        page[NameObject("/Contents")] = writer._add_object(stream)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


MINIMAL_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Minimal</title></head>'
                '<body><h1>A minimal page</h1><p>Some text to paint.</p></body></html>')
# The same page running the kiosk's session guard first, as every kiosk page must (a page
# reached by Back after a reset replaces itself before it is drawn): the floor that the
# privacy promise sets under any kiosk page.
GUARDED_PAGE = MINIMAL_PAGE.replace("</title>", '</title><script src="/session-guard.js?v=1"></script>')
FIRST_PAINT = """() => new Promise(done => {
  const look = () => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    if (paint) { done(paint.startTime); } else { setTimeout(look, 10); }
  };
  look();
})"""


def speaking_first_sound(work: Path) -> dict:
    """Speaking mode: from a move (a key press) to its first sound, per language, in Chromium.

    static/speaking.js marks the move and measures to the moment the audio of
    what it reached starts ("speaking-first-sound"); each press waits for the
    last one's sound, as a patron listening would.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return {"skipped": "Chromium is not installed (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    from kiosk.languages import BY_TAG
    port = free_port()
    process, _ = start(kiosk_code(port, work / "speaking-instance"), port, "/en/")
    figures: dict = {}
    measured = "performance.getEntriesByName('speaking-first-sound').map(entry => entry.duration)"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-gpu", "--disable-quic", "--no-first-run"])
            for tag in (tag for tag in shipped_tags() if BY_TAG[tag].voice):
                context = browser.new_context(viewport={"width": 1080, "height": 1920})
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/{tag}/articles/{shipped_slugs()[0]}")
                page.keyboard.press("ArrowDown")  # turns speaking mode on (and makes the page's audio)
                timings: list[float] = []
                while len(timings) < MOVES:
                    before = len(page.evaluate(measured))
                    page.keyboard.press("ArrowDown")
                    deadline = time.monotonic() + 10
                    while len(found := page.evaluate(measured)) <= before and time.monotonic() < deadline:
                        time.sleep(0.01)
                    if len(found) > before:
                        timings.append(found[-1] / 1000)
                figures[tag] = summary(timings)
                context.close()
            browser.close()
    finally:
        stop(process)
    return figures


def first_paint(work: Path) -> dict:
    """Navigation to first contentful paint in Chromium: every article page against a minimal page.

    Each side is measured in its own browser context, navigating page after
    page on its own origin, as a kiosk does.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return {"skipped": "Chromium is not installed (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    kiosk_port, static_port = free_port(), free_port()
    addresses = [f"/{tag}/articles/{slug}" for tag in shipped_tags() for slug in shipped_slugs()]
    kiosk, _ = start(kiosk_code(kiosk_port, work / "paint-instance"), kiosk_port, addresses[0])
    static, _ = start(textwrap.dedent(f"""
        from flask import Flask
        from waitress import serve
        app = Flask(__name__)

        @app.get('/page/<int:number>')
        def page(number):
            return {MINIMAL_PAGE!r}

        @app.get('/guarded/<int:number>')
        def guarded(number):
            return {GUARDED_PAGE!r}

        @app.get('/session-guard.js')
        def guard():
            return {(ROOT / "static" / "session-guard.js").read_text(encoding="utf-8")!r}, 200, {{
                'Content-Type': 'text/javascript', 'Cache-Control': 'public, max-age=31536000, immutable'}}

        serve(app, host='127.0.0.1', port={static_port}, threads=4, ident=None)
    """), static_port, "/page/0")
    figures: dict = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-gpu", "--disable-quic", "--no-first-run"])
            for rate in (1, 4):
                paints: dict[str, list[float]] = {"kiosk": [], "minimal": [], "guarded": []}
                for _ in range(3):
                    for name, base, paths in (
                            ("kiosk", f"http://127.0.0.1:{kiosk_port}", addresses),
                            ("minimal", f"http://127.0.0.1:{static_port}",
                             [f"/page/{n}" for n in range(len(addresses))]),
                            ("guarded", f"http://127.0.0.1:{static_port}",
                             [f"/guarded/{n}" for n in range(len(addresses))])):
                        context = browser.new_context(viewport={"width": 1080, "height": 1920})
                        page = context.new_page()
                        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
                        page.goto(base + paths[0])  # the first visit fetches the stylesheet and scripts
                        for path in paths:
                            page.goto(base + path)
                            paints[name].append(page.evaluate(FIRST_PAINT))
                        context.close()
                kiosk_p50, minimal_p50, guarded_p50 = (statistics.median(paints[name])
                                                       for name in ("kiosk", "minimal", "guarded"))
                figures[f"cpu_{rate}x"] = {"kiosk_p50_ms": round(kiosk_p50, 1), "minimal_p50_ms": round(minimal_p50, 1),
                                           "guarded_p50_ms": round(guarded_p50, 1),
                                           "ratio": round(kiosk_p50 / minimal_p50, 2),
                                           "guarded_ratio": round(guarded_p50 / minimal_p50, 2)}
            browser.close()
    finally:
        stop(kiosk)
        stop(static)
    return figures


SMALL_SCALE, LARGE_SCALE = 1000, 10000


def scale(work: Path, sizes: list[int], kiwix: bool = True) -> dict:
    """``library_at_scale`` at each of ``sizes``, beside the shipped library's memory; printed as it goes."""
    print("The shipped library, measured as the large ones are:", flush=True)
    shipped_rss, shipped_restart = shipped_figures(work)
    print(f"  resident memory {shipped_rss} MiB, restart to first article {shipped_restart} s", flush=True)
    results: dict = {"shipped_rss_mib": shipped_rss, "shipped_restart_s": shipped_restart, "targets": SCALE_TARGETS}
    for size in sizes:
        results[str(size)] = library_at_scale(work, size, shipped_rss, kiwix)
        print_scale(results[str(size)], shipped_rss)
    return results


def scale_built(work: Path, content: Path, instance: Path, kiwix: bool = True) -> dict:
    """``built_library`` for a library built before, beside the shipped library's memory; printed."""
    print("The shipped library, measured as the large ones are:", flush=True)
    shipped_rss, shipped_restart = shipped_figures(work)
    print(f"  resident memory {shipped_rss} MiB, restart to first article {shipped_restart} s", flush=True)
    figures = built_library(work, content.resolve(), instance.resolve(), shipped_rss, kiwix)
    print_scale(figures | {"build_s": "-", "cold_first_article_s": "-", "build_peak_rss_mib": "-"}, shipped_rss)
    return {"shipped_rss_mib": shipped_rss, "shipped_restart_s": shipped_restart, "targets": SCALE_TARGETS,
            str(figures["articles"]): figures}


def machine_speed() -> float:
    """Seconds this process takes for a fixed loop of pure Python (the best of three): printed with every run, so
    figures from runs on a machine whose speed varies from hour to hour (a shared virtual machine) can be set
    side by side."""
    def loop() -> float:
        began = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        return time.perf_counter() - began
    return min(loop() for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true",
                        help=f"only the library at scale, at {SMALL_SCALE:,} and {LARGE_SCALE:,} articles "
                             "(the larger takes several minutes to build)")
    machine = (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
               f"{machine_speed():.2f} s for a pure-Python loop of 10 million additions")
    parser.add_argument("--built", nargs=2, type=Path, metavar=("CONTENT", "INSTANCE"),
                        help="only the library at scale's figures after the build, for the library in CONTENT built "
                             "before in INSTANCE (by --large's build, or a kiosk started over it); changes one "
                             "article of CONTENT")
    parser.add_argument("--without-kiwix", action="store_true",
                        help="with --large or --built: leave out the comparison with kiwix-serve (writing the ZIM of "
                             "every page takes minutes at 10,000 articles), to measure the kiosk again sooner")
    arguments = parser.parse_args()
    if arguments.large or arguments.built:
        print(f"Benchmark of the library at scale on {machine}", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            if arguments.built:
                results = {"machine": machine, "library_at_scale": scale_built(Path(folder), *arguments.built,
                                                                               kiwix=not arguments.without_kiwix)}
            else:
                results = {"machine": machine, "library_at_scale": scale(Path(folder), [SMALL_SCALE, LARGE_SCALE],
                                                                         kiwix=not arguments.without_kiwix)}
        write_results(results, "scale.json")
        return
    results: dict = {"machine": machine, "targets": TARGETS}
    print(f"Benchmark on {results['machine']}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shipped = results["article_pages"] = compare_with_bare(work)
        print(f"Article pages, {shipped['addresses']} addresses each once per round (shipped library):")
        for name in ("kiosk", "bare"):
            figures = shipped[name]
            print(f"  {name:<6} p50 {figures['p50_ms']:.3f} ms  p95 {figures['p95_ms']:.3f} ms  "
                  f"{figures['requests_per_s']} requests/s with {CONCURRENT_CLIENTS} clients")
        print(f"  kiosk / bare p50: {shipped['p50_ratio']} (target at most {TARGETS['article_ratio']}); "
              f"cold start {shipped['kiosk']['cold_start_s']} s", flush=True)

        counting = results["usage_counting"] = counting_cost(work)
        print(f"Article first view, usage figures counted and not ({PAGES_PER_SESSION} views a session, "
              f"{counting['views_each']} views each in {counting['rounds']} rounds, two kiosks switching "
              f"counting session by session):")
        for name in ("counting on", "counting off", "kiosk 1", "kiosk 2"):
            print(f"  {name:<12} p50 {counting[name]['p50_ms']:.3f} ms  p95 {counting[name]['p95_ms']:.3f} ms")
        print(f"  on / off p50: {counting['p50_ratio']} (target at most {TARGETS['counting_ratio']}); "
              f"kiosk 2 / kiosk 1 (the floor): {counting['p50_ratio_kiosks']}; on / off round by round: "
              f"{counting['round_ratios_range'][0]} to {counting['round_ratios_range'][1]}", flush=True)
        added = results["usage_counting_work"] = counting_work(work, counting["counting off"]["p50_ms"])
        print(f"  counting's own work after a view, timed alone ({added['calls_each']} views each): "
              f"{added['on_us']} µs on, {added['off_us']} µs off: it adds {added['added_us']} µs, "
              f"{added['share_of_view'] * 100:.2f}% of an article's first view (target under 2%), of which "
              f"{added['added_before_sent_us']} µs before the page is sent", flush=True)

        print("Handout PDFs (p50 of 10 each):", flush=True)
        pdfs = results["handouts"] = handouts(work)
        print("  generated: " + ", ".join(f"{tag} {pdfs[tag]['p50_ms']:.0f} ms" for tag in shipped_tags()))
        print(f"  publisher PDF ({pdfs['publisher']['bytes'] // 1024} KiB) p50 {pdfs['publisher']['p50_ms']} ms, "
              f"memory grew {pdfs['publisher']['rss_growth_mib']} MiB over 50 requests", flush=True)

        results["library_at_scale"] = scale(work, [SMALL_SCALE])

        print("Read aloud, from the request to the first audio of the first part (word timings, then audio):",
              flush=True)
        speech = results["read_aloud"] = read_aloud(work)
        print("  " + ", ".join(f"{tag} p50 {speech[tag]['p50_ms']:.0f} ms p95 {speech[tag]['p95_ms']:.0f} ms"
                               for tag in shipped_tags() if tag in speech) + f" (target p95 at most {TARGETS['first_audio_p95_ms']})")
        print(f"  {speech['audio_s_per_cpu_s']} s of audio made per CPU second "
              f"({speech['audio_minutes']} minutes: every part of every article in every language)", flush=True)

        print(f"Speaking mode, from a move to its first sound in Chromium ({MOVES} moves per language):", flush=True)
        sound = results["speaking_first_sound"] = speaking_first_sound(work)
        if "skipped" in sound:
            print(f"  skipped: {sound['skipped']}")
        else:
            print("  " + ", ".join(f"{tag} p50 {sound[tag]['p50_ms']:.0f} ms p95 {sound[tag]['p95_ms']:.0f} ms"
                                   for tag in sound) + f" (target p95 at most {TARGETS['first_sound_p95_ms']})",
                  flush=True)

        print("First contentful paint in Chromium, every article page against a minimal page:", flush=True)
        paint = results["first_paint"] = first_paint(work)
        for key, figures in paint.items():
            if key == "skipped":
                print(f"  skipped: {figures}")
            else:
                print(f"  CPU {key.removeprefix('cpu_')}: kiosk p50 {figures['kiosk_p50_ms']} ms, minimal "
                      f"{figures['minimal_p50_ms']} ms, ratio {figures['ratio']} (target at most "
                      f"{TARGETS['fcp_ratio']}); the minimal page with the session guard "
                      f"{figures['guarded_p50_ms']} ms, ratio {figures['guarded_ratio']}")
    write_results(results, "latest.json")


def write_results(results: dict, name: str) -> None:
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / name).write_text(json.dumps(results, indent=2) + "\n")
    print(f"Written to {out / name}")


if __name__ == "__main__":
    main()
