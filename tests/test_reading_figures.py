"""What article pages and lists write often is worked out once, not for every page: the print date
(once a day), and the numbers of a reading time."""

from __future__ import annotations

import threading
import time
from datetime import date

from flask_babel import format_number

from kiosk import reading
from kiosk.languages import LANGUAGES
from kiosk.layout import rendering_in


class CountedDate(date):
    """``date``, counting how often today's is asked for."""

    asked = 0

    @classmethod
    def today(cls):
        cls.asked += 1
        return date.today()


def test_the_print_date_is_worked_out_once_for_many_pages(monkeypatch):
    monkeypatch.setattr(reading, "date", CountedDate)
    dates = reading._PrintDates()
    for _ in range(50):
        for language in LANGUAGES:
            assert dates.today(language)
    assert CountedDate.asked == 1
    assert dates.today(LANGUAGES[0]) == reading.format_date(date.today(), "long", locale=LANGUAGES[0].locale)


def test_the_print_date_changes_at_midnight(monkeypatch):
    now = [time.time()]
    dates = reading._PrintDates(clock=lambda: now[0])
    dates.today(LANGUAGES[0])
    now[0], _ = dates._dates  # the first moment of tomorrow
    monkeypatch.setattr(reading, "date", type("Tomorrow", (date,), {"today": classmethod(
        lambda cls: date.today().replace(year=2031, month=5, day=17))}))
    assert "2031" in dates.today(LANGUAGES[0])


def test_a_reading_time_is_written_as_babel_writes_it_in_every_language(app):
    with app.test_request_context():
        for language in LANGUAGES:
            with rendering_in(language):
                for number in (0, 1, 7, 42, 99, 100, 1234):
                    assert reading._small_numbers.write(number, language) == format_number(number), (language, number)


def test_babel_writes_the_small_numbers_once_for_many_lists(monkeypatch):
    written = []
    real, here = reading.format_decimal, threading.get_ident()

    def counted(*arguments, **named):
        if threading.get_ident() == here:  # not a kiosk's pages rendered in the background meanwhile
            written.append(arguments)
        return real(*arguments, **named)

    monkeypatch.setattr(reading, "format_decimal", counted)
    numbers = reading._SmallNumbers()
    for _ in range(20):
        for language in LANGUAGES:
            for number in range(1, 30):
                numbers.write(number, language)
    assert len(written) == len(LANGUAGES) * reading.SMALL_NUMBERS
