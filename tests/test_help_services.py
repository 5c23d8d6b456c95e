"""Where to get help here: the local services in help.yaml, checked, shown in every language, kept by staff.

QR codes are read back with zxing-cpp (from PyPI) from an image of the page's own
SVG drawn by Chromium, in tests/browser/test_help.py; here each code's address is
checked at the source it is drawn from.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil

import pytest
import yaml
from pypdf import PdfReader

from kiosk import create_app
from kiosk.content.help_list import HELP_FILE, ServiceError, load_help, parse_service
from kiosk.content.loader import load_library
from kiosk.content.manifest import publish, verify
from kiosk.content.model import KINDS

from .conftest import CONTENT, SHIPPED_TAGS, STAFF_PIN, seeded, signed_in
from .conftest import csrf_token as csrf

GOOD = {"id": "clinic", "kinds": ["sexual-health"], "name": {"en": "Town clinic"}, "phone": "+1 (555) 010-0199",
        "website": "https://example.org/clinic"}


def folder_with(tmp_path, services, **extra):
    """A copy of the starter library whose help.yaml lists ``services``."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    data = {"source_language": "en", "reviewed": ["en"], "services": services, **extra}
    # A copy of each entry: a value written twice would be written as a YAML alias, which content refuses.
    (folder / HELP_FILE).write_text(yaml.safe_dump(json.loads(json.dumps(data)), allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture
def staff_kiosk(tmp_path):
    """A kiosk with a staff PIN over a writable copy of the starter library."""
    from kiosk.staff.pin import set_pin
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    set_pin(tmp_path / "instance", STAFF_PIN)
    app = create_app({"TESTING": True, "instance": seeded(tmp_path / "instance"), "content": folder})
    return app, folder


# The file and its checks

def test_the_shipped_list_is_a_clearly_marked_example(shipped_library):
    services = shipped_library.help.services
    assert services and all(service.example for service in services)
    assert all("555" in service.phone for service in services if service.phone)  # numbers reserved for fiction
    text = (CONTENT / HELP_FILE).read_text(encoding="utf-8")
    assert "EVERY SERVICE BELOW IS AN EXAMPLE" in text


def test_the_shipped_list_has_every_service_in_every_language(shipped_library):
    help_list = shipped_library.help
    for service in help_list.services:
        for tag in SHIPPED_TAGS:
            assert help_list.text(service, "name", tag) == (service.names[tag], tag), (service.id, tag)
            assert help_list.text(service, "description", tag)[1] == tag, (service.id, tag)


@pytest.mark.parametrize("change, problem", [
    ({"phone": "call us"}, "is not a phone number"),
    ({"phone": "12"}, "is not a phone number"),
    ({"phone": "+1 555 0100 0100 0100 0100"}, "is not a phone number"),
    ({"kinds": ["bakery"]}, "unknown kind 'bakery'"),
    ({"kinds": []}, "choose at least one kind of help"),
    ({"name": {"es": "Clínica"}}, "needs a name in the list's source language (en)"),
    ({"name": {"en": "<script>alert(1)</script>"}}, "must be plain text, without HTML"),
    ({"name": {"en": "Clinic <b>open</b>"}}, "must be plain text, without HTML"),
    ({"description": {"en": "x" * 301}}, "is longer than 300 characters"),
    ({"website": "javascript:alert(1)"}, "must be a web address"),
    ({"website": "ftp://example.org"}, "must be a web address"),
    ({"website": "www.example.org"}, "must be a web address"),
    ({"address": "Line one\u202eevil"}, "holds characters that cannot be shown"),
    ({"languages": ["xx-nonsense"]}, "unknown language tag"),
    ({"name": {"en": "Clinic", "xx": "?"}}, "unknown language 'xx'"),
    ({"colour": "red"}, "is not a field of a service"),
])
def test_a_service_that_is_not_right_is_refused_with_the_reason(change, problem):
    with pytest.raises(ServiceError, match=re.escape(problem)):
        parse_service({**GOOD, **change}, "en")


def test_a_good_service_is_kept_with_a_tel_address():
    service = parse_service(GOOD, "en")
    assert service.phone_address == "tel:+15550100199"
    assert parse_service({**GOOD, "phone": "911"}, "en").phone_address == "tel:911"


def test_content_check_names_the_file_and_line_of_each_bad_service(app, tmp_path):
    folder = folder_with(tmp_path, [GOOD, {**GOOD, "id": "bad-phone", "phone": "none"},
                                    {**GOOD, "id": "bad-kind", "kinds": ["bakery"]}])
    result = app.test_cli_runner().invoke(args=["content", "check", str(folder)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "help.yaml" in line]
    assert len(lines) == 2
    assert re.search(r"help\.yaml:\d+: error: help service: phone: is not a phone number", lines[0])
    assert re.search(r"help\.yaml:\d+: error: help service: kinds: unknown kind 'bakery'", lines[1])
    assert [service.id for service in load_library(folder).help.services] == ["clinic"]  # the good one is kept


def test_a_broken_help_file_is_an_error_not_a_crash(app, tmp_path):
    folder = folder_with(tmp_path, [GOOD])
    (folder / HELP_FILE).write_text("services: [this never closes\n", encoding="utf-8")
    library = load_library(folder)
    assert library.help.services == () and library.error_count == 1
    assert "help.yaml cannot be read" in str(library.problems[0])


def test_an_article_names_the_help_it_may_call_for_and_a_wrong_kind_is_an_error(tmp_path):
    folder = folder_with(tmp_path, [GOOD])
    assert load_library(CONTENT).articles["when-something-is-not-okay"].help_kinds
    source = folder / "articles" / "consent" / "en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("licence:", "help: [bakery]\nlicence:", 1),
                      encoding="utf-8")
    library = load_library(folder)
    assert any("'help' must list kinds of local help" in str(problem) for problem in library.problems)


# What patrons see

@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_the_help_page_lists_every_service_in_every_language(client, shipped_library, tag):
    page = client.get(f"/{tag}/help").get_data(as_text=True)
    for service in shipped_library.help.services:
        assert service.names[tag] in page.replace("&#39;", "'")
        if service.phone:
            assert f'<span class="phone" dir="ltr">{service.phone}</span>' in page
    assert page.count('class="qr"') == sum(
        bool(service.phone) + bool(service.website) for service in shipped_library.help.services)
    assert 'class="notice" role="note"' in page  # the examples say they are examples
    assert "<a href=\"tel:" not in page and 'href="https://example.org' not in page  # nothing to follow off the kiosk


def test_the_help_page_lists_one_kind_of_help(client, shipped_library):
    page = client.get("/en/help?kind=sexual-health").get_data(as_text=True)
    for service in shipped_library.help.services:
        assert (service.names["en"] in page) == ("sexual-health" in service.kinds)
    assert client.get("/en/help?kind=bakery").status_code == 404


def test_an_empty_list_sends_patrons_to_the_staff_never_an_empty_page(make_app, tmp_path):
    app = make_app(content=folder_with(tmp_path, []), languages="en,fr")
    client = app.test_client()
    ask = "Please ask the staff here about services near you. They can tell you who can help, in private."
    in_french = app.extensions["kiosk_catalogs"]["fr"].ugettext(ask)
    assert in_french != ask
    page = html.unescape(client.get("/fr/help").get_data(as_text=True))
    assert in_french in page and 'class="service"' not in page
    article = client.get("/en/articles/when-something-is-not-okay").get_data(as_text=True)
    assert "Please ask the staff here about services near you." in article


def test_a_service_not_in_the_readers_language_falls_back_with_the_notice(make_app, tmp_path):
    client = make_app(content=folder_with(tmp_path, [GOOD]), languages="en,uk").test_client()
    page = client.get("/uk/help").get_data(as_text=True)
    assert '<h2 class="service-name" lang="en" dir="ltr">Town clinic</h2>' in page
    assert 'class="notice notice-quiet"' in page


def test_an_unchecked_translation_says_so_and_a_checked_one_does_not(make_app, tmp_path):
    service = {**GOOD, "name": {"en": "Town clinic", "es": "Clínica del pueblo"}}
    unchecked = make_app(content=folder_with(tmp_path / "a", [service]), languages="en,es").test_client()
    assert 'class="notice notice-quiet"' in unchecked.get("/es/help").get_data(as_text=True)
    checked = make_app(content=folder_with(tmp_path / "b", [service], reviewed=["en", "es"]),
                       languages="en,es").test_client()
    assert 'class="notice notice-quiet"' not in checked.get("/es/help").get_data(as_text=True)


def test_every_article_ends_with_help_near_you_and_the_way_to_all_of_it(client, shipped_library):
    for slug, article in shipped_library.articles.items():
        page = client.get(f"/en/articles/{slug}").get_data(as_text=True)
        assert 'class="help-here"' in page and 'href="/en/help"' in page
        expected = shipped_library.help.for_kinds(article.help_kinds)[:3]
        assert page.count('<li class="service">') == len(expected), slug
    welcome = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/help"' in welcome


def test_the_handout_carries_help_near_you_in_its_language_within_two_pages(app, client, shipped_library):
    article = shipped_library.articles["when-something-is-not-okay"]
    expected = shipped_library.help.for_kinds(article.help_kinds)[:3]
    assert expected
    for tag in SHIPPED_TAGS:
        page = client.get(f"/{tag}/articles/{article.slug}/handout").get_data(as_text=True)
        assert all(service.names[tag] in page.replace("&#39;", "'") for service in expected), tag
        response = client.get(f"/{tag}/articles/{article.slug}/handout.pdf")
        reader = PdfReader(io.BytesIO(response.data))
        assert len(reader.pages) <= 2, tag
        text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
        # The numbers are printed left to right in every language; only Urdu's Nastaliq lines do
        # not read back in order (see test_handouts.READS_BACK), so its page is checked above.
        if tag != "ur":
            assert all(service.phone.replace(" ", "") in text for service in expected if service.phone), tag


# Staff keep the list

def test_staff_add_change_reorder_and_remove_a_service(staff_kiosk):
    app, folder = staff_kiosk
    client = signed_in(app)
    before = len(load_library(folder).help.services)
    form = {"csrf_token": csrf(client), "name-en": "Night shelter", "name-es": "Albergue nocturno",
            "description-en": "Beds for the night.", "kinds": ["housing"], "phone": "+1 555 0188",
            "languages": ["en", "es"]}
    response = client.post("/staff/help/new", data=form)
    assert response.status_code == 303
    services = load_library(folder).help.services
    assert len(services) == before + 1 and services[-1].names == {"en": "Night shelter", "es": "Albergue nocturno"}
    added = services[-1].id
    assert "Albergue nocturno" in app.test_client().get("/es/help").get_data(as_text=True)  # served at once
    client.post(f"/staff/help/{added}", data={**form, "name-en": "Winter shelter", "hours-en": "Nights"})
    assert load_library(folder).help.services[-1].names["en"] == "Winter shelter"
    client.post(f"/staff/help/{added}/move", data={"csrf_token": csrf(client), "direction": "up"})
    assert load_library(folder).help.services[-2].id == added
    confirm = client.get(f"/staff/help/{added}/remove").get_data(as_text=True)
    assert "Winter shelter" in confirm
    client.post(f"/staff/help/{added}/remove", data={"csrf_token": csrf(client)})
    assert added not in [service.id for service in load_library(folder).help.services]
    assert not list(folder.glob(".*tmp*")) and not list(folder.glob("*.tmp"))  # written atomically


@pytest.mark.parametrize("field, value, says", [
    ("name-en", "<script>alert(1)</script>", "Plain text only"),
    ("phone", "ring ring", "That is not a phone number"),
    ("website", "javascript:alert(1)", "A website must start with http:// or https://"),
    ("description-en", "x" * 400, "too long"),
    ("name-en", "", "Give the service a name"),
])
def test_staff_forms_refuse_what_a_clinic_would_not_want_printed(staff_kiosk, field, value, says):
    app, folder = staff_kiosk
    client = signed_in(app)
    before = (folder / HELP_FILE).read_bytes()
    form = {"csrf_token": csrf(client), "name-en": "Clinic", "kinds": ["general"], field: value}
    response = client.post("/staff/help/new", data=form)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert (folder / HELP_FILE).read_bytes() == before


def test_staff_help_screens_need_the_pin_and_the_form_token(staff_kiosk):
    app, folder = staff_kiosk
    before = (folder / HELP_FILE).read_bytes()
    assert app.test_client().get("/staff/help").status_code in (302, 303)
    anonymous = app.test_client().post("/staff/help/new", data={"name-en": "X", "kinds": ["general"]})
    assert anonymous.status_code in (302, 303, 403)
    client = signed_in(app)
    forged = client.post("/staff/help/new", data={"csrf_token": "forged", "name-en": "X", "kinds": ["general"]})
    assert forged.status_code == 400
    assert (folder / HELP_FILE).read_bytes() == before


def test_a_published_folder_is_published_again_so_the_change_is_served(staff_kiosk):
    app, folder = staff_kiosk
    publish(folder, "v1")
    client = signed_in(app)
    client.post("/staff/help/new", data={"csrf_token": csrf(client), "name-en": "Food bank", "kinds": ["general"]})
    manifest, differences = verify(folder)
    assert manifest.version != "v1" and differences == []
    assert "Food bank" in app.test_client().get("/en/help").get_data(as_text=True)
    assert app.test_client().get("/healthz").get_json()["content_version"] == manifest.version


def test_a_folder_synced_from_elsewhere_is_not_changed_here(staff_kiosk):
    app, folder = staff_kiosk
    (folder / ".stfolder").mkdir()
    publish(folder, "v1")
    client = signed_in(app)
    assert "This kiosk&#39;s content comes from the publishing machine" in client.get("/staff/help").get_data(as_text=True)
    response = client.post("/staff/help/new", data={"csrf_token": csrf(client), "name-en": "X", "kinds": ["general"]})
    assert response.status_code == 409
    assert verify(folder)[0].version == "v1"


def test_staff_record_which_languages_a_fluent_speaker_checked(staff_kiosk):
    app, folder = staff_kiosk
    client = signed_in(app)
    client.post("/staff/help/checked", data={"csrf_token": csrf(client), "reviewed": ["es", "fr"]})
    assert load_library(folder).help.reviewed == ("en", "es", "fr")


def test_nothing_about_patrons_is_written_with_the_list(staff_kiosk):
    app, folder = staff_kiosk
    patron = app.test_client()
    patron.get("/en/search?q=secretword")
    patron.get("/en/help?kind=violence-and-abuse")
    client = signed_in(app)
    client.post("/staff/help/new", data={"csrf_token": csrf(client), "name-en": "Food bank", "kinds": ["general"]})
    text = (folder / HELP_FILE).read_text(encoding="utf-8")
    assert "secretword" not in text and "violence-and-abuse" not in text.split("Food bank")[1]
    assert set(KINDS) >= {kind for service in load_help(folder, []).services for kind in service.kinds}
