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


def _counting_format_date(monkeypatch):
    counted, real = [], reading.format_date
    monkeypatch.setattr(reading, "format_date", lambda *arguments, **named: (counted.append(1),
                                                                            real(*arguments, **named))[1])
    return counted


def test_a_restart_takes_today_s_print_dates_from_the_file_its_first_start_wrote(tmp_path, monkeypatch):
    # Babel loads a language's calendar to write its first date: twelve took a tenth of a second of a first page.
    first = reading._PrintDates()
    first.keep_in(tmp_path)
    kept = json.loads((tmp_path / reading.PRINT_DATES_FILE).read_text(encoding="utf-8"))
    assert kept["day"] == date.today().isoformat() and set(kept["dates"]) == {known.tag for known in LANGUAGES}
    counted = _counting_format_date(monkeypatch)
    restarted = reading._PrintDates()
    restarted.keep_in(tmp_path)
    assert [restarted.today(known) for known in LANGUAGES] == [first.today(known) for known in LANGUAGES]
    assert counted == []
    assert restarted.today(LANGUAGES[0]) == reading.format_date(date.today(), "long", locale=LANGUAGES[0].locale)


@pytest.mark.parametrize("kept", [{"day": "2001-02-03"}, {"dates": {"en": "February 3, 2001"}}])
def test_print_dates_of_another_day_or_lacking_a_language_are_worked_out_again_and_written_over(tmp_path, kept,
                                                                                                monkeypatch, caplog):
    path = tmp_path / reading.PRINT_DATES_FILE
    path.write_text(json.dumps({"day": date.today().isoformat(), "dates": {}} | kept), encoding="utf-8")
    counted = _counting_format_date(monkeypatch)
    dates = reading._PrintDates()
    dates.keep_in(tmp_path)
    assert len(counted) == len(LANGUAGES) and "2001" not in dates.today(LANGUAGES[0])
    assert json.loads(path.read_text(encoding="utf-8"))["day"] == date.today().isoformat()
    assert caplog.records == []  # not damaged: only out of date


@pytest.mark.parametrize("damage", [b"\x00\xde\xad", b"[]", b'{"day": 5}', b'{"day": "%s", "dates": []}'])
def test_a_damaged_print_dates_file_is_named_once_set_aside_and_written_again(tmp_path, damage, caplog):
    path = tmp_path / reading.PRINT_DATES_FILE
    path.write_bytes(damage.replace(b"%s", date.today().isoformat().encode()))
    dates = reading._PrintDates()
    dates.keep_in(tmp_path)
    assert dates.today(LANGUAGES[0]) == reading.format_date(date.today(), "long", locale=LANGUAGES[0].locale)
    assert [record.getMessage() for record in caplog.records if reading.PRINT_DATES_FILE in record.getMessage()]
    assert len(caplog.records) == 1 and (tmp_path / (reading.PRINT_DATES_FILE + ".damaged")).exists()
    assert json.loads(path.read_text(encoding="utf-8"))["day"] == date.today().isoformat()


def test_only_a_start_writes_the_print_dates_never_a_page(make_app, tmp_path):
    # Written at a request, the file's time would tell when the day's first article was opened.
    app = make_app()
    path = tmp_path / "instance" / reading.PRINT_DATES_FILE
    assert path.is_file()
    path.unlink()
    reading._print_dates._dates = (0.0, {})  # as after midnight: worked out again at the next page
    assert "consent" in app.test_client().get("/en/articles/consent").get_data(as_text=True)
    assert not path.exists()
