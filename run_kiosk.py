#!/usr/bin/env python3
"""Start the reading kiosk from a checkout (``make run``); an installed kiosk runs ``reading-kiosk``.

Everything is in ``kiosk.deploy.command``; ``python run_kiosk.py --help`` lists every setting.
"""

import sys

from kiosk.deploy.command import run

if __name__ == "__main__":
    sys.exit(run())
