"""Staff screens: PIN, lock-out, CSRF, settings, bulk printing, and nothing about patrons."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from kiosk import create_app
from kiosk.staff.pin import FIRST_LOCK_SECONDS, LOCKOUT_FILE, PIN_FILE, PinGate, pin_matches, set_pin
from kiosk.staff.sessions import StaffSessions

from .conftest import STAFF_PIN as PIN
from .conftest import csrf_token as csrf
from .conftest import pin_form_token as nonce
from .conftest import seeded, sign_in, signed_in

# The PIN and its storage

def test_pin_is_stored_only_as_a_salted_hash_owner_only(staff_instance):
    stored = json.loads((staff_instance / PIN_FILE).read_text())
    assert PIN not in json.dumps(stored)
    method, salt, _digest = stored["hash"].split("$")
    assert method.startswith("scrypt:") and len(salt) >= 16  # Werkzeug's salted scrypt
    assert stat.S_IMODE(os.stat(staff_instance / PIN_FILE).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(staff_instance).st_mode) == 0o700
    assert pin_matches(staff_instance, PIN) and not pin_matches(staff_instance, "000000")


def test_the_same_pin_gets_a_new_salt_each_time(tmp_path):
    set_pin(tmp_path, PIN)
    first = json.loads((tmp_path / PIN_FILE).read_text())
    set_pin(tmp_path, PIN)
    second = json.loads((tmp_path / PIN_FILE).read_text())
    assert first["hash"].split("$")[1] != second["hash"].split("$")[1] and first["hash"] != second["hash"]


def test_set_pin_command(tmp_path):
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "inst")})
    result = app.test_cli_runner().invoke(args=["staff", "set-pin"], input="7531\n7531\n")
    assert result.exit_code == 0, result.output
    assert pin_matches(tmp_path / "inst", "7531")
    result = app.test_cli_runner().invoke(args=["staff", "set-pin"], input="12ab\n12ab\n")
    assert result.exit_code != 0 and "4 to 12 digits" in result.output


# Signing in

def test_staff_pages_need_the_pin(staff_app):
    client = staff_app.test_client()
    for url in ("/staff/", "/staff/print", "/staff/settings", "/staff/leave"):
        response = client.get(url) if url == "/staff/" else client.post(url, data={"csrf_token": "x"})
        assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"], url


def test_right_pin_opens_the_staff_screens_with_a_staff_only_cookie(staff_app):
    client = staff_app.test_client()
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "Path=/staff" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    text = client.get("/staff/").get_data(as_text=True)
    assert "Content health" in text and "Print handouts" in text and "Kiosk settings" in text


@pytest.mark.parametrize("pin", ["", "1", "000000", "abcd", "12 34", "١٢٣٤", "9" * 10_000, "482913\x00"])
def test_wrong_pins_are_refused_clearly(staff_app, pin):
    client = staff_app.test_client()
    response = sign_in(client, pin)
    assert response.status_code == 403
    assert "That PIN is not right." in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_the_pin_form_needs_its_one_time_token(staff_app):
    client = staff_app.test_client()
    assert client.post("/staff/login", data={"pin": PIN}).status_code == 400
    token = nonce(client)
    assert client.post("/staff/login", data={"nonce": token + "x", "pin": PIN}).status_code == 400
    assert client.post("/staff/login", data={"nonce": token, "pin": PIN}).status_code == 303
    assert client.post("/staff/login", data={"nonce": token, "pin": PIN}).status_code == 400  # used up


def test_without_a_pin_set_the_screen_says_how_to_set_one(tmp_path):
    client = create_app({"TESTING": True, "instance": seeded(tmp_path)}).test_client()
    assert "staff set-pin" in client.get("/staff/login").get_data(as_text=True)
    assert client.post("/staff/login", data={"pin": "1234"}).status_code == 403


def test_wrong_pins_lock_the_screen_for_longer_each_time_even_after_a_restart(staff_instance):
    client = create_app({"TESTING": True, "instance": staff_instance}).test_client()
    for _ in range(2):
        assert sign_in(client, "111111").status_code == 403
    response = sign_in(client, "111111")
    assert response.status_code == 403 and "wait" in response.get_data(as_text=True)
    # Locked: even the right PIN is refused, also by a restarted kiosk.
    restarted = create_app({"TESTING": True, "instance": staff_instance}).test_client()
    assert sign_in(restarted, PIN).status_code == 429
    gate = PinGate(staff_instance)
    first = gate.seconds_left()
    assert 0 < first <= FIRST_LOCK_SECONDS  # however long this slow machine took since the lock began
    later = time.time() + first + 1
    assert gate.try_pin("111111", now=later).wait_seconds == 2 * FIRST_LOCK_SECONDS
    assert gate.try_pin("111111", now=later + 2 * FIRST_LOCK_SECONDS + 1).wait_seconds == 4 * FIRST_LOCK_SECONDS


def test_a_right_pin_after_the_lock_clears_the_count(staff_instance):
    gate = PinGate(staff_instance)
    for _ in range(3):
        gate.try_pin("111111", now=0)  # long ago
    client = create_app({"TESTING": True, "instance": staff_instance}).test_client()
    assert sign_in(client).status_code == 303
    assert json.loads((staff_instance / LOCKOUT_FILE).read_text())["failures"] == 0


@pytest.mark.parametrize("damage", ["{not json", '{"failures": "many", "locked_until": []}', "[1, 2]",
                                    '{"failures": -5, "locked_until": 0}'])
def test_a_damaged_lockout_file_is_set_aside_with_one_line_and_never_a_500(staff_instance, damage, caplog):
    (staff_instance / LOCKOUT_FILE).write_text(damage)
    client = create_app({"TESTING": True, "instance": staff_instance}).test_client()
    assert sign_in(client, "111111").status_code == 403
    assert sign_in(client).status_code == 303
    said = [record.getMessage() for record in caplog.records if LOCKOUT_FILE in record.getMessage()]
    assert len(said) == 1 and "damaged" in said[0]
    assert (staff_instance / (LOCKOUT_FILE + ".damaged")).read_text() == damage


def test_guesses_sent_all_at_once_are_each_counted_and_locked_out(staff_instance):
    """24 wrong PINs at the same moment: three are checked and counted, the rest meet the lock, and so does
    the right PIN after them."""
    app = create_app({"TESTING": True, "instance": staff_instance})
    tokens = [nonce(app.test_client()) for _ in range(25)]
    start = threading.Barrier(24)

    def guess(token):
        client = app.test_client()
        start.wait()
        return client.post("/staff/login", data={"nonce": token, "pin": "111111"}).status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(guess, tokens[:24]))
    assert sorted(statuses) == [403] * 3 + [429] * 21
    assert json.loads((staff_instance / LOCKOUT_FILE).read_text())["failures"] == 3
    assert app.test_client().post("/staff/login", data={"nonce": tokens[24], "pin": PIN}).status_code == 429


def test_a_pin_file_from_before_werkzeug_still_opens_and_is_rewritten(tmp_path):
    salt = os.urandom(16)
    legacy = {"algorithm": "scrypt", "n": 2 ** 14, "r": 8, "p": 1, "salt": salt.hex(),
              "hash": hashlib.scrypt(b"97531", salt=salt, n=2 ** 14, r=8, p=1, dklen=32).hex()}
    (tmp_path / PIN_FILE).write_text(json.dumps(legacy))
    assert not pin_matches(tmp_path, "13579")
    assert json.loads((tmp_path / PIN_FILE).read_text()) == legacy  # a wrong PIN changes nothing
    assert pin_matches(tmp_path, "97531")
    rewritten = json.loads((tmp_path / PIN_FILE).read_text())
    assert rewritten["hash"].startswith("scrypt:") and "algorithm" not in rewritten
    assert pin_matches(tmp_path, "97531") and not pin_matches(tmp_path, "13579")


def test_a_read_only_instance_folder_still_counts_and_locks(staff_instance, monkeypatch):
    def refuse(path, value):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr("kiosk.staff.pin.write_json_atomically", refuse)
    client = create_app({"TESTING": True, "instance": staff_instance}).test_client()
    statuses = [sign_in(client, "111111").status_code for _ in range(3)]
    assert statuses == [403, 403, 403]
    assert sign_in(client).status_code == 429  # locked, from the count kept in memory


# Staff sessions end

def test_staff_session_ends_at_a_patron_reset(staff_app):
    client = signed_in(staff_app)
    client.post("/reset")
    assert client.get("/staff/").status_code == 302


def test_leaving_ends_the_session_and_clears_the_screen(staff_app):
    client = signed_in(staff_app)
    response = client.post("/staff/leave", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/en/"
    assert "Clear-Site-Data" in response.headers
    assert any(c.startswith("kiosk_staff=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/staff/").status_code == 302


def test_staff_sessions_end_when_idle():
    sessions = StaffSessions()
    session = sessions.start()
    assert sessions.find(session.token, idle_seconds=60) is session
    session.last_seen -= 61
    assert sessions.find(session.token, idle_seconds=60) is None
    assert sessions.find(session.token, idle_seconds=60) is None


def test_patron_pages_never_receive_the_staff_cookie(staff_app):
    client = signed_in(staff_app)
    cookie = client.get_cookie("kiosk_staff", path="/staff")
    assert cookie is not None and cookie.path == "/staff"
    assert client.get_cookie("kiosk_staff", path="/") is None


# CSRF

@pytest.mark.parametrize("token", [None, "", "forged", "x" * 5000])
def test_forms_without_the_right_csrf_token_change_nothing(staff_app, token):
    client = signed_in(staff_app)
    data = {"languages": ["en"], "default_language": "en", "idle_seconds": "99"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/staff/settings", data=data)
    assert response.status_code == 400
    assert staff_app.config["KIOSK_IDLE_SECONDS"] == 180
    assert not (staff_app.instance_path and os.path.exists(os.path.join(staff_app.instance_path, "settings.json")))


# Settings

def test_settings_round_trip_and_survive_a_restart(staff_app, staff_instance):
    client = signed_in(staff_app)
    response = client.post("/staff/settings", data={
        "csrf_token": csrf(client), "languages": ["fr", "ar", "en"], "default_language": "fr",
        "idle_seconds": "300"})
    assert response.status_code == 303
    saved_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p class="notice" role="status">' in saved_page and '<html lang="fr"' in saved_page
    assert staff_app.config["KIOSK_IDLE_SECONDS"] == 300
    assert [language.tag for language in staff_app.config["KIOSK_LANGUAGES"]] == ["fr", "ar", "en"]
    assert client.get("/").headers["Location"] == "/fr/"
    assert client.get("/es/").status_code == 404
    assert 'data-idle-seconds="300"' in client.get("/fr/").get_data(as_text=True)
    saved = json.loads((staff_instance / "settings.json").read_text())
    assert saved["idle_seconds"] == 300 and saved["default_language"] == "fr"
    assert stat.S_IMODE(os.stat(staff_instance / "settings.json").st_mode) == 0o600
    restarted = create_app({"TESTING": True, "instance": staff_instance})
    assert restarted.config["KIOSK_IDLE_SECONDS"] == 300
    assert restarted.config["KIOSK_DEFAULT_LANGUAGE"].tag == "fr"


def test_the_settings_form_shows_what_is_in_force(staff_app):
    client = signed_in(staff_app)
    client.post("/staff/settings", data={
        "csrf_token": csrf(client), "languages": ["en", "ar"], "default_language": "ar",
        "idle_seconds": "240"})
    page = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'<option value="ar" lang="ar" selected>', page)
    assert not re.search(r'<option value="en" lang="en" selected>', page)
    assert 'value="240"' in page
    assert re.search(r'name="read_aloud" value="on" checked', page) is None  # unticked above


def test_read_aloud_can_be_turned_off_and_on_by_staff(staff_app, staff_instance):
    client = signed_in(staff_app)
    form = {"csrf_token": csrf(client), "languages": ["en"], "default_language": "en", "idle_seconds": "200"}
    client.post("/staff/settings", data=form)
    assert staff_app.config["KIOSK_READ_ALOUD"] is False
    assert json.loads((staff_instance / "settings.json").read_text())["read_aloud"] == "off"
    assert 'class="listen"' not in client.get("/en/articles/consent").get_data(as_text=True)
    assert client.get("/en/articles/consent/speech/body-0.wav").status_code == 404
    client.post("/staff/settings", data={**form, "read_aloud": "on"})
    assert staff_app.config["KIOSK_READ_ALOUD"] is True
    assert 'name="read_aloud" value="on" checked' in client.get("/staff/").get_data(as_text=True)
    assert 'class="listen"' in client.get("/en/articles/consent").get_data(as_text=True)
    restarted = create_app({"TESTING": True, "instance": staff_instance})
    assert restarted.config["KIOSK_READ_ALOUD"] is True


@pytest.mark.parametrize("form", [
    {"languages": ["en", "xx"], "default_language": "en", "idle_seconds": "200"},
    {"languages": ["en"], "default_language": "xx", "idle_seconds": "200"},
    {"languages": ["es"], "default_language": "en", "idle_seconds": "200"},
    {"languages": [], "default_language": "en", "idle_seconds": "200"},
    {"languages": ["en"], "default_language": "en", "idle_seconds": "-5"},
    {"languages": ["en"], "default_language": "en", "idle_seconds": "99999999999"},
    {"languages": ["en"], "default_language": "en", "idle_seconds": "soon"},
    {"languages": ["en"], "default_language": "en", "idle_seconds": "20"},
    {"languages": ["en"], "default_language": "en"},
])
def test_bad_settings_are_refused_and_leave_settings_intact(staff_app, staff_instance, form):
    client = signed_in(staff_app)
    before = dict(staff_app.config)
    response = client.post("/staff/settings", data={"csrf_token": csrf(client), **form})
    assert response.status_code == 400
    assert "were not saved" in response.get_data(as_text=True)
    for key in ("KIOSK_IDLE_SECONDS", "KIOSK_LANGUAGES", "KIOSK_DEFAULT_LANGUAGE"):
        assert staff_app.config[key] == before[key]
    assert not (staff_instance / "settings.json").exists()


def test_a_power_cut_while_saving_leaves_the_old_settings(staff_app, staff_instance, monkeypatch):
    client = signed_in(staff_app)
    token = csrf(client)
    client.post("/staff/settings", data={"csrf_token": token, "languages": ["en", "es"],
                                         "default_language": "en", "idle_seconds": "240"})
    saved = (staff_instance / "settings.json").read_bytes()

    def cut(*args):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", cut)
    response = client.post("/staff/settings", data={"csrf_token": token, "languages": ["en"],
                                                    "default_language": "en", "idle_seconds": "600"})
    assert response.status_code == 303 and "not-kept" in response.headers["Location"]  # staff are told
    assert (staff_instance / "settings.json").read_bytes() == saved
    assert [p.name for p in staff_instance.iterdir() if p.name.endswith(".tmp")] == []


def test_a_damaged_settings_file_is_ignored_not_fatal(staff_instance):
    (staff_instance / "settings.json").write_text('{"idle_seconds": "often", "default_language": "xx"}')
    app = create_app({"TESTING": True, "instance": staff_instance})
    assert app.config["KIOSK_IDLE_SECONDS"] == 180


# Content health and bulk printing

def test_content_health_shows_the_status_and_every_problem(tmp_path, staff_instance):
    from .conftest import FIXTURES
    app = create_app({"TESTING": True, "instance": staff_instance, "content": FIXTURES / "mixed"})
    client = signed_in(app)
    text = client.get("/staff/").get_data(as_text=True)
    assert "out of date" in text and "missing" in text
    assert "raw HTML is not allowed" in text and "unknown topic" in text
    assert "14 errors in the content folder" in text and "warning" not in text.split("errors in the content")[1]


def test_content_health_tells_warnings_from_errors(tmp_path, staff_instance):
    from .conftest import CONTENT
    content = shutil.copytree(CONTENT, tmp_path / "content")
    source = content / "articles" / "consent" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("licence:", "colour: blue\nlicence:"),
                      encoding="utf-8")
    app = create_app({"TESTING": True, "instance": staff_instance, "content": content})
    text = signed_in(app).get("/staff/").get_data(as_text=True)
    assert "0 errors in the content folder" in text
    assert "1 warning" in text and "unknown field &#39;colour&#39; (ignored)" in text


def test_bulk_print_without_a_printer_opens_one_pdf(staff_app, monkeypatch):
    monkeypatch.setattr("kiosk.staff.screens.default_printer", lambda: None)
    client = signed_in(staff_app)
    response = client.post("/staff/print", data={
        "csrf_token": csrf(client), "articles": ["consent", "boundaries"], "languages": ["en", "ar"],
        "copies": "2", "action": "print"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = len(PdfReader(io.BytesIO(response.data)).pages)
    assert 4 <= pages <= 8  # four handouts of one or two pages each (copies go to the printer)


@pytest.mark.parametrize("form, says", [
    ({"articles": ["consent"], "languages": ["en"], "copies": "10000"}, "from 1 to 50"),
    ({"articles": ["consent"], "languages": ["en"], "copies": "0"}, "from 1 to 50"),
    ({"articles": ["consent"], "languages": ["en"], "copies": "two"}, "from 1 to 50"),
    ({"articles": ["consent"], "languages": ["en"], "copies": "-3"}, "from 1 to 50"),
    ({"articles": [], "languages": ["en"], "copies": "1"}, "at least one article"),
    ({"articles": ["consent"], "languages": [], "copies": "1"}, "at least one article"),
    ({"articles": ["nope"], "languages": ["en"], "copies": "1"}, "not in this kiosk"),
    ({"articles": ["consent"], "languages": ["xx"], "copies": "1"}, "not in this kiosk"),
])
def test_bad_print_requests_get_a_clear_answer(staff_app, form, says):
    client = signed_in(staff_app)
    response = client.post("/staff/print", data={"csrf_token": csrf(client), "action": "pdf", **form})
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)


# What patrons can and cannot see

def test_patron_pages_link_to_staff_only_from_the_welcome_page(client):
    assert 'href="/staff/"' in client.get("/en/").get_data(as_text=True)
    for url in ("/en/articles/intimacy", "/en/topics/closeness", "/en/search?q=x", "/en/about",
                "/fr/articles/consent/handout", "/en/articles/nope"):
        assert "/staff" not in client.get(url).get_data(as_text=True), url


def test_staff_screens_hold_nothing_about_patrons(staff_app):
    client = signed_in(staff_app)
    patron = staff_app.test_client()
    patron.get("/es/search?q=secretword")
    patron.get("/fr/articles/when-something-is-not-okay")
    text = client.get("/staff/").get_data(as_text=True)
    assert "secretword" not in text and "/fr/articles/" not in text
