"""What a patron's search leaves in the memory of a real kiosk process, counted from outside.

A kiosk is started as ``run_kiosk.py`` starts it, with an instance folder of its
own; a patron searches for made-up words (Latin, Chinese and Arabic letters,
new ones each run) over HTTP, the session is reset, and other visits follow.
Then every readable mapping of the process is read through ``/proc/<pid>/mem``
(root, or the parent of the process) and each word is looked for as CPython
and the libraries below it may hold it: UTF-8 (which is also Latin-1 for an
ASCII word), UCS-2 / UTF-16-LE, UCS-4, and percent-encoded as in the
request line.

``python -m tests.memory_traces`` prints each copy found: the mapping it lies
in, what surrounds it, and whether it looks like a live ``str`` or ``bytes``
object (its header's refcount and type) or freed memory not yet reused.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
OTHER_REQUESTS = 300
ENCODINGS = ("utf-8", "utf-16-le", "utf-32-le", "percent")
# CPython 3.11 on 64 bits: where a string's characters start after the object's header.
STR_HEADERS = {"ascii": 48, "compact": 72}
BYTES_HEADER = 32
OTHER_PAGES = ["/en/", "/es/", "/ar/", "/zh-Hans/", "/en/articles/consent", "/fr/articles/boundaries?size=3",
               "/ar/articles/intimacy?contrast=high", "/zh-Hans/articles/healthy-relationships",
               "/en/topics/getting-help", "/uk/help", "/en/about", "/en/articles/consent?compare=es",
               "/healthz", "/en/search", "/en/search?q=consent", "/es/search?q=l%C3%ADmites"]


@dataclass(frozen=True)
class Trace:
    """One copy of a searched word in the process's memory."""

    word: str
    encoding: str
    address: int
    mapping: str
    """The mapping's name in ``/proc/<pid>/maps`` (``[heap]``, a file, or ``anonymous``)."""
    before: bytes
    after: bytes


def made_up_words(seed: int | None = None) -> list[str]:
    """Three words found in no library: Latin, Chinese and Arabic letters, different each run."""
    chance = random.Random(seed)
    latin = "zq" + "".join(chance.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
    chinese = "".join(chr(chance.randrange(0x9A00, 0x9F00)) for _ in range(4))  # rare characters
    arabic = "".join(chance.choice("بتثجحخسشصضطظغفقك") for _ in range(7))
    return [latin, chinese, arabic]


def encoded(word: str, encoding: str) -> bytes:
    """``word`` as ``encoding`` gives it (``percent``: UTF-8 percent-encoded, as in an address)."""
    if encoding == "percent":
        return quote(word).encode("ascii")
    return word.encode(encoding)


def searches(words: list[str]) -> list[str]:
    """The addresses a patron asks for when searching for ``words`` (each alone, then together)."""
    languages = ["en", "zh-Hans", "ar"]
    addresses = [f"/{language}/search?q={quote(word)}" for language, word in zip(languages, words, strict=True)]
    return addresses + [f"/en/search?q={quote(' '.join(words))}"]


class RunningKiosk:
    """``run_kiosk.py --no-browser`` on a free port, with an instance folder of its own."""

    def __init__(self, instance: Path, port: int):
        self.port = port
        environment = {**os.environ, "KIOSK_INSTANCE": str(instance)}
        self.process = subprocess.Popen([sys.executable, "run_kiosk.py", "--no-browser", "--port", str(port)],
                                        cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)

    @property
    def pid(self) -> int:
        """The kiosk's process id."""
        return self.process.pid

    def request(self, address: str, method: str = "GET") -> tuple[int, bytes]:
        """Status and body of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, address)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def wait_until_ready(self, timeout: float = 120) -> None:
        """Return once the kiosk answers a search (its index built), or fail."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the kiosk stopped: {self.process.stdout.read()}")
            try:
                if self.request("/en/search?q=consent")[0] == 200:
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the kiosk and wait for it."""
        self.process.terminate()
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def search_and_reset(kiosk: RunningKiosk, words: list[str]) -> None:
    """A patron searches for ``words`` (each alone, then together), and the session is reset."""
    for address in searches(words):
        status, _ = kiosk.request(address)
        assert status == 200, address
    status, _ = kiosk.request("/reset", "POST")
    assert status == 303


def other_visits(kiosk: RunningKiosk, count: int = OTHER_REQUESTS, seed: int = 0) -> None:
    """``count`` requests by later patrons: pages, and searches for words of their own."""
    chance = random.Random(seed)
    for number in range(count):
        if number % 3 == 2:
            address = searches(made_up_words(chance.random()))[number % 4]
        else:
            address = OTHER_PAGES[number % len(OTHER_PAGES)]
        status, _ = kiosk.request(address)
        assert status == 200, address


def readable_mappings(pid: int) -> list[tuple[int, int, str]]:
    """Start, end and name of every readable mapping of process ``pid``."""
    mappings = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        start, end = (int(part, 16) for part in fields[0].split("-"))
        name = fields[5] if len(fields) > 5 else "anonymous"
        if fields[1].startswith("r") and name not in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
            mappings.append((start, end, name))
    return mappings


def find_traces(pid: int, words: list[str], context: int = 96) -> list[Trace]:
    """Every copy of ``words``, in every encoding of ``ENCODINGS``, in the memory of process ``pid``."""
    patterns = {(word, encoding): encoded(word, encoding) for word in words for encoding in ENCODINGS}
    finder = re.compile(b"|".join(re.escape(pattern) for pattern in set(patterns.values())))
    names = {pattern: key for key, pattern in patterns.items()}
    traces = []
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for start, end, name in readable_mappings(pid):
            try:
                data = os.pread(memory.fileno(), end - start, start)
            except OSError:  # a guard page, or a mapping gone meanwhile
                continue
            for found in finder.finditer(data):
                word, encoding = names[found.group()]
                traces.append(Trace(word, encoding, start + found.start(), name,
                                    data[max(0, found.start() - context):found.start()],
                                    data[found.end():found.end() + context]))
    return traces


def _object_kind(trace: Trace, types: dict[int, str]) -> str:
    """What the bytes before ``trace`` say it is part of: a str or bytes object (its refcount, or freed,
    and the size of the malloc chunk holding it), or something else."""
    before = trace.before
    position = len(before) - (trace.address % 8)  # objects start 8-byte aligned
    for start in range(position - 16, max(-1, position - len(before)), -8):
        type_name = types.get(int.from_bytes(before[start + 8:start + 16], "little"))
        if type_name and start >= 8:
            refcount = int.from_bytes(before[start:start + 8], "little")
            chunk = int.from_bytes(before[start - 8:start], "little") & ~7
            state = f"refcount {refcount}" if refcount < 1 << 32 else "freed (first word reused)"
            return f"{type_name} object, {state}, {len(before) - start} bytes in, malloc chunk {chunk} bytes"
    return "not in a str or bytes object"


def _type_addresses(pid: int) -> dict[int, str]:
    """Where ``PyUnicode_Type`` and ``PyBytes_Type`` are in process ``pid`` (from libpython's symbols)."""
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and "libpython" in fields[5] and int(fields[2], 16) == 0:
            base, library = int(fields[0].split("-")[0], 16), fields[5]
            break
    else:
        return {}
    symbols = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True).stdout
    addresses = {}
    for line in symbols.splitlines():
        value, _, name = line.split()
        if name in ("PyUnicode_Type", "PyBytes_Type"):
            addresses[base + int(value, 16)] = "str" if name == "PyUnicode_Type" else "bytes"
    return addresses


def _printable(data: bytes) -> str:
    return "".join(chr(byte) if 32 <= byte < 127 else "." for byte in data)


def main() -> int:
    """Print every copy found after a search, a reset and other visits, with where it lies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other-requests", type=int, default=OTHER_REQUESTS)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, and print each round's count")
    arguments = parser.parse_args()
    from .conftest import free_port

    for _ in range(arguments.rounds):
        words = made_up_words()
        with tempfile.TemporaryDirectory() as folder:
            kiosk = RunningKiosk(Path(folder) / "instance", free_port())
            try:
                kiosk.wait_until_ready()
                started = time.perf_counter()
                search_and_reset(kiosk, words)
                other_visits(kiosk, arguments.other_requests)
                elapsed = time.perf_counter() - started
                traces = find_traces(kiosk.pid, words, context=8192)
                types = _type_addresses(kiosk.pid)
            finally:
                kiosk.stop()
        print(f"{len(traces)} copies of {words} after a reset and {arguments.other_requests} other requests"
              f" ({elapsed:.1f} s of requests)")
        for trace in traces:
            print(f"  {trace.word!r} {trace.encoding:9} {trace.address:#x} {trace.mapping}: "
                  f"{_object_kind(trace, types)}")
            print(f"      ...{_printable(trace.before[-64:])}[WORD]{_printable(trace.after[:64])}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
