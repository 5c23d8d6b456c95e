"""Where to get help here: the local services staff keep (``help.yaml``), in the reader's language.

``/<lang>/help`` lists them all (``?kind=`` one kind only); an article whose
front matter names kinds of help lists the matching services at its end, and
its handout prints them (both as ``kiosk/local_help.py`` shows services). A phone number or website comes with a QR code drawn
on the kiosk, so a patron can take it away on their own phone without writing
it down where others see. Nothing here is a link a patron could follow off
the kiosk.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import gettext

from ..content.model import KINDS
from ..content.serving import get_library
from ..i18n import current_language
from ..layout import render_page
from ..local_help import KIND_NAMES, shown

bp = Blueprint("help", __name__)


@bp.get("/<lang>/help")
def help_page():
    """Every local service, or with ``?kind=`` those giving one kind of help."""
    help_list = get_library().help
    kind = request.args.get("kind")
    if kind is not None and kind not in KINDS:
        abort(404)
    language = current_language()
    services = help_list.for_kinds((kind,)) if kind else help_list.services
    present = [(known, KIND_NAMES[known]) for known in KINDS
               if any(known in service.kinds for service in help_list.services)]
    return render_page("patron/help.html", gettext("Where to get help here"), chosen=kind, kinds=present,
                       services=shown(help_list, services, language),
                       examples=any(service.example for service in help_list.services))

