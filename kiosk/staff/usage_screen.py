"""The staff "Use" screen: the released daily usage figures as charts, a CSV export, and what the noise means.

Only released figures are read (``usage-figures.json``); today's are never
shown, not even a part of today released at a restart: they appear tomorrow.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

from babel.dates import format_date
from flask import Response, current_app
from flask_babel import gettext

from ..content.serving import get_library
from ..i18n import current_language
from ..languages import find_language
from ..usage.charts import CHART_HEIGHT, WIDTH, columns, rows
from ..usage.counting import (
    ARTICLE,
    HANDOUT,
    HELP,
    LANGUAGE_SWITCH,
    LISTEN,
    SEARCH,
    SESSIONS,
)
from ..usage.release import accuracy, read_released
from .screens import bp
from .sessions import render_staff_page, staff_required

DAYS_SHOWN = 28
TOP_ARTICLES = 10


def released_days(today: date) -> dict[str, dict[str, int]]:
    """The released figures of every day before ``today``, by ISO date, oldest first."""
    days = read_released(current_app.instance_path)["days"]
    return {day: entry["figures"] for day, entry in sorted(days.items()) if day < today.isoformat()}


def _total(figures: dict[str, int], kind: str) -> int:
    return sum(value for name, value in figures.items() if name == kind or name.startswith(kind + "/"))


@bp.get("/use")
@staff_required
def usage():
    """Charts of the last four weeks' released figures."""
    today = date.today()
    days = released_days(today)
    locale = current_language().locale
    # Only days released: a day the kiosk was off has no figures, which is not the same as none.
    period = [day for day in (today - timedelta(days=n) for n in range(DAYS_SHOWN, 0, -1))
              if day.isoformat() in days]
    shown = [days[day.isoformat()] for day in period]
    labels = [format_date(day, "d MMM", locale=locale) for day in period]
    articles: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for figures in shown:
        for name, value in figures.items():
            kind, *about = name.split("/")
            if kind == ARTICLE:
                articles[about[0]] += value
                languages[about[1]] += value
    library = get_library()
    titles = {slug: article.source.title for slug, article in library.articles.items()}
    top = articles.most_common(TOP_ARTICLES)
    totals = {kind: sum(_total(figures, kind) for figures in shown)
              for kind in (SESSIONS, LISTEN, HANDOUT, HELP, SEARCH, LANGUAGE_SWITCH)}
    epsilon = current_app.config["KIOSK_USAGE_EPSILON"]
    return render_staff_page(
        "staff/usage.html", gettext("Usage figures"),
        counting=current_app.config["KIOSK_USAGE_FIGURES"], any_released=bool(days),
        sessions=columns(list(zip(labels, (_total(figures, SESSIONS) for figures in shown), strict=True))),
        handouts=columns(list(zip(labels, (_total(figures, HANDOUT) for figures in shown), strict=True))),
        top_articles=rows([(titles.get(slug, slug), value) for slug, value in top]),
        languages=rows([(find_language(tag).native_name if find_language(tag) else tag, value)
                        for tag, value in languages.items()]),
        totals=totals, accuracy=round(accuracy(epsilon)), epsilon=epsilon, days=DAYS_SHOWN,
        width=WIDTH, chart_height=CHART_HEIGHT)


@bp.get("/use.csv")
@staff_required
def usage_csv():
    """Every released figure of every day before today, one row each: day, figure, value."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["day", "figure", "value"])
    for day, figures in released_days(date.today()).items():
        for name, value in sorted(figures.items()):
            writer.writerow([day, name, value])
    return Response(output.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="usage-figures.csv"'})
