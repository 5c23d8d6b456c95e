"""What the server holds for a request stays in memory: waitress never moves a response or a request
body to a temporary file, whatever its size (the largest read-aloud part included)."""

from __future__ import annotations

import http.client
import socket

import pytest
from waitress.buffers import TempfileBasedBuffer

from kiosk.content.serving import get_library
from kiosk.languages import LANGUAGES
from kiosk.reading import translation_notice
from kiosk.speech.parts import article_parts

from .conftest import LiveKiosk

pytestmark = pytest.mark.usefixtures("own_instance")
VOICED = [language for language in LANGUAGES if language.voice]


@pytest.fixture
def temporary_files(monkeypatch):
    """Every temporary file waitress opens for a buffer (it is still opened: this only records it)."""
    opened = []
    newfile = TempfileBasedBuffer.newfile

    def recorded(self):
        opened.append(self)
        return newfile(self)
    monkeypatch.setattr(TempfileBasedBuffer, "newfile", recorded)
    return opened


def longest_parts(app, count: int = 3) -> list[str]:
    """The addresses of the ``count`` longest parts of the shipped library that can be read aloud."""
    voiced = {language.tag for language in VOICED} & set(app.extensions["kiosk_voices"])
    parts = []
    with app.test_request_context():
        for article in get_library().articles.values():
            for reader in (language for language in VOICED if language.tag in voiced):
                notice = str(translation_notice(article, reader))
                for name, (tag, text) in article_parts(article, reader, notice).items():
                    if tag in voiced:
                        parts.append((len(text.encode()), f"/{reader.tag}/articles/{article.slug}/speech/{name}.wav"))
    return [address for _, address in sorted(parts, reverse=True)[:count]]


def get(kiosk: LiveKiosk, address: str, method: str = "GET", body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", kiosk.server.effective_port, timeout=120)
    connection.request(method, address, body=body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def test_the_largest_read_aloud_parts_never_touch_the_disk(app, temporary_files):
    with LiveKiosk(app) as kiosk:
        sizes = {}
        for address in longest_parts(app):
            status, audio = get(kiosk, address)
            assert status == 200, address
            sizes[address] = len(audio)
    assert max(sizes.values()) > 1024 * 1024, sizes  # beyond waitress's own limit for keeping it in memory
    assert temporary_files == []


def test_a_generated_handout_never_touches_the_disk(app, temporary_files):
    with LiveKiosk(app) as kiosk:
        status, pdf = get(kiosk, "/ur/articles/consent/handout.pdf?with=zh-Hans")
    assert status == 200 and pdf.startswith(b"%PDF-")
    assert temporary_files == []


def test_a_large_request_body_is_refused_not_buffered_on_disk(app, temporary_files):
    with LiveKiosk(app) as kiosk:
        # The answer comes as soon as the announced length is seen (the rest is never read, so a
        # client still sending would meet a closed connection): send the head and a little.
        with socket.create_connection(("127.0.0.1", kiosk.server.effective_port), timeout=120) as connection:
            connection.sendall(b"POST /reset HTTP/1.1\r\nHost: kiosk\r\nContent-Length: 3145728\r\n\r\n" + b"x" * 1024)
            status_line = connection.makefile("rb").readline()
        small, _ = get(kiosk, "/reset", "POST", b"x" * 1024)
    assert status_line.split()[1] == b"413" and small == 303
    assert temporary_files == []
