"""Installing and running a kiosk: the command, the full-screen browser, lock-down files, readiness."""
