"""``reading-kiosk`` (and ``run_kiosk.py``): serve the kiosk with waitress and show it full screen.

Every setting is listed by ``reading-kiosk --help``; each can also be set with
its ``KIOSK_*`` environment variable. There is no debug mode here, and no
access log: the server writes nothing about what patrons read.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from ..settings import SETTINGS, SettingsError

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
PROGRAM = "reading-kiosk"
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
"""Ctrl+C and what systemd sends: either ends in the same clean stop."""
ACTIONS = {
    "check": "Check this machine is ready (browser, fonts, printer, content, PIN, address) and exit.",
    "print_browser_policy": "Print the Chromium managed policy for this kiosk's address and exit.",
    "print_systemd_unit": "Print a systemd unit that keeps this kiosk running and exit.",
    "print_cups_config": "Print the CUPS settings that keep no print-job history and exit.",
}


def build_parser() -> argparse.ArgumentParser:
    """The command line, generated from the declared settings."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Serve the reading kiosk and show it full screen. Each option can also be set "
                    "with the environment variable shown; the command line wins.",
    )
    for setting in SETTINGS:
        text = f"{setting.help} [env {setting.env}; default: {setting.default_text()}]"
        if setting.is_flag:
            parser.add_argument(setting.flag, dest=setting.name, action="store_const", const=True,
                                default=None, help=text)
        else:
            parser.add_argument(setting.flag, dest=setting.name, metavar=setting.metavar,
                                default=None, help=text)
    actions = parser.add_argument_group("instead of serving")
    for name, text in ACTIONS.items():
        actions.add_argument("--" + name.replace("_", "-"), dest=name, action="store_true", help=text)
    return parser


SCRUBBING_ALLOCATOR = "pymalloc_debug"
"""Python's allocator with its debug hooks, which overwrite every block as it is freed.

Without them a freed string (a search's words in an address or a page) stays in
memory until something else is written there; with them it is gone when freed.
It costs about a tenth more memory and time (see the README's privacy section)."""
MALLOC_ARENAS = "2"
"""The C library's memory pools for the process's threads (``MALLOC_ARENA_MAX``): by default up to eight a
core, each keeping what its threads gave back; with two, a 10,000-article library's kiosk kept 2 to 5 MiB
less after its searches, at no cost measured (the README's library at scale)."""


def run() -> int:
    """The program (``reading-kiosk``, ``run_kiosk.py``): ``main`` under the scrubbing allocator, with few pools.

    The allocator and the C library's pools are chosen as the process starts, so it first
    replaces itself (same process id, same command line) with one started with them.
    """
    if os.environ.get("PYTHONMALLOC") != SCRUBBING_ALLOCATOR:
        os.environ["PYTHONMALLOC"] = SCRUBBING_ALLOCATOR
        os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)  # an operator's own choice stands
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    return main()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then serve (or run one of the actions)."""
    arguments = vars(build_parser().parse_args(argv))
    chosen = {name for name in ACTIONS if arguments.pop(name)}
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

    from .. import create_app
    from ..catalogs import CatalogError
    from ..content.loader import ContentFolderError

    try:
        app = create_app(arguments)
    except (SettingsError, ContentFolderError, CatalogError) as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return 2
    if chosen:
        return run_actions(app, chosen)
    return serve(app)


def run_actions(app, chosen: set[str]) -> int:
    """Print lock-down files or the readiness check."""
    from .lockdown import CUPS_SNIPPET, browser_policy_json, systemd_unit
    from .readiness import run_checks

    origin = f"http://{app.config['KIOSK_HOST']}:{app.config['KIOSK_PORT']}"
    if "print_browser_policy" in chosen:
        print(browser_policy_json(origin), end="")
    if "print_systemd_unit" in chosen:
        program = os.path.join(os.path.dirname(sys.executable), PROGRAM)
        print(systemd_unit(os.getcwd(), program, os.environ.get("USER", "kiosk")), end="")
    if "print_cups_config" in chosen:
        print(CUPS_SNIPPET, end="")
    if "check" in chosen:
        checks = run_checks(app)
        for check in checks:
            print(check)
        return 1 if any(not check.ok and check.essential for check in checks) else 0
    return 0


def serve(app) -> int:
    """Serve until Ctrl+C or SIGTERM; start and watch the browser when there is a display."""
    from ..staff.pin import pin_is_set
    from ..usage.recorder import usage_recorder
    from .launcher import BrowserSupervisor, display_available, find_browser
    from .readiness import listening_problem

    config = app.config
    host, port = config["KIOSK_HOST"], config["KIOSK_PORT"]
    problem = listening_problem(host, config["KIOSK_ALLOW_REMOTE"], pin_is_set(app.instance_path))
    if problem:
        print(f"{PROGRAM}: {problem}", file=sys.stderr)
        return 2
    server = make_server(app, host, port)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{server.effective_port}/"
    browser = find_browser()
    supervisor = None
    if not config["KIOSK_NO_BROWSER"] and browser and display_available():
        supervisor = BrowserSupervisor(browser, url, log=lambda line: print(f"{PROGRAM}: {line}", flush=True))

    def stop(signum, frame):
        raise KeyboardInterrupt

    # Ctrl+C and SIGTERM both stop the kiosk, even when it was started with them ignored or held
    # (a script's background job starts with SIGINT ignored, and Python then leaves it so).
    for asked in STOP_SIGNALS:
        signal.signal(asked, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    # From here on Ctrl+C or SIGTERM, however early, ends in the same clean stop.
    try:
        print(ready_line(url, browser, supervisor is not None, config["KIOSK_NO_BROWSER"]), flush=True)
        if supervisor:
            supervisor.start()
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if supervisor:
            supervisor.stop()
        server.close()
        # The day so far, released with noise, so that a clean restart loses no counts.
        usage_recorder(app).release()
    print("Reading kiosk stopped.", flush=True)
    return 0


# waitress moves a response larger than ``outbuf_overflow`` (1 MiB by default) out of memory into
# a temporary file, and a request body larger than ``inbuf_overflow``: a read-aloud part or a
# handout would then touch the disk. Buffers stay in memory instead; ``outbuf_high_watermark``
# still makes a response wait for a slow browser, so what one connection holds stays bounded.
NEVER_TO_DISK = 2 ** 40
LARGEST_REQUEST_BODY = 1024 * 1024
"""Staff forms and resets are a few kilobytes; anything bigger is refused (413), never buffered."""
WAITRESS_OPTIONS = {
    "threads": 4,
    "ident": None,
    "clear_untrusted_proxy_headers": True,
    "outbuf_overflow": NEVER_TO_DISK,
    "outbuf_high_watermark": 16 * 1024 * 1024,
    "inbuf_overflow": NEVER_TO_DISK,
    "max_request_body_size": LARGEST_REQUEST_BODY,
}


def make_server(app, host: str, port: int):
    """A waitress server for ``app`` that writes nothing to disk and no access log."""
    from waitress.server import create_server

    return create_server(app, host=host, port=port, **WAITRESS_OPTIONS)


def ready_line(url: str, browser: str | None, showing: bool, no_browser: bool) -> str:
    """The line that says the kiosk serves, and where to see it."""
    if no_browser:
        return f"Reading kiosk ready: open {url} in a browser."
    if showing:
        return f"Reading kiosk ready at {url}, shown full screen in {browser}."
    reason = "no display" if browser else "no Chromium or Chrome found"
    return f"Reading kiosk ready ({reason}): open {url} in a browser."
