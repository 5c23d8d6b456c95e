"""A patron's search words do not linger in the kiosk's memory after their session is reset.

A real kiosk process is searched over HTTP for made-up words, reset, and
visited by others; its memory is then read from outside (``/proc/<pid>/mem``:
root, as in CI, or the test as the kiosk's parent). Python cannot erase freed
memory it keeps for reuse, so a few copies may remain there until they are
overwritten; before the kiosk forgot what requests left at a reset there
were 13 or more after 300 other requests, and over 130 right after the reset.
"""

from __future__ import annotations

import os

import pytest

from .conftest import free_port
from .memory_traces import RunningKiosk, find_traces, made_up_words, other_visits, search_and_reset

pytestmark = pytest.mark.usefixtures("own_instance")

RIGHT_AFTER_A_RESET = 80
"""Measured 22 to 47 over 17 runs (136 to 165 before): freed blocks not yet given back or reused."""
AFTER_OTHER_VISITS = 10
"""Measured 1 to 7 over 17 runs, mostly 1 (13 to 21 before): freed memory not yet reused, most
often one page of Arabic search results."""


@pytest.fixture
def kiosk(own_instance):
    """``run_kiosk.py`` in a process of its own, ready to search."""
    running = RunningKiosk(own_instance, free_port())
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


def readable_or_skip(pid: int) -> None:
    """Skip (or, when CI is "true", fail) if this test may not read the kiosk's memory."""
    try:
        with open(f"/proc/{pid}/mem", "rb") as memory:
            memory.read(0)
    except OSError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot read the kiosk's memory here ({error}); CI runs this as root")


def test_searched_words_barely_outlive_a_reset_in_the_servers_memory(kiosk):
    readable_or_skip(kiosk.pid)
    words = made_up_words()
    search_and_reset(kiosk, words)
    right_after = find_traces(kiosk.pid, words)
    other_visits(kiosk)
    later = find_traces(kiosk.pid, words)

    def where(traces):
        return sorted({(trace.word, trace.encoding, trace.mapping) for trace in traces})
    assert len(right_after) <= RIGHT_AFTER_A_RESET, where(right_after)
    assert len(later) <= AFTER_OTHER_VISITS, where(later)
