"""What article pages and lists write often is worked out once, not for every page: the print date
(once a day), and the numbers of a reading time."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
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
    now[0] = dates._dates[0]  # the first moment of tomorrow
    monkeypatch.setattr(reading, "date", type("Tomorrow", (date,), {"today": classmethod(
        lambda cls: date.today().replace(year=2031, month=5, day=17))}))
    assert b"2031" in dates.today_in_html(LANGUAGES[0])  # the article pages' date, escaped, changes with it
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


def _counting_babel(monkeypatch):
    counted = []
    for name in ("format_date", "format_decimal"):
        real = getattr(reading, name)
        monkeypatch.setattr(reading, name, lambda *arguments, real=real, **named: (counted.append(1),
                                                                                  real(*arguments, **named))[1])
    return counted


def _fresh(monkeypatch):
    """The print dates and small numbers as a process starts with them (tests in this process set them)."""
    monkeypatch.setattr(reading, "_print_dates", reading._PrintDates())
    monkeypatch.setattr(reading, "_small_numbers", reading._SmallNumbers())


def test_a_restart_takes_what_babel_writes_from_the_file_its_first_start_wrote(tmp_path, monkeypatch):
    # Babel loads a language's locale data to write its first date or number: twelve took a tenth of a second
    # and more of a restart's first page.
    _fresh(monkeypatch)
    reading.keep_written(tmp_path)
    first = ([reading._print_dates.today(known) for known in LANGUAGES],
             [reading._small_numbers.write(42, known) for known in LANGUAGES])
    kept = json.loads((tmp_path / reading.WRITTEN_FILE).read_text(encoding="utf-8"))
    assert kept["day"] == date.today().isoformat() and set(kept["dates"]) == {known.tag for known in LANGUAGES}
    _fresh(monkeypatch)
    counted = _counting_babel(monkeypatch)
    reading.keep_written(tmp_path)
    assert ([reading._print_dates.today(known) for known in LANGUAGES],
            [reading._small_numbers.write(42, known) for known in LANGUAGES]) == first
    assert counted == []
    arabic = next(known for known in LANGUAGES if known.tag == "ar")
    assert reading._print_dates.today(arabic) == reading.format_date(date.today(), "long", locale=arabic.locale)
    assert reading._small_numbers.write(42, arabic) == reading.format_decimal(42, locale=arabic.locale)


@pytest.mark.parametrize("stale", [{"day": "2001-02-03"}, {"babel": "0.1"}, {"dates": {"en": "February 3, 2001"}},
                                   {"numbers": {"en": ["0"]}}])
def test_what_another_day_another_babel_or_fewer_languages_wrote_is_worked_out_again(tmp_path, stale, monkeypatch,
                                                                                      caplog):
    _fresh(monkeypatch)
    reading.keep_written(tmp_path)
    path = tmp_path / reading.WRITTEN_FILE
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")) | stale), encoding="utf-8")
    _fresh(monkeypatch)
    counted = _counting_babel(monkeypatch)
    reading.keep_written(tmp_path)
    assert counted  # worked out again
    assert "2001" not in reading._print_dates.today(LANGUAGES[0]) and reading._small_numbers.write(7, LANGUAGES[0])
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["day"] == date.today().isoformat() and len(kept["numbers"]["en"]) == reading.SMALL_NUMBERS
    assert caplog.records == []  # not damaged: only out of date


@pytest.mark.parametrize("damage", [b"\x00\xde\xad", b"[]", b"7"])
def test_a_damaged_file_of_what_babel_writes_is_named_once_set_aside_and_written_again(tmp_path, damage, caplog,
                                                                                       monkeypatch):
    _fresh(monkeypatch)
    path = tmp_path / reading.WRITTEN_FILE
    path.write_bytes(damage)
    reading.keep_written(tmp_path)
    assert reading._print_dates.today(LANGUAGES[0]) == reading.format_date(date.today(), "long",
                                                                            locale=LANGUAGES[0].locale)
    assert len(caplog.records) == 1 and reading.WRITTEN_FILE in caplog.records[0].getMessage()
    assert (tmp_path / (reading.WRITTEN_FILE + ".damaged")).exists()
    assert json.loads(path.read_text(encoding="utf-8"))["day"] == date.today().isoformat()


def test_only_a_start_writes_what_babel_wrote_never_a_page(make_app, tmp_path, monkeypatch):
    # Written at a request, the file's time would tell when the day's first article was opened.
    app = make_app()
    path = tmp_path / "instance" / reading.WRITTEN_FILE
    assert path.is_file()
    path.unlink()
    _fresh(monkeypatch)  # as after midnight, and before any list: worked out again at the next pages
    client = app.test_client()
    assert "consent" in client.get("/en/articles/consent").get_data(as_text=True)
    assert client.get("/en/search?q=consent").status_code == 200
    assert not path.exists()
