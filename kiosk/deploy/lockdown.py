"""Lock-down files for the people who install a kiosk: browser policy, systemd unit, CUPS settings.

``deploy/`` holds them for a standard install (kiosk in /opt/reading-kiosk,
listening on 127.0.0.1:8080); ``reading-kiosk --print-...`` prints them for
this kiosk's own address and folders. A test keeps the two in step.
"""

from __future__ import annotations

import json
from pathlib import Path

STANDARD_ROOT = Path("/opt/reading-kiosk")
STANDARD_ORIGIN = "http://127.0.0.1:8080"

CUPS_SNIPPET = """\
# Reading kiosk: keep no trace of print jobs (add to /etc/cups/cupsd.conf, then restart cups).
# Finished jobs are forgotten at once: `lpstat -W completed` lists nothing,
# and no copy of a printed document stays in /var/spool/cups.
PreserveJobHistory No
PreserveJobFiles No
"""


def browser_policy(origin: str) -> dict:
    """Chromium's managed policy for a kiosk that may show ``origin`` and nothing else.

    Install as /etc/chromium/policies/managed/reading-kiosk.json (Chromium) or
    /etc/opt/chrome/policies/managed/reading-kiosk.json (Chrome).
    """
    return {
        "URLBlocklist": ["*"],
        "URLAllowlist": [origin],
        "DeveloperToolsAvailability": 2,
        "DownloadRestrictions": 3,
        "SavingBrowserHistoryDisabled": True,
        "ForceEphemeralProfiles": True,
        "IncognitoModeAvailability": 2,
        "BrowserSignin": 0,
        "SyncDisabled": True,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
        "PasswordManagerEnabled": False,
        "AutofillAddressEnabled": False,
        "AutofillCreditCardEnabled": False,
        "TranslateEnabled": False,
        "SpellCheckServiceEnabled": False,
        "SearchSuggestEnabled": False,
        "MetricsReportingEnabled": False,
        "SafeBrowsingProtectionLevel": 0,
        "BackgroundModeEnabled": False,
        "DefaultNotificationsSetting": 2,
        "DefaultGeolocationSetting": 2,
        "AudioCaptureAllowed": False,
        "VideoCaptureAllowed": False,
        "PrintingEnabled": True,
        "PrintPreviewUseSystemDefaultPrinter": True,
        "DefaultPrinterSelection": json.dumps({"kind": "local", "idPattern": ".*"}),
        "HomepageLocation": origin + "/",
        "RestoreOnStartup": 4,
        "RestoreOnStartupURLs": [origin + "/"],
        "AllowDinosaurEasterEgg": False,
    }


def browser_policy_json(origin: str) -> str:
    """The policy as the JSON file Chromium reads."""
    return json.dumps(browser_policy(origin), indent=2) + "\n"


def systemd_unit(working_folder: Path | str, program: str, user: str = "kiosk") -> str:
    """A systemd unit that starts the kiosk with the graphical session and keeps it running.

    Settings for one kiosk go in ``/etc/reading-kiosk.env`` as ``KIOSK_*`` lines.
    """
    from .command import MALLOC_ARENAS, SCRUBBING_ALLOCATOR  # the command prints this unit: imported when asked

    return f"""\
# Reading kiosk: install as /etc/systemd/system/reading-kiosk.service, then
#   systemctl daemon-reload && systemctl enable --now reading-kiosk
[Unit]
Description=Reading kiosk (server and full-screen browser)
After=graphical.target cups.service
Wants=cups.service

[Service]
User={user}
WorkingDirectory={working_folder}
Environment=DISPLAY=:0
# The allocator that clears what is freed, and few memory pools, from the first instruction: without them
# the program starts itself again with them, a Python start and an import more at every restart.
Environment=PYTHONMALLOC={SCRUBBING_ALLOCATOR} MALLOC_ARENA_MAX={MALLOC_ARENAS}
EnvironmentFile=-/etc/reading-kiosk.env
ExecStart={program}
Restart=always
RestartSec=3
# The kiosk writes no access log; only start-up and content warnings reach the journal.

[Install]
WantedBy=graphical.target
"""


def standard_files() -> dict[str, str]:
    """The contents of ``deploy/``, by file name."""
    return {
        "chromium-policy.json": browser_policy_json(STANDARD_ORIGIN),
        "reading-kiosk.service": systemd_unit(STANDARD_ROOT, f"{STANDARD_ROOT}/.venv/bin/reading-kiosk"),
        "cupsd-privacy.conf": CUPS_SNIPPET,
    }
