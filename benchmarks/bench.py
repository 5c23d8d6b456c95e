#!/usr/bin/env python3
"""`make bench`: how fast the kiosk serves, against the bare stack, measured in the same run.

Figures printed (and written to bench-results/latest.json):
- article page p50/p95 latency and throughput, kiosk vs a bare Flask app on
  waitress returning a body of the same size (the floor of this stack);
- cold start to first served article, shipped library;
- the same for a generated library of 1,000 articles x 6 languages, with
  resident memory, article p50 and search p50.

Servers run in their own processes; the client runs here, over loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ARTICLE = "/en/articles/intimacy"
SEQUENTIAL_REQUESTS = 400
CONCURRENT_CLIENTS = 4
CONCURRENT_SECONDS = 4.0
ROUNDS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(code: str, port: int, env: dict | None = None) -> tuple[subprocess.Popen, float]:
    """Start a server process; return it and the seconds until it first served a page."""
    began = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", code], cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = began + 120
    while time.perf_counter() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ARTICLE)
            if connection.getresponse().status in (200, 404):
                return process, time.perf_counter() - began
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit("server did not start")


def kiosk_code(port: int, content: Path | None = None) -> str:
    content_line = f"config['content'] = {str(content)!r}" if content else ""
    return textwrap.dedent(f"""
        from waitress import serve
        from kiosk import create_app
        config = {{}}
        {content_line}
        serve(create_app(config), host='127.0.0.1', port={port}, threads=4, ident=None)
    """)


def bare_code(port: int, size: int) -> str:
    return textwrap.dedent(f"""
        from flask import Flask
        from waitress import serve
        app = Flask(__name__)
        BODY = 'x' * {size}
        @app.get('/<lang>/articles/<slug>')
        def article(lang, slug):
            return BODY
        serve(app, host='127.0.0.1', port={port}, threads=4, ident=None)
    """)


def latencies(port: int, path: str | list[str], count: int) -> list[float]:
    """Time ``count`` sequential requests of ``path`` (or of each path in a list, in turn)."""
    paths = path if isinstance(path, list) else [path]
    connection = http.client.HTTPConnection("127.0.0.1", port)
    timings = []
    for index in range(count):
        path = paths[index % len(paths)]
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        timings.append(time.perf_counter() - began)
        assert response.status == 200, (path, response.status)
    return timings


def throughput(port: int, path: str) -> float:
    done = [0] * CONCURRENT_CLIENTS
    stop = time.perf_counter() + CONCURRENT_SECONDS

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < stop:
            connection.request("GET", path)
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
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 2)}


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def generate_library(folder: Path, articles: int) -> None:
    """A large library made from the shipped one: every article copied under new slugs."""
    shutil.copy(ROOT / "content" / "topics.yaml", folder / "topics.yaml")
    sources = sorted((ROOT / "content" / "articles").iterdir())
    for index in range(articles):
        source = sources[index % len(sources)]
        target = folder / "articles" / f"{source.name}-{index:04d}"
        target.mkdir(parents=True)
        for file in source.glob("*.md"):
            text = file.read_text(encoding="utf-8")
            text = text.replace("title: ", f"title: {index:04d} ", 1)
            (target / file.name).write_text(text, encoding="utf-8")


def first_views() -> list[str]:
    """Every article page of the shipped library in every language and display choice, once each."""
    from kiosk.content_loader import load_library
    from kiosk.languages import LANGUAGES
    slugs = sorted(load_library(ROOT / "content").articles)
    choices = ["", "?size=2", "?size=3", "?size=4", "?contrast=high", "?size=2&contrast=high",
               "?size=3&contrast=high", "?size=4&contrast=high"]
    return [f"/{language.tag}/articles/{slug}{choice}"
            for choice in choices for language in LANGUAGES for slug in slugs]


def compare_with_bare(first_view_paths: list[str]) -> dict:
    """Kiosk and bare stack started side by side, measured in alternating rounds.

    Alternating evens out whatever else the machine is doing; each figure is
    the median of the rounds' p50s.
    """
    kiosk_port, bare_port = free_port(), free_port()
    kiosk, kiosk_cold = start(kiosk_code(kiosk_port), kiosk_port)
    bare, bare_cold = start(bare_code(bare_port, article_size()), bare_port)
    try:
        # Each address once: rendered from the template, as a patron's first view of a page is.
        first_view = summary(latencies(kiosk_port, first_view_paths, len(first_view_paths)))
        rounds = {"kiosk": [], "bare": []}
        for _ in range(ROUNDS):
            for name, port in (("kiosk", kiosk_port), ("bare", bare_port)):
                latencies(port, ARTICLE, 30)
                rounds[name].append(summary(latencies(port, ARTICLE, SEQUENTIAL_REQUESTS)))
        result = {}
        for name, port, process, cold in (("kiosk", kiosk_port, kiosk, kiosk_cold),
                                          ("bare", bare_port, bare, bare_cold)):
            result[name] = {
                "p50_ms": statistics.median(r["p50_ms"] for r in rounds[name]),
                "p95_ms": statistics.median(r["p95_ms"] for r in rounds[name]),
                "requests_per_s": round(throughput(port, ARTICLE)),
                "cold_start_s": round(cold, 2), "rss_mib": resident_mib(process.pid)}
        result["kiosk"]["first_view"] = first_view
    finally:
        for process in (kiosk, bare):
            process.terminate()
            process.wait()
    result["p50_ratio"] = round(result["kiosk"]["p50_ms"] / result["bare"]["p50_ms"], 2)
    return result


def show(name: str, figures: dict) -> None:
    print(f"  {name:<30} p50 {figures['p50_ms']:>6} ms   p95 {figures['p95_ms']:>6} ms" +
          (f"   {figures['requests_per_s']:>5} req/s   cold start {figures['cold_start_s']} s   "
           f"RSS {figures['rss_mib']} MiB" if "requests_per_s" in figures else ""), flush=True)


def main() -> None:
    import flask  # noqa: F401  (fail early if the venv is not active)
    results: dict = {"machine": f"{os.cpu_count()} cores, {platform_line()}"}
    print(f"Benchmark on {results['machine']}")
    print("Article page, shipped library (sequential p50/p95; throughput with 4 concurrent clients):")
    paths = first_views()
    shipped = compare_with_bare(paths)
    show("kiosk, page seen before", shipped["kiosk"])
    show(f"kiosk, first view ({len(paths)} pages)", shipped["kiosk"]["first_view"])
    show("bare Flask+waitress, same size", shipped["bare"])
    print(f"  kiosk/bare p50 ratio: {shipped['p50_ratio']} (target at most 1.3)")
    results["shipped"] = shipped

    print("Handout PDFs (sequential, 10 each):")
    results["handouts"] = measure_handouts()

    print("Generated library, 1,000 articles x 6 languages:")
    with tempfile.TemporaryDirectory() as folder:
        generate_library(Path(folder), 1000)
        port = free_port()
        process, cold = start(kiosk_code(port, Path(folder)), port)
        try:
            slugs = sorted(p.name for p in (Path(folder) / "articles").iterdir())
            articles = [f"/en/articles/{slug}" for slug in slugs[:SEQUENTIAL_REQUESTS]]
            words = search_words()
            big = {"cold_start_s": round(cold, 2),
                   "article_first_view": summary(latencies(port, articles, len(articles))),
                   "search": summary(latencies(port, [f"/en/search?q={w}" for w in words["en"]], 200)),
                   "search_zh": summary(latencies(port, [f"/zh-Hans/search?q={w}" for w in words["zh"]], 200)),
                   "rss_mib": resident_mib(process.pid)}
        finally:
            process.terminate()
            process.wait()
    results["generated_1000x6"] = big
    print(f"  cold start {big['cold_start_s']} s (target under 10 s), RSS {big['rss_mib']} MiB "
          f"(target under 300)")
    print(f"  article p50 {big['article_first_view']['p50_ms']} ms (each page viewed once), "
          f"search p50 {big['search']['p50_ms']} ms, Chinese search p50 {big['search_zh']['p50_ms']} ms "
          f"(distinct queries; target under 10 ms)")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"Written to {out / 'latest.json'}")


def measure_handouts() -> dict:
    """Generated handout PDF per language, and a large publisher PDF streamed from disk."""
    from kiosk.languages import LANGUAGES
    figures: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        shutil.copytree(ROOT / "content", content)
        leaflet = content / "articles" / "consent"
        (leaflet / "publisher.pdf").write_bytes(large_pdf())
        source = leaflet / "en.md"
        source.write_text(source.read_text(encoding="utf-8").replace(
            "licence: CC BY 4.0", "licence: CC BY 4.0\npublisher_pdf: publisher.pdf"), encoding="utf-8")
        port = free_port()
        process, _ = start(kiosk_code(port, content), port)
        try:
            for language in LANGUAGES:
                path = f"/{language.tag}/articles/intimacy/handout.pdf"
                latencies(port, path, 1)  # the first PDF also loads WeasyPrint and the fonts
                figures[language.tag] = summary(latencies(port, path, 10))
                print(f"  generated, {language.tag:<8} p50 {figures[language.tag]['p50_ms']:>7} ms "
                      f"(target under 1000 ms)", flush=True)
            size = (leaflet / "publisher.pdf").stat().st_size
            before = resident_mib(process.pid)
            figures["publisher"] = summary(latencies(port, "/en/articles/consent/handout.pdf", 50))
            figures["publisher"].update(bytes=size, rss_growth_mib=round(resident_mib(process.pid) - before, 1))
            print(f"  publisher PDF ({size // 1024} KiB, sent as a file): p50 "
                  f"{figures['publisher']['p50_ms']} ms, resident memory grew "
                  f"{figures['publisher']['rss_growth_mib']} MiB over 50 requests", flush=True)
        finally:
            process.terminate()
            process.wait()
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


def search_words() -> dict[str, list[str]]:
    """200 distinct English words and 200 distinct Chinese character pairs from the shipped text."""
    from urllib.parse import quote
    english = (ROOT / "content" / "articles" / "consent" / "en.md").read_text(encoding="utf-8")
    chinese = (ROOT / "content" / "articles" / "consent" / "zh-Hans.md").read_text(encoding="utf-8")
    words = sorted({w.lower() for w in english.split() if w.isalpha() and len(w) > 3})
    pairs = sorted({chinese[i:i + 2] for i in range(len(chinese) - 1)
                    if all("\u4e00" <= c <= "\u9fff" for c in chinese[i:i + 2])})
    return {"en": words[:200], "zh": [quote(pair) for pair in pairs[:200]]}


def article_size() -> int:
    from kiosk import create_app
    return len(create_app({"TESTING": True}).test_client().get(ARTICLE).data)


def platform_line() -> str:
    import platform
    return f"{platform.machine()}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
