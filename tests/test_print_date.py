"""The date an article page prints is worked out once a day, not for every page."""

from __future__ import annotations

from datetime import date

from kiosk import reading
from kiosk.languages import LANGUAGES


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
    dates = reading._PrintDates()
    dates.today(LANGUAGES[0])
    until, _ = dates._dates
    monkeypatch.setattr(reading.time, "time", lambda: until)  # the first moment of tomorrow
    monkeypatch.setattr(reading, "date", type("Tomorrow", (date,), {"today": classmethod(
        lambda cls: date.today().replace(year=2031, month=5, day=17))}))
    assert "2031" in dates.today(LANGUAGES[0])
