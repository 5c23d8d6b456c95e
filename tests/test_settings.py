"""Settings are declared once; the command line, the environment and the README all follow that list."""

from __future__ import annotations

import copy
import pickle
import re
from pathlib import Path

import pytest

from kiosk.languages import BY_TAG, parse_language_list
from kiosk.settings import SETTINGS, SettingsError, load_settings, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_settings_table_matches_the_declared_settings():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- settings-table -->\n(.*?)\n<!-- /settings-table -->", text, re.S)
    assert block, "README.md needs the settings table between <!-- settings-table --> markers"
    assert block.group(1).strip() == markdown_table()


def test_defaults_are_safe():
    config = load_settings({})
    assert config["KIOSK_HOST"] == "127.0.0.1"
    assert config["KIOSK_PORT"] == 8080
    assert config["KIOSK_DEFAULT_LANGUAGE"] is BY_TAG["en"]
    assert config["KIOSK_NO_BROWSER"] is False


def test_command_line_beats_environment_beats_default():
    environ = {"KIOSK_PORT": "9000", "KIOSK_IDLE_SECONDS": "300"}
    config = load_settings(environ, {"port": "9100", "idle_seconds": None})
    assert config["KIOSK_PORT"] == 9100
    assert config["KIOSK_IDLE_SECONDS"] == 300


@pytest.mark.parametrize("overrides, message", [
    ({"port": "0"}, "--port"),
    ({"port": "eighty"}, "--port"),
    ({"idle_seconds": "-5"}, "--idle-seconds"),
    ({"idle_seconds": "999999"}, "--idle-seconds"),
    ({"warning_seconds": "abc"}, "--warning-seconds"),
    ({"default_language": "xx"}, "--default-language"),
    ({"languages": "en,klingon"}, "--languages"),
    ({"languages": ","}, "--languages"),
    ({"languages": "es,fr"}, "default language 'en' is not among the offered"),
    ({"idle_seconds": "60", "warning_seconds": "60"}, "warning must be shorter"),
    ({"no_browser": "perhaps"}, "--no-browser"),
])
def test_bad_values_are_refused_with_the_setting_named(overrides, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings({}, overrides)


def test_environment_errors_name_the_variable():
    with pytest.raises(SettingsError, match="KIOSK_PORT"):
        load_settings({"KIOSK_PORT": "http"})


def test_every_setting_has_help_and_a_kiosk_variable():
    for setting in SETTINGS:
        assert setting.help.strip().endswith(".")
        assert setting.env.startswith("KIOSK_")


def test_a_copied_language_is_the_registered_one_as_languages_are_compared_by_identity():
    arabic = BY_TAG["ar"]
    assert pickle.loads(pickle.dumps(arabic)) is arabic
    assert copy.deepcopy((arabic,)) == (arabic,) and copy.copy(arabic) is arabic
    assert parse_language_list("en,ar")[1] is arabic
