#!/usr/bin/env python3
"""Start the reading kiosk: serve it with waitress on this machine.

Every setting is listed by ``python run_kiosk.py --help``; each can also be set
with its ``KIOSK_*`` environment variable. There is no debug mode here, and no
access log: the server writes nothing about what patrons read.
"""

from __future__ import annotations

import argparse
import logging
import sys

from kiosk.settings import SETTINGS, SettingsError

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def build_parser() -> argparse.ArgumentParser:
    """The command line, generated from the declared settings."""
    parser = argparse.ArgumentParser(
        description="Serve the reading kiosk. Each option can also be set with the environment "
                    "variable shown; the command line wins.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for setting in SETTINGS:
        text = f"{setting.help} [env {setting.env}; default: {setting.default_text()}]"
        if setting.is_flag:
            parser.add_argument(setting.flag, dest=setting.name, action="store_const", const=True,
                                default=None, help=text)
        else:
            parser.add_argument(setting.flag, dest=setting.name, metavar=setting.metavar,
                                default=None, help=text)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the app and serve it until stopped."""
    arguments = vars(build_parser().parse_args(argv))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    from waitress import serve

    from kiosk import create_app
    from kiosk.content_loader import ContentFolderError

    try:
        app = create_app(arguments)
    except (SettingsError, ContentFolderError) as error:
        print(f"run_kiosk: {error}", file=sys.stderr)
        return 2
    host, port = app.config["KIOSK_HOST"], app.config["KIOSK_PORT"]
    print(f"Reading kiosk ready: open http://{host}:{port}/ in a browser.", flush=True)
    serve(app, host=host, port=port, threads=4, ident=None, clear_untrusted_proxy_headers=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
