"""A person's recording in Chromium: Listen plays it, and the highlight follows its timings sentence by sentence.

The fixture (``tests/fixtures/narration``, made by its ``make_recording.py``) is
one eSpeak NG recording of a short article, timed as Audacity labels, as WebVTT
(two sentences in one cue) and as an EPUB 3 Media Overlay, one article each.
The page's ``Audio`` is watched, so each highlight is checked against where the
recording was when it was seen.
"""

from __future__ import annotations

import time

import pytest

from kiosk import create_app

from ..conftest import LiveKiosk, seeded
from ..test_narration import FIXTURE, SENTENCES

pytestmark = pytest.mark.browser

# Every recording the page makes, so the test can ask where it is; each plays twice as fast as the
# page asks (the page reads back the rate it set): its highlights are checked against the
# recording's own time, not the clock's, and its full 17 s took most of each test. Twice, not more:
# its shortest stretch (0.75 s then) must still outlast a frame on a busy machine.
WATCH_AUDIO = """(() => {
  const Original = window.Audio;
  const FASTER = 2;
  const faster = name => {
    const own = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, name);
    return { get() { return own.get.call(this) / FASTER; }, set(rate) { own.set.call(this, rate * FASTER); } };
  };
  window.recordings = [];
  window.Audio = function (...args) {
    const made = new Original(...args);
    Object.defineProperties(made, { playbackRate: faster('playbackRate'), defaultPlaybackRate: faster('defaultPlaybackRate') });
    made.defaultPlaybackRate = 1;
    made.playbackRate = 1;
    window.recordings.push(made);
    return made;
  };
})();"""

# On each frame, a change of highlight is noted with the recording's time at that frame.
RECORD = """() => {
  window.highlightsSeen = [];
  const look = () => {
    const found = CSS.highlights.get('kiosk-spoken');
    const text = found ? [...found].map(range => range.toString()).join(' | ') : null;
    const seen = window.highlightsSeen;
    if (text && (!seen.length || seen[seen.length - 1].text !== text)) {
      const playing = window.recordings.find(audio => audio.src);
      const column = [...found][0].startContainer.parentElement.closest('[data-column]');
      seen.push({text, at: playing ? playing.currentTime * 1000 : null, src: playing ? playing.src : null,
                 column: column ? column.dataset.column : null});
    }
    requestAnimationFrame(look);
  };
  look();
}"""

EXPECTED = {
    "labels": SENTENCES,
    "webvtt": SENTENCES[:3] + [" ".join(SENTENCES[3:5])] + SENTENCES[5:],
    "smil": SENTENCES,
}
"""What is highlighted, stretch after stretch, for each timing format (WebVTT times two sentences as one cue)."""


@pytest.fixture(scope="module")
def narrated_kiosk(tmp_path_factory):
    """The kiosk serving the narration fixture."""
    app = create_app({"content": FIXTURE, "instance": seeded(tmp_path_factory.mktemp("narrated-instance"))})
    with LiveKiosk(app) as kiosk:
        yield kiosk


def listen(page, url, within=""):
    page.add_init_script(WATCH_AUDIO)
    page.goto(url)
    page.evaluate(RECORD)
    page.locator(f"{within} .listen-start".strip()).tap()
    page.wait_for_selector(f"{within} .listen[data-state='playing']".strip())


def highlights_until(page, enough, timeout=60):
    deadline = time.monotonic() + timeout
    while not enough(seen := page.evaluate("() => window.highlightsSeen")):
        assert time.monotonic() < deadline, seen
        page.wait_for_timeout(100)
    return seen


@pytest.mark.parametrize("timed_as", ["labels", "webvtt", "smil"])
def test_the_highlight_follows_the_recording_sentence_by_sentence(touch_page, narrated_kiosk, timed_as):
    page = touch_page
    slug = f"narrated-{timed_as}"
    segments = page.request.get(f"{narrated_kiosk.url}/en/articles/{slug}/narration.json").json()["segments"]
    listen(page, f"{narrated_kiosk.url}/en/articles/{slug}")
    expected = EXPECTED[timed_as]
    seen = highlights_until(page, lambda seen: len(seen) >= len(expected))
    assert [entry["text"] for entry in seen] == expected
    assert all(entry["src"].endswith(f"/en/articles/{slug}/narration.opus") for entry in seen)
    # Each sentence is highlighted once its stretch has begun, and not long after the next one has.
    for number, entry in enumerate(seen):
        assert entry["at"] >= segments[number][0], (number, entry, segments[number])
        if number + 1 < len(segments):
            assert entry["at"] < segments[number + 1][0] + 500, (number, entry, segments[number + 1])
    # The recording ends on its own, and Listen with it.
    page.wait_for_selector(".listen[data-state='stopped']", timeout=30_000)
    assert page.get_attribute("html", "data-listening") is None
    assert page.evaluate("CSS.highlights.get('kiosk-spoken')") is None


def test_pause_go_on_and_stop_hold_the_recording(touch_page, narrated_kiosk):
    page = touch_page
    listen(page, f"{narrated_kiosk.url}/en/articles/narrated-labels")
    highlights_until(page, lambda seen: len(seen) >= 2)
    page.tap(".listen-pause")
    assert page.get_attribute(".listen", "data-state") == "paused"
    held = page.evaluate("window.recordings.find(audio => audio.src).currentTime")
    page.evaluate("new Promise(done => { let n = 0; const f = () => ++n >= 30 ? done() : requestAnimationFrame(f);"
                  " requestAnimationFrame(f); })")
    assert page.evaluate("window.recordings.find(audio => audio.src).currentTime") == held
    page.tap(".listen-resume")
    page.wait_for_selector(".listen[data-state='playing']")
    highlights_until(page, lambda seen: len(seen) >= 3)
    page.tap(".listen-stop")
    assert page.get_attribute(".listen", "data-state") == "stopped"
    assert page.evaluate("CSS.highlights.get('kiosk-spoken')") is None
    assert page.evaluate("window.recordings.every(audio => audio.paused)")


def test_quick_exit_stops_the_recording_at_once(touch_page, narrated_kiosk):
    page = touch_page
    listen(page, f"{narrated_kiosk.url}/en/articles/narrated-smil")
    page.route("**/reset", lambda route: None)  # hold the reset, to look at the moment after the tap
    page.tap(".exit-button")
    assert page.get_attribute(".listen", "data-state") == "stopped"
    assert page.evaluate("window.recordings.every(audio => audio.paused)")
    page.unroute("**/reset")


def test_the_idle_reset_waits_for_the_recording_and_then_stops_it(touch_page, narrated_kiosk):
    page = touch_page
    page.clock.install()
    url = f"{narrated_kiosk.url}/en/articles/narrated-webvtt"
    listen(page, url)
    idle = int(page.get_attribute("html", "data-idle-seconds"))
    page.clock.run_for((idle + 30) * 1000)
    assert page.url == url and page.get_attribute(".listen", "data-state") == "playing"  # listening is not idle
    page.tap(".listen-pause")
    page.route("**/reset", lambda route: None)  # hold the reset, to look at the moment it begins
    page.clock.run_for((idle + 5) * 1000)
    page.wait_for_selector("html.kiosk-leaving", state="attached")
    assert page.get_attribute(".listen", "data-state") == "stopped"
    assert page.evaluate("window.recordings.every(audio => audio.paused && !audio.src)")
    page.unroute("**/reset")


def test_a_column_side_by_side_plays_its_own_recording(touch_page, narrated_kiosk):
    page = touch_page
    # Spanish has no translation of it: its column shows the English, and so plays the English recording.
    listen(page, f"{narrated_kiosk.url}/ar/articles/narrated-webvtt?compare=es", within="[data-column='1']")
    seen = highlights_until(page, lambda seen: len(seen) >= 3)
    assert [entry["text"] for entry in seen[:3]] == EXPECTED["webvtt"][:3]
    assert {entry["column"] for entry in seen} == {"1"}
    assert page.get_attribute("[data-column='0'] .listen", "data-state") == "stopped"
