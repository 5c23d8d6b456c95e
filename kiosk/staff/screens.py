"""The staff screens: unlock with the PIN, see content health, print in bulk, change settings.

Nothing here can show what patrons read or searched: the kiosk keeps no such record.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from babel.numbers import format_percent
from babel.units import format_unit
from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..content.serving import content_holder, current_content, get_library
from ..content.status import status_report
from ..fleet_health.health import KioskHealth, health_watch
from ..fleet_health.syncthing import CONFIG_UNREADABLE, FOLDER_NOT_SHARED, NOT_ANSWERING, SyncthingState
from ..handouts.handout import handout_pdf_bytes
from ..handouts.printing import PrintError, combine, default_printer, send_to_printer
from ..i18n import current_language, default_language, offered_languages
from ..languages import LANGUAGES, find_language
from ..layout import render_page
from ..patron.session import end_patron_session
from ..settings import SettingsError, SettingsNotKept, save_staff_settings
from .pin import pin_is_set
from .sessions import COOKIE, current_staff, render_staff_page, staff_required, staff_sessions

bp = Blueprint("staff", __name__, url_prefix="/staff")

MAX_COPIES = 50
MAX_DOCUMENTS = 60
MAX_PIN_INPUT = 64
NOTICES = {"saved": _l("Settings saved."),
           "not-kept": _l("Settings applied until the kiosk restarts: its folder cannot be written. "
                          "Please tell whoever looks after the kiosk.")}
PRINTER_STATES = {
    "idle": _l("Printer %(printer)s: ready."),
    "processing": _l("Printer %(printer)s: printing."),
    "stopped": _l("Printer %(printer)s: stopped. Handouts cannot be printed until it is started again."),
}
PRINTER_REASONS = {
    "media-empty": _l("Out of paper."),
    "media-needed": _l("Out of paper."),
    "media-low": _l("Paper is running low."),
    "media-jam": _l("Paper is stuck in the printer."),
    "door-open": _l("A door or cover of the printer is open."),
    "cover-open": _l("A door or cover of the printer is open."),
    "marker-supply-empty": _l("Ink or toner has run out."),
    "toner-empty": _l("Ink or toner has run out."),
    "marker-supply-low": _l("Ink or toner is running low."),
    "toner-low": _l("Ink or toner is running low."),
    "offline": _l("The printer is switched off or not connected."),
    "paused": _l("The print system has paused the printer."),
}
SYNCTHING_PROBLEMS = {
    CONFIG_UNREADABLE: _l("The kiosk cannot read Syncthing's settings, so it cannot tell how syncing goes. "
                          "Please tell whoever looks after the kiosk."),
    NOT_ANSWERING: _l("Syncthing is not answering on this computer, so new content cannot arrive. "
                      "Please tell whoever looks after the kiosk."),
    FOLDER_NOT_SHARED: _l("Syncthing on this computer does not share the content folder, so new content cannot "
                          "arrive. Please tell whoever looks after the kiosk."),
}
NEARLY_FULL = 0.1
"""Below this share of free space the staff screen says the disk is nearly full (as the fleet's alert does)."""


@bp.get("/")
@staff_required
def dashboard():
    """Content health, bulk printing and settings, on one screen."""
    return _dashboard(notice=NOTICES.get(request.args.get("notice", "")))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The PIN screen. Wrong PINs lock it for longer and longer, across restarts."""
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(url_for("staff.dashboard"))
        return _login_form()
    if not pin_is_set(current_app.instance_path):
        return _login_form(status=403)
    if not staff_sessions().use_nonce(request.form.get("nonce")):
        return _login_form(gettext("That form had expired. Please enter the PIN again."), 400)
    attempt = current_app.extensions["kiosk_pin_gate"].try_pin(request.form.get("pin", "")[:MAX_PIN_INPUT])
    if not attempt.checked:
        return _login_form(_locked_message(attempt.wait_seconds), 429)
    if attempt.accepted:
        session = staff_sessions().start()
        response = redirect(url_for("staff.dashboard"), code=303)
        response.set_cookie(COOKIE, session.token, path="/staff", httponly=True, samesite="Strict")
        return response
    message = gettext("That PIN is not right.")
    if attempt.wait_seconds:
        message += " " + _locked_message(attempt.wait_seconds)
    return _login_form(message, 403)


@bp.post("/print")
@staff_required
def print_handouts():
    """Print the chosen articles in the chosen languages, or open them as one PDF."""
    library = get_library()
    slugs = request.form.getlist("articles")
    tags = request.form.getlist("languages")
    copies_text = request.form.get("copies", "").strip()
    if not slugs or not tags:
        return _dashboard(error=gettext("Choose at least one article and one language."), status=400)
    offered = {language.tag: language for language in offered_languages()}
    if any(slug not in library.articles for slug in slugs) or any(tag not in offered for tag in tags):
        return _dashboard(error=gettext("That article or language is not in this kiosk."), status=400)
    if not (copies_text.isascii() and copies_text.isdigit()) or not 1 <= int(copies_text) <= MAX_COPIES:
        return _dashboard(error=gettext("Copies must be a number from 1 to %(most)s.", most=MAX_COPIES),
                          status=400)
    if len(slugs) * len(tags) > MAX_DOCUMENTS:
        return _dashboard(error=gettext("Please choose at most %(most)s handouts at a time.",
                                        most=MAX_DOCUMENTS), status=400)
    documents = [handout_pdf_bytes(library.articles[slug], offered[tag]) for slug in slugs for tag in tags]
    pdf, pages = combine(documents)
    copies = int(copies_text)
    if request.form.get("action") == "print" and default_printer():
        try:
            send_to_printer(pdf, copies)
        except PrintError as error:
            current_app.logger.warning("staff bulk print failed: %s", error)
            return _dashboard(error=gettext("The printer did not accept the job: %(reason)s", reason=str(error)),
                              status=502)
        return _dashboard(notice=ngettext("Sent %(num)s page to the printer.", "Sent %(num)s pages to the printer.",
                                          pages * copies))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="handouts.pdf"'})


@bp.post("/settings")
@staff_required
def save_settings():
    """Save the offered languages, the welcome page's language, the idle time and read-aloud."""
    values = {
        "languages": ",".join(request.form.getlist("languages")),
        "default_language": request.form.get("default_language", ""),
        "idle_seconds": request.form.get("idle_seconds", "").strip(),
        "read_aloud": "on" if request.form.get("read_aloud") == "on" else "off",
        "usage_figures": "on" if request.form.get("usage_figures") == "on" else "off",
    }
    try:
        save_staff_settings(current_app._get_current_object(), values)
    except SettingsError as error:
        current_app.logger.info("staff settings refused: %s", error)
        return _dashboard(error=gettext("Those settings were not saved: %(reason)s",
                                        reason=_settings_reason(values)), status=400)
    except SettingsNotKept as error:
        current_app.logger.warning("staff settings applied but not kept: %s", error)
        return redirect(url_for("staff.dashboard", notice="not-kept"), code=303)
    return redirect(url_for("staff.dashboard", notice="saved"), code=303)


@bp.post("/leave")
@staff_required
def leave():
    """End the staff session and return the screen to patrons, as a patron reset does."""
    return end_patron_session()


def _taken_at(moment: datetime) -> str:
    """When a content version was taken, in this kiosk's own time zone and the staff's language."""
    local = moment.astimezone()
    return format_datetime(local, "medium", tzinfo=local.tzinfo, locale=current_language().locale)


def _size(size: int) -> str:
    return format_unit(size / 1e9, "digital-gigabyte", length="short", format="#,##0.0",
                       locale=current_language().locale)


def _health_words(health: KioskHealth) -> dict:
    """This kiosk's health in words for staff: the printer, content, disk and what is missing."""
    printer = health.printer
    words = {"published_at": _taken_at(health.content_published_at) if health.content_published_at else None,
             "disk": gettext("Free disk space: %(free)s of %(size)s.", free=_size(health.disk_free_bytes),
                             size=_size(health.disk_size_bytes)),
             "disk_nearly_full": health.disk_free_bytes < NEARLY_FULL * health.disk_size_bytes,
             "printer": None, "printer_reasons": [], "supplies": []}
    if health.printer_name and printer is None:
        words["printer"] = gettext("The state of the printer %(printer)s cannot be read.", printer=health.printer_name)
    elif printer is not None:
        state = PRINTER_STATES.get(printer.state, PRINTER_STATES["stopped"])
        words["printer"] = str(state) % {"printer": printer.name}
        words["printer_reasons"] = list(dict.fromkeys(
            str(PRINTER_REASONS[reason]) if reason in PRINTER_REASONS
            else gettext("The printer reports: %(reason)s", reason=reason) for reason in printer.reasons))
        words["supplies"] = [gettext("%(supply)s: %(level)s left.", supply=supply,
                                     level=format_percent(level, locale=current_language().locale))
                             for supply, level in printer.supplies]
    missing = []
    for item in health.readiness:
        if item.result.ok:
            continue
        if item.check == "fonts":
            missing.append(gettext("Fonts for %(language)s are missing.",
                                   language=find_language(item.language).native_name))
        elif item.check == "speech":
            missing.append(gettext("The speech engine is missing, so Listen is not offered."))
        else:
            missing.append(gettext("Some interface translations are not compiled."))
    words["missing"] = missing
    words["sync"] = _sync_words(health.syncthing)
    return words


def _sync_words(sync: SyncthingState | None) -> list[str]:
    """What the kiosk's Syncthing says of the content folder, in sentences for staff (none if it is not asked)."""
    if sync is None:
        return []
    if sync.problem is not None:
        return [str(SYNCTHING_PROBLEMS[sync.problem])]
    if sync.complete:
        if sync.peer_connected:
            return [gettext("Syncthing is up to date with the publishing computer, which is connected now.")]
        if sync.last_synced_at is not None:
            return [gettext("Syncthing was up to date with the publishing computer when they were last "
                            "connected: %(when)s.", when=_taken_at(sync.last_synced_at))]
        return [gettext("Syncthing has never been connected to the publishing computer.")]
    if sync.pull_errors:
        words = [ngettext("Syncthing could not bring %(num)s file. Please tell whoever looks after the kiosk.",
                          "Syncthing could not bring %(num)s files. Please tell whoever looks after the kiosk.",
                          sync.pull_errors)]
    elif sync.need_files:
        words = [ngettext("Syncthing is bringing new content: %(num)s file still to arrive.",
                          "Syncthing is bringing new content: %(num)s files still to arrive.", sync.need_files)]
    else:
        words = [gettext("Syncthing reports a problem with the content folder. "
                         "Please tell whoever looks after the kiosk.")]
    if sync.last_synced_at is not None:
        words.append(gettext("Last complete sync: %(when)s.", when=_taken_at(sync.last_synced_at)))
    else:
        words.append(gettext("No complete sync since the kiosk started."))
    return words


def _dashboard(notice=None, error=None, status: int = 200):
    content = current_content()
    library = content.library
    languages = [language.tag for language in offered_languages()]
    health = health_watch(current_app._get_current_object()).current()
    return render_staff_page(
        "staff/dashboard.html", gettext("Staff screens"),
        report=status_report(library, languages), problems=library.problems, printer=default_printer(),
        articles=sorted(library.articles.values(), key=lambda a: a.source.title.casefold()),
        all_languages=LANGUAGES, default_language=default_language(), max_copies=MAX_COPIES,
        voices=[language.native_name for language in offered_languages()
                if language.tag in current_app.extensions["kiosk_voices"]],
        content=content, taken_at=_taken_at(content.taken_at), waiting=content_holder().waiting,
        health=health, health_words=_health_words(health),
        help_count=len(library.help.services), help_examples=any(s.example for s in library.help.services),
        notice=notice, error=error), status


def _login_form(error: str | None = None, status: int = 200):
    return render_page("staff/login.html", gettext("Staff screens"), kind="staff-locked", error=error,
                       nonce=staff_sessions().issue_nonce(), pin_set=pin_is_set(current_app.instance_path)), status


def _locked_message(seconds: int) -> str:
    return ngettext("Too many wrong tries: please wait %(num)s second.",
                    "Too many wrong tries: please wait %(num)s seconds.", seconds)


def _settings_reason(values: dict) -> str:
    if not values["languages"]:
        return gettext("choose at least one language.")
    known = {language.tag for language in LANGUAGES}
    if any(tag not in known for tag in values["languages"].split(",")) or values["default_language"] not in known:
        return gettext("that language is not known to this kiosk.")
    if values["default_language"] not in values["languages"].split(","):
        return gettext("the welcome page's language must be one of the languages offered.")
    return gettext("the idle time must be a number of seconds from 30 to 3600, longer than the warning.")
