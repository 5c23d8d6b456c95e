"""``flask --app kiosk staff ...``: the commands of whoever installs a kiosk."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .pin import PinFormatError, set_pin

staff_group = AppGroup("staff", help="Manage staff access.")


@staff_group.command("set-pin")
def staff_set_pin() -> None:
    """Set the staff PIN (4 to 12 digits; asked twice, never shown or stored in clear)."""
    pin = click.prompt("New staff PIN", hide_input=True, confirmation_prompt=True)
    try:
        set_pin(Path(current_app.instance_path), pin.strip())
    except PinFormatError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Staff PIN set (stored as a salted hash in {current_app.instance_path}).")


def init_app(app: Flask) -> None:
    """Register ``flask staff ...``."""
    app.cli.add_command(staff_group)
