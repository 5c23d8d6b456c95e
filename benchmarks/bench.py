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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(code: str, port: int, env: dict | None = None) -> tuple[subprocess.Popen, float]:
    """Start a server process; return it and the seconds until it first answered ARTICLE."""
    began = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", code], cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = began + 120
    while time.perf_counter() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ARTICLE)
            if connection.getresponse().status == 200:
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


def latencies(port: int, path: str, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    timings = []
    for _ in range(count):
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


def measure_server(name: str, code: str, port: int) -> dict:
    process, cold = start(code, port)
    try:
        latencies(port, ARTICLE, 50)  # warm up
        result = {"cold_start_s": round(cold, 2), **summary(latencies(port, ARTICLE, SEQUENTIAL_REQUESTS)),
                  "requests_per_s": round(throughput(port, ARTICLE)), "rss_mib": resident_mib(process.pid)}
    finally:
        process.terminate()
        process.wait()
    print(f"  {name:<26} p50 {result['p50_ms']:>6} ms   p95 {result['p95_ms']:>6} ms   "
          f"{result['requests_per_s']:>5} req/s   cold start {result['cold_start_s']} s   "
          f"RSS {result['rss_mib']} MiB", flush=True)
    return result


def main() -> None:
    import flask  # noqa: F401  (fail early if the venv is not active)
    results: dict = {"machine": f"{os.cpu_count()} cores, {platform_line()}"}
    print(f"Benchmark on {results['machine']}")
    print("Article page, shipped library (sequential p50/p95, then 4 concurrent clients):")
    port = free_port()
    kiosk = measure_server("kiosk", kiosk_code(port), port)
    size = article_size()
    port = free_port()
    bare = measure_server(f"bare Flask+waitress ({size} B)", bare_code(port, size), port)
    results["shipped"] = {"kiosk": kiosk, "bare": bare,
                          "p50_ratio": round(kiosk["p50_ms"] / bare["p50_ms"], 2)}
    print(f"  kiosk/bare p50 ratio: {results['shipped']['p50_ratio']} (target at most 1.3)")

    print("Generated library, 1,000 articles x 6 languages:")
    with tempfile.TemporaryDirectory() as folder:
        generate_library(Path(folder), 1000)
        port = free_port()
        process, cold = start(kiosk_code(port, Path(folder)), port)
        try:
            latencies(port, ARTICLE, 20)
            big = {"cold_start_s": round(cold, 2), "rss_mib": resident_mib(process.pid),
                   "article": summary(latencies(port, "/en/articles/consent-0001", SEQUENTIAL_REQUESTS)),
                   "search": summary(latencies(port, "/en/search?q=trust", 200)),
                   "search_zh": summary(latencies(port, "/zh-Hans/search?q=%E4%BF%A1%E4%BB%BB", 200))}
        finally:
            process.terminate()
            process.wait()
    results["generated_1000x6"] = big
    print(f"  cold start {big['cold_start_s']} s (target under 10 s), RSS {big['rss_mib']} MiB "
          f"(target under 300), article p50 {big['article']['p50_ms']} ms, "
          f"search p50 {big['search']['p50_ms']} ms / Chinese {big['search_zh']['p50_ms']} ms "
          f"(target under 10 ms)")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"Written to {out / 'latest.json'}")


def article_size() -> int:
    from kiosk import create_app
    return len(create_app({"TESTING": True}).test_client().get(ARTICLE).data)


def platform_line() -> str:
    import platform
    return f"{platform.machine()}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
