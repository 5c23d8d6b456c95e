"""Where the kiosk's requests become counts, and days become released figures.

Off unless staff turn usage figures on (``usage_figures``). A patron page that
was served (status 200) adds to the session's tally: an article in a language,
a listen, a handout, the help page, a search (never its words), a change of
language. Staff pages, the keyboard and everything else count for nothing.
At midnight (local time) and at a clean shutdown the day so far is released
(``release.py``) and its true counts dropped.
"""

from __future__ import annotations

import functools
import threading
import weakref
from datetime import date, datetime, timedelta

from flask import Flask, Response, current_app, request

from ..content.serving import content_holder
from ..i18n import current_language
from .counting import (
    ARTICLE,
    HANDOUT,
    HELP,
    KINDS,
    LISTEN,
    SEARCH,
    SESSIONS,
    DayCounts,
    figure,
)
from .release import release_day

SPEECH_START = "title"
"""The part a Listen starts with: asking for its timings counts one listen (later parts are the same listen)."""


def every_figure(app: Flask) -> list[str]:
    """Every figure that can be counted with this library and these languages (all are released, counted or not)."""
    tags = [language.tag for language in app.config["KIOSK_LANGUAGES"]]
    slugs = list(content_holder(app).current.library.articles)
    names = [figure(kind) for kind in KINDS if kind not in (ARTICLE, LISTEN, HANDOUT)]
    names += [figure(ARTICLE, slug, tag) for slug in slugs for tag in tags]
    names += [figure(kind, tag) for kind in (LISTEN, HANDOUT) for tag in tags]
    return names


class UsageRecorder:
    """One app's counting, and the release of each day's figures."""

    def __init__(self, app: Flask):
        self.app = app
        self.counts = DayCounts(date.today())
        self._stop = threading.Event()
        self._release_lock = threading.Lock()

    @property
    def on(self) -> bool:
        """Whether staff turned usage figures on."""
        return self.app.config["KIOSK_USAGE_FIGURES"]

    def after_request(self, response: Response) -> Response:
        """Count the page just served, if counting is on, once the patron has it.

        The count is taken when the server closes the response, after its bytes are
        handed to the patron's connection: the page never waits for it.
        """
        if response.status_code == 200 and self.on:
            response.call_on_close(functools.partial(
                self._count, request.endpoint, request.view_args or {}, current_language().tag))
        return response

    def _count(self, endpoint: str | None, args: dict, language: str) -> None:
        name = _figure_of(endpoint, args, language)
        if name is not None:
            self.counts.count(name)
            self.counts.saw_language(language)

    def end_session(self, _app: Flask) -> None:
        """The patron session ended: its tally joins the day's totals, and is forgotten."""
        self.counts.end_session()

    def release(self, today: date | None = None) -> None:
        """Release the day so far (or the day before ``today``, at midnight) and drop its true counts."""
        with self._release_lock:
            day, totals = self.counts.take_day(today or date.today())
            if not totals and not self.on:
                return
            release_day(self.app.instance_path, day, totals, every_figure(self.app),
                        self.app.config["KIOSK_USAGE_EPSILON"])

    def start(self) -> None:
        """Release each day at midnight, in a thread of its own.

        The thread holds the recorder weakly, and is woken to end once it is gone: a kiosk made and
        dropped (in tests, or by an embedding program) leaves neither a thread nor itself behind.
        """
        weakref.finalize(self, self._stop.set)
        threading.Thread(target=_release_each_day, args=(weakref.ref(self), self._stop), name="kiosk-usage-days",
                         daemon=True).start()

    def stop(self) -> None:
        """Stop waiting for midnights (for tests)."""
        self._stop.set()

    def release_if_a_new_day(self) -> None:
        """Release the day before once the date has changed; a failure is logged, and the next day counted."""
        if date.today() != self.counts.day:
            try:
                self.release(date.today())
            except Exception as error:  # noqa: BLE001 -- the next day must still be counted
                self.app.logger.error("usage figures not released (%s)", type(error).__name__)


def _release_each_day(held: weakref.ref[UsageRecorder], stop: threading.Event) -> None:
    """Each midnight, the day released, until ``stop``, for as long as the recorder ``held`` is in use."""
    while True:
        now = datetime.now()
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
        # Woken at least every 10 minutes: a clock set forward, or a suspended machine, is noticed.
        if stop.wait(min((midnight - now).total_seconds(), 600)):
            return
        recorder = held()
        if recorder is None:
            return
        recorder.release_if_a_new_day()
        del recorder  # held only weakly between looks


def _figure_of(endpoint: str | None, args: dict, lang: str) -> str | None:
    if endpoint == "patron.article":
        return figure(ARTICLE, args["slug"], lang)
    if endpoint == "speech.timings" and args.get("part") == SPEECH_START:
        return figure(LISTEN, lang)
    if endpoint in ("handouts.handout", "handouts.handout_pdf"):
        return figure(HANDOUT, lang)
    if endpoint == "help.help_page":
        return figure(HELP)
    if endpoint == "patron.search":
        return figure(SEARCH)
    if endpoint in ("patron.welcome", "patron.topic", "patron.about"):
        return figure(SESSIONS)  # a session that only looked around still counts as one
    return None


def usage_recorder(app: Flask | None = None) -> UsageRecorder:
    """The usage recorder of ``app`` (or the current app)."""
    return (app or current_app).extensions["kiosk_usage"]
