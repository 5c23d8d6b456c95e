"""Article pages of this checkout's kiosk beside another checkout's (e.g. main) and the bare stack, in one run.

    .venv/bin/python benchmarks/side_by_side.py /work/main                 # the shipped library
    .venv/bin/python benchmarks/side_by_side.py /work/main /path/to/content  # 480 addresses of a big library

Each kiosk runs under Python's default allocator (``--scrubbing``: each process,
the bare stack's too, under the one the kiosk is deployed with) with its own code
and ``.venv`` (the other checkout is only read), over a fresh instance folder, and is left to
finish its background work (every page rendered) before the next one starts.
Then each, and the bare stack handing back this kiosk's bytes and headers, is
asked for every address once per round, in turn; the medians of the rounds'
p50s are printed as JSON, with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import (
    ROOT,
    SCALE_COMPARED,
    SCALE_LANGUAGES,
    SCRUBBING,
    article_addresses,
    bare_code,
    fetch,
    free_port,
    kiosk_code,
    latencies,
    stop,
    summary,
)


def launch(checkout: Path, code: str, port: int, probe: str, env: dict[str, str]) -> subprocess.Popen:
    """``code`` run by ``checkout``'s own Python, once it answers ``probe``."""
    process = subprocess.Popen([str(checkout / ".venv" / "bin" / "python"), "-c", code], cwd=checkout,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    deadline = time.monotonic() + 1800
    while True:
        try:
            fetch(port, probe)
            return process
        except (OSError, AssertionError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{checkout} did not answer {probe}") from None
            time.sleep(0.1)


def settled(pid: int) -> None:
    """Wait until the process uses no CPU for three seconds: its background work is done."""
    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])
    before = ticks()
    while True:
        time.sleep(3)
        now = ticks()
        if now - before <= 1:
            return
        before = now


def addresses_of(content: Path | None) -> list[str]:
    """Every shipped article address, or ``SCALE_COMPARED`` spread over a big library, as the bench takes them."""
    if content is None:
        return article_addresses()
    slugs = sorted(path.name for path in (content / "articles").iterdir())
    step = max(1, len(slugs) // SCALE_COMPARED)
    return [f"/{SCALE_LANGUAGES[index % len(SCALE_LANGUAGES)]}/articles/{slugs[(index * step + 1) % len(slugs)]}"
            for index in range(SCALE_COMPARED)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="another checkout of the kiosk, with its .venv made")
    parser.add_argument("content", type=Path, nargs="?", help="a content folder (default: the shipped library)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scrubbing", action="store_true", help="every process under the scrubbing allocator")
    arguments = parser.parse_args()
    env = SCRUBBING if arguments.scrubbing else {}
    addresses = addresses_of(arguments.content)
    processes: dict[str, subprocess.Popen] = {}
    ports: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        try:
            for name, checkout in (("this", ROOT), ("other", arguments.other.resolve())):
                ports[name] = free_port()
                code = kiosk_code(ports[name], work / f"{name}-instance", arguments.content)
                code = code.replace("config = {", "config = {'content_poll_seconds': 0, ", 1)  # idle once built
                processes[name] = launch(checkout, code, ports[name], addresses[0], env)
                settled(processes[name].pid)
            (work / "responses.pickle").write_bytes(pickle.dumps({address: fetch(ports["this"], address)
                                                                  for address in addresses}))
            ports["bare"] = free_port()
            processes["bare"] = launch(ROOT, bare_code(ports["bare"], work / "responses.pickle"), ports["bare"],
                                       addresses[0], env)
            rounds: dict[str, list[float]] = {name: [] for name in ports}
            for _ in range(arguments.rounds):
                for name, port in ports.items():
                    rounds[name].append(summary(latencies(port, addresses))["p50_ms"])
        finally:
            for process in processes.values():
                stop(process)
    p50 = {name: statistics.median(figures) for name, figures in rounds.items()}
    print(json.dumps({"addresses": len(addresses), "rounds": arguments.rounds, "scrubbing": arguments.scrubbing,
                      "p50_ms": {name: round(value, 3) for name, value in p50.items()},
                      "this_over_bare": round(p50["this"] / p50["bare"], 2),
                      "other_over_bare": round(p50["other"] / p50["bare"], 2),
                      "each_round": rounds, "load": [round(value, 2) for value in os.getloadavg()]}))


if __name__ == "__main__":
    sys.exit(main())
