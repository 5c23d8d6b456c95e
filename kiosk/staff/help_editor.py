"""The staff's list of local help services: add, change, remove and reorder, saved into the content folder.

The list is the content folder's ``help.yaml``, so it travels with the content
(and with a fleet's synced content). Each change is checked as ``content
check`` checks the file, written atomically, and served at once. A folder
that is published (it has a manifest) is published again, so this kiosk
takes its own change; a folder synced from elsewhere is edited where it is
published, and here the list is shown but not changed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext, pgettext
from flask_babel import lazy_gettext as _l

from ..content.help_list import LIMITS, ServiceError, parse_service, write_help
from ..content.loader import load_library
from ..content.manifest import MANIFEST, publish, synced_by_syncthing
from ..content.model import HelpList, HelpService
from ..content.serving import get_library
from ..content.startup_cache import StartupCache
from ..content.updates import content_updates
from ..i18n import current_language, language_display_name, offered_languages
from ..languages import BY_TAG, LANGUAGES
from ..local_help import KIND_NAMES, shown
from .screens import bp
from .sessions import render_staff_page, staff_required

PROBLEMS = {
    "markup": _l("Plain text only: no HTML, scripts or templates."),
    "length": _l("That is too long for the kiosk's screen and handouts."),
    "hidden": _l("That holds characters that cannot be shown."),
    "kinds": _l("Choose at least one kind of help."),
    "name": _l("Give the service a name, at least in %(language)s."),
    "phone": _l("That is not a phone number: use digits, spaces, +, - and brackets (3 to 15 digits)."),
    "website": _l("A website must start with http:// or https://."),
    "languages": _l("Choose the languages spoken from the list."),
}
FIELD_NAMES = {
    "name": _l("Name"), "description": _l("What it helps with"), "hours": _l("Opening hours"),
    "phone": _l("Phone"), "address": _l("Address"), "website": _l("Website"), "kinds": _l("Kinds of help"),
    "languages": _l("Languages spoken"),
}


class ReadOnlyFolder(Exception):
    """The content folder is synced from elsewhere, or cannot be written."""


def _folder() -> Path:
    return Path(current_app.config["KIOSK_CONTENT"])


def _synced_from_elsewhere(folder: Path) -> bool:
    """A Syncthing folder with a manifest: published elsewhere, and any change here would be undone."""
    return synced_by_syncthing(folder) and (folder / MANIFEST).exists()


def _new_id(names: dict[str, str], taken: set[str]) -> str:
    base = unicodedata.normalize("NFKD", next(iter(names.values()), "")).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40] or "service"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _form_data(service_id: str, example: bool) -> dict:
    """The service as the form sent it, in the shape ``parse_service`` checks."""
    form = request.form
    texts = {key: {tag: form.get(f"{key}-{tag}", "") for tag in BY_TAG if form.get(f"{key}-{tag}", "").strip()}
             for key in ("name", "description", "hours")}
    return {"id": service_id, "example": example, "kinds": form.getlist("kinds"), **texts,
            "phone": form.get("phone", ""), "address": form.get("address", ""), "website": form.get("website", ""),
            "languages": form.getlist("languages")}


def _save(help_list: HelpList) -> None:
    """Write the list, publish the folder again if it is published, and serve it now."""
    folder = _folder()
    if _synced_from_elsewhere(folder):
        raise ReadOnlyFolder
    try:
        write_help(folder, help_list)
    except OSError as error:
        raise ReadOnlyFolder from error
    # Checked as `content publish` checks it; the start-up cache spares parsing every unchanged article.
    if (folder / MANIFEST).exists() and not load_library(
            folder, cache=StartupCache(current_app.instance_path)).error_count:
        publish(folder)
    content_updates(current_app).take_now()


def _editor(service: HelpService | None, values: dict | None = None, error: str | None = None, status: int = 200):
    help_list = get_library().help
    languages = [BY_TAG[help_list.source_language]] + [
        language for language in offered_languages() if language.tag != help_list.source_language]
    if values is None and service is not None:
        values = service.to_data()
    return render_staff_page(
        "staff/help_service.html", gettext("Change a help service") if service else gettext("Add a help service"),
        service=service, values=values or {}, error=error, languages=languages, kinds=KIND_NAMES,
        all_languages=LANGUAGES, limits=LIMITS, source_language=help_list.source_language), status


def _list_page(notice: str | None = None, error: str | None = None, status: int = 200):
    help_list = get_library().help
    return render_staff_page(
        "staff/help_list.html", gettext("Local help services"),
        services=shown(help_list, help_list.services, current_language()), help_list=help_list,
        read_only=_synced_from_elsewhere(_folder()), notice=notice, error=error,
        all_languages=[language for language in LANGUAGES if language.tag != help_list.source_language]), status


def _problem(error: ServiceError) -> str:
    """What is wrong, in the staff's language: the field, then the problem."""
    message = PROBLEMS.get(error.code)
    label = FIELD_NAMES.get(error.field.split(" ")[0], error.field)
    if message is None:
        return gettext("%(field)s: this cannot be saved.", field=label)
    problem = str(message) % {"language": language_display_name(get_library().help.source_language)}
    return pgettext("a form field, then what is wrong with it", "%(field)s: %(problem)s", field=label, problem=problem)


def _save_then_list(help_list: HelpList, refused=None):
    """Save ``help_list`` and send staff back to the list, which says so.

    When the folder cannot be written, ``refused(message, status)`` answers
    instead (by default the list, saying why).
    """
    try:
        _save(help_list)
    except ReadOnlyFolder:
        message = gettext("The list could not be saved: this kiosk's content comes from the publishing machine, "
                          "or its folder cannot be written. Change the list where the content is published.")
        return (refused or _refused_on_the_list)(message, 409)
    return redirect(url_for("staff.help_list", saved=1), code=303)


def _refused_on_the_list(message: str, status: int):
    return _list_page(error=message, status=status)


@bp.get("/help")
@staff_required
def help_list():
    """The local help services, with what staff can do to each."""
    return _list_page(notice=gettext("Saved.") if request.args.get("saved") else None)


@bp.route("/help/new", methods=["GET", "POST"])
@staff_required
def add_service():
    """A form for a new service; saved at the end of the list."""
    if request.method == "GET":
        return _editor(None)
    help_list = get_library().help
    values = _form_data("new", False)
    try:
        names = {tag: text for tag, text in values["name"].items()}
        values["id"] = _new_id(names, {service.id for service in help_list.services})
        service = parse_service(values, help_list.source_language)
    except ServiceError as error:
        return _editor(None, values, _problem(error), 400)
    return _save_then_list(replace(help_list, services=help_list.services + (service,)),
                           lambda message, status: _editor(None, values, message, status))


def _find(service_id: str) -> tuple[HelpList, int]:
    help_list = get_library().help
    for index, service in enumerate(help_list.services):
        if service.id == service_id:
            return help_list, index
    abort(404)


@bp.route("/help/<service_id>", methods=["GET", "POST"])
@staff_required
def change_service(service_id: str):
    """A form to change one service."""
    help_list, index = _find(service_id)
    current = help_list.services[index]
    if request.method == "GET":
        return _editor(current)
    # Saved by staff, a service is theirs: it is no longer the shipped example.
    values = _form_data(current.id, False)
    try:
        service = parse_service(values, help_list.source_language)
    except ServiceError as error:
        return _editor(current, values, _problem(error), 400)
    services = list(help_list.services)
    services[index] = service
    return _save_then_list(replace(help_list, services=tuple(services)),
                           lambda message, status: _editor(current, values, message, status))


@bp.post("/help/<service_id>/move")
@staff_required
def move_service(service_id: str):
    """Move a service one place up or down the list."""
    help_list, index = _find(service_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    services = list(help_list.services)
    other = index + step
    if 0 <= other < len(services):
        services[index], services[other] = services[other], services[index]
    return _save_then_list(replace(help_list, services=tuple(services)))


@bp.route("/help/<service_id>/remove", methods=["GET", "POST"])
@staff_required
def remove_service(service_id: str):
    """Ask, then remove a service from the list."""
    help_list, index = _find(service_id)
    if request.method == "GET":
        return render_staff_page("staff/help_remove.html", gettext("Remove a help service"),
                                 service=shown(help_list, [help_list.services[index]], current_language())[0])
    return _save_then_list(replace(help_list, services=help_list.services[:index] + help_list.services[index + 1:]))


@bp.post("/help/checked")
@staff_required
def checked_languages():
    """Record the languages whose text a fluent person has checked."""
    help_list = get_library().help
    chosen = [tag for tag in request.form.getlist("reviewed") if tag in BY_TAG]
    return _save_then_list(replace(help_list, reviewed=tuple(dict.fromkeys([help_list.source_language, *chosen]))))
