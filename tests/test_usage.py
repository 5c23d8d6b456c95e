"""Usage figures: counted per day, bounded per session, released with OpenDP's noise, and only that kept.

Statistical tests draw many releases: their seeds are OpenDP's own (a system source), so each run
differs; the bounds are set so that a correct mechanism fails them far less than once in a million runs.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.content.serving import content_holder
from kiosk.settings import BY_NAME
from kiosk.staff.pin import set_pin
from kiosk.usage.counting import MAX_COUNTS_PER_SESSION, DayCounts, figure
from kiosk.usage.recorder import every_figure, usage_recorder
from kiosk.usage.release import (
    RELEASED_FILE,
    accuracy,
    noise_scale,
    private_counts,
    read_released,
    release_day,
)

from .conftest import ROOT, SLUGS, LiveKiosk, csrf_token, free_port, seeded, signed_in

DEFAULT_EPSILON = BY_NAME["usage_epsilon"].default


def test_usage_figures_are_off_by_default_and_a_staff_setting():
    setting = BY_NAME["usage_figures"]
    assert setting.default is False and setting.staff_can_change


def test_released_figures_are_unbiased():
    true_counts = [0, 1, 5, 40]
    draws = 4000
    # One release of many figures: each gets noise of its own, as each day's figures do.
    released = private_counts(true_counts * draws, DEFAULT_EPSILON)
    # Discrete Laplace with scale b: variance about 2 b^2; six standard errors of the mean either way.
    tolerance = 6 * math.sqrt(2) * noise_scale(DEFAULT_EPSILON) / math.sqrt(draws)
    for index, truth in enumerate(true_counts):
        mean = sum(released[index::len(true_counts)]) / draws
        assert abs(mean - truth) < tolerance, (truth, mean, tolerance)
    assert any(value != 0 for value in released[::len(true_counts)]), "no noise was added"


def test_a_count_of_0_and_a_count_of_1_cannot_be_told_apart_at_the_default_epsilon():
    draws = 20000
    released = private_counts([0, 1] * draws, DEFAULT_EPSILON)
    zeros, ones = released[0::2], released[1::2]
    # The best guess from one released figure is a threshold; with this noise no threshold guesses
    # right much more often than a coin: at most tanh(eps / bound / 2) better (the mechanism's own bound),
    # and 0.02 for the sampling (about six standard errors).
    limit = math.tanh(DEFAULT_EPSILON / MAX_COUNTS_PER_SESSION / 2)
    for threshold in range(-5, 7):
        right = (sum(value < threshold for value in zeros) + sum(value >= threshold for value in ones)) / (2 * draws)
        assert right - 0.5 < limit + 0.02, (threshold, right)


def test_a_session_adds_each_figure_once_and_at_most_the_bound_in_all():
    counts = DayCounts(date(2026, 12, 3))
    for _ in range(3):
        counts.count(figure("article", "consent", "en"))
    for number in range(30):
        counts.count(figure("article", f"a{number}", "en"))
    counts.end_session()
    assert counts.totals[figure("article", "consent", "en")] == 1
    assert counts.totals["sessions"] == 1
    assert sum(counts.totals.values()) == MAX_COUNTS_PER_SESSION


def test_a_language_change_counts_once_per_session():
    counts = DayCounts(date(2026, 12, 3))
    for tag in ("en", "es", "en", "ar"):
        counts.saw_language(tag)
    counts.end_session()
    assert counts.totals["language-switch"] == 1


def test_the_noise_and_the_accuracy_come_from_opendp():
    assert noise_scale(1.0) == MAX_COUNTS_PER_SESSION
    assert 25 < accuracy(1.0) < 35  # OpenDP's discrete Laplace at 95 %: about 30 counts for scale 10


@pytest.fixture
def counting_app(tmp_path):
    return create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "usage_figures": "on"})


def patron_visit(client):
    for address in ("/en/", "/en/articles/consent", "/es/articles/consent", "/es/search?q=secret+words",
                    "/es/help", "/es/articles/consent/handout.pdf", "/es/articles/consent/speech/title.json"):
        response = client.get(address)
        assert response.status_code == 200, address
        response.close()  # as the server does once the page is sent: the count is taken then


def test_a_page_is_counted_once_it_is_handed_over_never_before(counting_app):
    recorder = usage_recorder(counting_app)
    response = counting_app.test_client().get("/en/articles/consent")
    assert response.status_code == 200
    assert recorder.counts.session_is_empty(), "the page did not wait for its count"
    response.close()
    recorder.counts.end_session()
    assert recorder.counts.totals[figure("article", "consent", "en")] == 1


def test_waitress_hands_over_the_page_then_it_is_counted(counting_app):
    recorder = usage_recorder(counting_app)
    with LiveKiosk(counting_app) as kiosk:
        with urllib.request.urlopen(f"{kiosk.url}/uk/articles/intimacy", timeout=30) as response:
            assert response.status == 200
            response.read()
        # The server closes the response once it is sent: wait for that, never for a fixed time.
        deadline = time.monotonic() + 30
        while recorder.counts.session_is_empty():
            assert time.monotonic() < deadline, "the page served was never counted"
            time.sleep(0.01)
    recorder.counts.end_session()
    assert recorder.counts.totals[figure("article", "intimacy", "uk")] == 1


def test_the_instance_folder_and_logs_hold_only_released_figures(counting_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = counting_app.test_client()
    with counting_app.app_context():
        content_holder(counting_app).current.search  # the start's own files, once its index is written  # noqa: B018
    before = {path.name for path in Path(counting_app.instance_path).rglob("*")}
    patron_visit(client)
    client.post("/reset")
    patron_visit(client)
    after = {path.name for path in Path(counting_app.instance_path).rglob("*")}
    assert after == before, "nothing is written before the day's release"
    recorder = usage_recorder(counting_app)
    recorder.release()
    document = read_released(counting_app.instance_path)
    (day,) = document["days"].values()
    assert day["epsilon"] == DEFAULT_EPSILON and day["parts"] == 1
    # Every figure that could exist is released, read or not: which rows appear tells nothing.
    assert set(day["figures"]) == set(every_figure(counting_app))
    assert {figure("article", slug, "ur") for slug in SLUGS} <= set(day["figures"])
    assert all(isinstance(value, int) for value in day["figures"].values())
    files = {path.name for path in Path(counting_app.instance_path).rglob("*")}
    assert files - before == {RELEASED_FILE}
    assert "secret" not in (Path(counting_app.instance_path) / RELEASED_FILE).read_text()
    logged = caplog.text
    assert "consent" not in logged and "secret" not in logged
    assert recorder.counts.totals == {} and recorder.counts.session_is_empty(), "true counts dropped"


@pytest.mark.parametrize("way_out", ["idle-reset-or-quick-exit", "staff-leaves"])
def test_every_way_out_still_ends_the_session_and_forgets_it(counting_app, way_out, tmp_path):
    set_pin(counting_app.instance_path, "482913")
    client = signed_in(counting_app) if way_out == "staff-leaves" else counting_app.test_client()
    patron_visit(client)
    recorder = usage_recorder(counting_app)
    assert not recorder.counts.session_is_empty()
    if way_out == "staff-leaves":
        response = client.post("/staff/leave", data={"csrf_token": csrf_token(client)})
    else:
        response = client.post("/reset")
    assert response.status_code == 303 and "cookies" in response.headers["Clear-Site-Data"]
    assert recorder.counts.session_is_empty()
    assert recorder.counts.totals["sessions"] == 1, "the session joined the day's totals, without its order"


def test_nothing_is_counted_while_usage_figures_are_off(tmp_path):
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance")})
    client = app.test_client()
    patron_visit(client)
    client.post("/reset")
    recorder = usage_recorder(app)
    assert recorder.counts.totals == {}
    recorder.release()
    assert not (tmp_path / "instance" / RELEASED_FILE).exists()


def test_the_use_screen_shows_released_days_but_never_today(counting_app):
    set_pin(counting_app.instance_path, "482913")
    today = date.today()
    names = every_figure(counting_app)
    for back in (3, 2, 1, 0):
        release_day(counting_app.instance_path, today - timedelta(days=back), {"sessions": 50}, names, 1.0)
    client = signed_in(counting_app)
    page = client.get("/staff/use").get_data(as_text=True)
    assert "<svg" in page and 'class="usage-bar"' in page and " style=" not in page
    assert page.count("<g>") > 3
    shown_days = [day for day in read_released(counting_app.instance_path)["days"]]
    csv_text = client.get("/staff/use.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "day,figure,value"
    assert today.isoformat() in shown_days and today.isoformat() not in csv_text
    assert (today - timedelta(days=1)).isoformat() in csv_text
    assert f"{round(accuracy(1.0))}" in page


def test_the_about_page_says_what_is_counted(tmp_path, counting_app):
    off = create_app({"TESTING": True, "instance": seeded(tmp_path / "off")}).test_client().get("/en/about")
    on = counting_app.test_client().get("/en/about")
    assert "counts nothing" in off.get_data(as_text=True)
    assert "never keeps what one person did" in on.get_data(as_text=True)


def test_opendp_releases_without_any_network():
    """The release runs in a network namespace of its own, with no interface but a down loopback."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare, as root, to take the network away")
    code = ("import socket\n"
            "from kiosk.usage.release import accuracy, private_counts\n"
            "try:\n    socket.create_connection(('192.0.2.1', 443), timeout=2)\n    raise SystemExit('network!')\n"
            "except OSError:\n    pass\n"
            "print(len(private_counts([1, 2, 3], 1.0)), round(accuracy(1.0)))\n")
    result = subprocess.run(["unshare", "--net", sys.executable, "-c", code], cwd=ROOT, check=False,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "30"]


def test_a_clean_shutdown_releases_the_day_so_far(tmp_path):
    port = free_port()
    instance = tmp_path / "instance"
    kiosk = subprocess.Popen([sys.executable, str(ROOT / "run_kiosk.py"), "--no-browser", "--port", str(port),
                              "--instance", str(instance), "--usage-figures", "on"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in kiosk.stdout:  # log lines, then the one printed once it listens
            if "ready" in line:
                break
        base = f"http://127.0.0.1:{port}"
        for address in ("/en/articles/consent", "/es/articles/intimacy"):
            with urllib.request.urlopen(base + address, timeout=30) as response:
                assert response.status == 200
        urllib.request.urlopen(urllib.request.Request(base + "/reset", data=b"", method="POST"), timeout=30).read()
        assert not (instance / RELEASED_FILE).exists(), "nothing written while the day runs"
    finally:
        kiosk.send_signal(signal.SIGTERM)
        kiosk.wait(timeout=60)
    assert kiosk.returncode == 0
    day = read_released(instance)["days"][date.today().isoformat()]
    assert day["parts"] == 1 and set(day["figures"]) >= {"sessions", "article/consent/en"}


def test_staff_turn_usage_figures_on_and_off_on_the_settings_form(tmp_path):
    set_pin(tmp_path / "instance", "482913")
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance")})
    client = signed_in(app)
    form = {"csrf_token": csrf_token(client), "languages": ["en", "es"], "default_language": "en",
            "idle_seconds": "180", "read_aloud": "on"}
    assert client.post("/staff/settings", data={**form, "usage_figures": "on"}).status_code == 303
    assert app.config["KIOSK_USAGE_FIGURES"] is True
    assert 'name="usage_figures" value="on" checked' in client.get("/staff/").get_data(as_text=True)
    assert "never keeps what one person did" in client.get("/en/about").get_data(as_text=True)
    assert client.post("/staff/settings", data=form).status_code == 303
    assert app.config["KIOSK_USAGE_FIGURES"] is False
