"""Lock-down files: the browser policy, the systemd unit and the CUPS settings, as shipped and as printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.lockdown import CUPS_SNIPPET, browser_policy, standard_files

from .conftest import ROOT

pytestmark = pytest.mark.usefixtures("own_instance")


def test_deploy_folder_matches_what_the_code_generates():
    for name, text in standard_files().items():
        assert (ROOT / "deploy" / name).read_text(encoding="utf-8") == text, name


def test_browser_policy_locks_the_browser_to_the_kiosk():
    policy = browser_policy("http://127.0.0.1:8080")
    assert policy["URLBlocklist"] == ["*"]
    assert policy["URLAllowlist"] == ["http://127.0.0.1:8080"]
    assert policy["DeveloperToolsAvailability"] == 2  # no developer tools
    assert policy["DownloadRestrictions"] == 3  # no downloads
    assert policy["SavingBrowserHistoryDisabled"] is True
    assert policy["BrowserSignin"] == 0 and policy["SyncDisabled"] is True
    assert policy["PasswordManagerEnabled"] is False
    assert policy["AutofillAddressEnabled"] is False and policy["AutofillCreditCardEnabled"] is False
    assert policy["TranslateEnabled"] is False
    assert policy["PrintPreviewUseSystemDefaultPrinter"] is True
    assert json.loads(policy["DefaultPrinterSelection"])["kind"] == "local"


def test_print_browser_policy_uses_this_kiosks_address():
    result = subprocess.run([sys.executable, "run_kiosk.py", "--port", "9123", "--print-browser-policy"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["URLAllowlist"] == ["http://127.0.0.1:9123"]


@pytest.mark.parametrize("flag, expected", [
    ("--print-systemd-unit", "Restart=always"),
    ("--print-cups-config", "PreserveJobHistory No"),
])
def test_other_lockdown_files_are_printed(flag, expected):
    result = subprocess.run([sys.executable, "run_kiosk.py", flag], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert expected in result.stdout
    if flag == "--print-systemd-unit":
        assert f"ExecStart={Path(sys.executable).parent / 'reading-kiosk'}\n" in result.stdout
        assert f"WorkingDirectory={ROOT}\n" in result.stdout


def test_cups_snippet_keeps_no_jobs_or_files():
    lines = [line for line in CUPS_SNIPPET.splitlines() if line and not line.startswith("#")]
    assert lines == ["PreserveJobHistory No", "PreserveJobFiles No"]
