"""The Ansible playbook in deploy/ansible/ that sets up kiosks from one controller.

With Debian's ansible-core (skipped where ``ansible-playbook`` is missing, and a
failure instead when CI is "true"), these tests check that:

- the playbook passes ``--syntax-check`` with the example inventory, which lists
  two kiosks with languages and idle times of their own;
- a ``--check --diff`` run against this machine succeeds, shows the settings file
  and the receive-only Syncthing folder it would write, and changes nothing;
- a mistake in the inventory (a default language that is not offered, an idle
  time that is too short, an unknown paper size, the example's placeholder
  publisher ID) stops the run at its first task, with a message naming the setting;
- the systemd unit template, with the playbook's defaults, renders to
  deploy/reading-kiosk.service exactly, so the two cannot drift apart.

Ansible's own state (temporary files, its home folder) goes to the test's
temporary folder, never to ~/.ansible.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANSIBLE_DIR = ROOT / "deploy" / "ansible"
PLAYBOOK = ANSIBLE_DIR / "site.yml"
MONITORING_PLAYBOOK = ANSIBLE_DIR / "monitoring.yml"
EXAMPLE_INVENTORY = ANSIBLE_DIR / "inventory.example.ini"
DEFAULTS = ANSIBLE_DIR / "roles" / "kiosk" / "defaults" / "main.yml"
HOST_PYTHON = "/usr/bin/python3"

# Shaped like a Syncthing device ID; it belongs to no machine and is only written into a preview.
TEST_PUBLISHER_ID = "MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYC-YLTMRWA"

# What a check-mode run must leave exactly as it found it.
WATCHED_PATHS = (
    Path("/etc/reading-kiosk.env"),
    Path("/etc/systemd/system/reading-kiosk.service"),
    Path("/etc/chromium/policies/managed/reading-kiosk.json"),
    Path("/etc/cups/cupsd.conf"),
    Path("/etc/default/prometheus-node-exporter"),
    Path("/opt/reading-kiosk"),
    Path("/var/lib/reading-kiosk"),
    Path("/etc/prometheus/prometheus.yml"),
    Path("/etc/prometheus/alerts.yml"),
    Path("/etc/prometheus/kiosks"),
)


def ansible_tool(name: str) -> str:
    """The path of Ansible's command ``name``; skip (or, when CI is "true", fail) if it is missing."""
    found = shutil.which(name)
    if found:
        return found
    reason = f"{name} is not installed (Debian: apt-get install ansible-core)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def ansible_env(tmp_path: Path) -> dict[str, str]:
    """The environment for one Ansible run: plain output, and all of Ansible's state under ``tmp_path``."""
    state = tmp_path / "ansible-state"
    for name in ("home", "local-tmp", "remote-tmp"):
        (state / name).mkdir(parents=True, exist_ok=True)
    config = state / "ansible.cfg"
    config.write_text("# empty: Ansible's built-in settings, whatever the working or home folder holds\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({
        "ANSIBLE_HOME": str(state / "home"),
        "ANSIBLE_LOCAL_TEMP": str(state / "local-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(state / "remote-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_CONFIG": str(config),
    })
    return env


def run_ansible(argv: list[str], tmp_path: Path, timeout: int = 300,
                merge_stderr: bool = True) -> subprocess.CompletedProcess:
    """Run an Ansible command from the repository's root (stderr into ``.stdout`` unless ``merge_stderr`` is off)."""
    return subprocess.run(argv, cwd=ROOT, env=ansible_env(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, text=True, timeout=timeout)


def local_inventory(tmp_path: Path, **settings: str) -> Path:
    """An inventory whose one kiosk is this machine (local connection), with test settings.

    ``settings`` replace or add ``[kiosks:vars]`` entries (values as written in an INI inventory).
    """
    wheel = tmp_path / "reading_kiosk-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a real wheel: a check-mode run only compares it\n")
    values = {
        "kiosk_wheel": str(wheel),
        "kiosk_languages": '["en", "ar"]',
        "kiosk_default_language": "ar",
        "kiosk_idle_seconds": "240",
        "kiosk_read_aloud": "off",
        "kiosk_paper_size": "letter",
        "publisher_device_id": TEST_PUBLISHER_ID,
        # TEST-NET-1: an address that no machine has; nothing is started, so nothing dials it.
        "publisher_address": "tcp://192.0.2.10:22000",
        "syncthing_api_key": "test-api-key-0123456789",
    }
    values.update(settings)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[kiosks]\n"
        f"localhost ansible_connection=local ansible_python_interpreter={HOST_PYTHON}\n\n"
        "[kiosks:vars]\n" + "".join(f"{key}={value}\n" for key, value in values.items()))
    return inventory


def machine_state() -> dict[str, object]:
    """What a check-mode run must not change: the watched paths (a digest for files) and the kiosk user."""
    state: dict[str, object] = {}
    for path in WATCHED_PATHS:
        if path.is_file():
            state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[str(path)] = "folder" if path.is_dir() else None
    try:
        state["user kiosk"] = tuple(pwd.getpwnam("kiosk"))
    except KeyError:
        state["user kiosk"] = None
    return state


def test_syntax_check_with_the_example_inventory(tmp_path):
    playbook = ansible_tool("ansible-playbook")
    result = run_ansible([playbook, "--syntax-check", "-i", str(EXAMPLE_INVENTORY.relative_to(ROOT)),
                          str(PLAYBOOK.relative_to(ROOT))], tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout


def test_the_monitoring_playbook_passes_its_syntax_check_with_the_example_inventory(tmp_path):
    playbook = ansible_tool("ansible-playbook")
    result = run_ansible([playbook, "--syntax-check", "-i", str(EXAMPLE_INVENTORY.relative_to(ROOT)),
                          str(MONITORING_PLAYBOOK.relative_to(ROOT))], tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout


def check_mode_playbook(becomes_root_on: str) -> str:
    """ansible-playbook, if this machine can make a check-mode run (as root, with python3-apt); else skip."""
    playbook = ansible_tool("ansible-playbook")
    if os.geteuid() != 0:
        pytest.skip(f"the check-mode run is made as root (the playbook becomes root on {becomes_root_on})")
    if subprocess.run([HOST_PYTHON, "-c", "import apt"], capture_output=True).returncode != 0:
        reason = "python3-apt is missing: ansible.builtin.apt needs it in check mode"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return playbook


def test_the_monitoring_check_mode_run_lists_every_kiosk_of_the_inventory_and_changes_nothing(tmp_path):
    playbook = check_mode_playbook("the monitoring machine")
    inventory = tmp_path / "inventory.ini"
    # TEST-NET-1 addresses: no machine has them, and a check-mode run of this playbook reaches no kiosk.
    inventory.write_text("[kiosks]\nclinic-lobby ansible_host=192.0.2.21\nlibrary-2f ansible_host=192.0.2.22\n\n"
                         f"[monitoring]\nlocalhost ansible_connection=local ansible_python_interpreter={HOST_PYTHON}\n")
    before = machine_state()
    result = run_ansible([playbook, "-i", str(inventory), str(MONITORING_PLAYBOOK), "--check", "--diff"], tmp_path)
    output = result.stdout
    assert result.returncode == 0, output
    assert re.search(r"^localhost\s+:.*\bfailed=0\b", output, re.M), output
    assert machine_state() == before, "a check-mode run changed the machine"
    for name, address in (("clinic-lobby", "192.0.2.21"), ("library-2f", "192.0.2.22")):
        assert re.search(rf'^\+- targets: \["{re.escape(address)}:9100"\]\n\+  labels:\n\+    kiosk: "{name}"$',
                         output, re.M), output


def test_example_inventory_has_two_kiosks_with_their_own_settings(tmp_path):
    inventory = ansible_tool("ansible-inventory")
    result = run_ansible([inventory, "-i", str(EXAMPLE_INVENTORY), "--playbook-dir", str(ANSIBLE_DIR),
                          "--list"], tmp_path, timeout=120, merge_stderr=False)
    assert result.returncode == 0, result.stdout + result.stderr
    listing = json.loads(result.stdout)
    kiosks = listing["kiosks"]["hosts"]
    assert len(kiosks) == 2, kiosks
    hostvars = listing["_meta"]["hostvars"]
    first, second = (hostvars[name] for name in kiosks)
    assert first["kiosk_languages"] != second["kiosk_languages"]
    assert first["kiosk_idle_seconds"] != second["kiosk_idle_seconds"]
    for kiosk in (first, second):
        assert kiosk["kiosk_default_language"] in kiosk["kiosk_languages"]
        assert kiosk["publisher_address"].startswith("tcp://")


def test_check_mode_run_previews_everything_and_changes_nothing(tmp_path):
    playbook = check_mode_playbook("each kiosk")
    inventory = local_inventory(tmp_path)
    before = machine_state()
    result = run_ansible([playbook, "-i", str(inventory), str(PLAYBOOK), "--check", "--diff"], tmp_path)
    after = machine_state()
    output = result.stdout
    assert result.returncode == 0, output
    assert re.search(r"^localhost\s+:.*\bfailed=0\b", output, re.M), output
    assert after == before, "a check-mode run changed the machine"
    if before["/etc/reading-kiosk.env"] is None:
        assert not Path("/etc/reading-kiosk.env").exists()
    # The settings file, from the inventory's values.
    for line in ("KIOSK_LANGUAGES=en,ar", "KIOSK_DEFAULT_LANGUAGE=ar", "KIOSK_IDLE_SECONDS=240",
                 "KIOSK_READ_ALOUD=off", "KIOSK_PAPER_SIZE=letter",
                 "KIOSK_CONTENT=/var/lib/reading-kiosk/content",
                 "KIOSK_INSTANCE=/var/lib/reading-kiosk/instance", "KIOSK_CONTENT_POLL_SECONDS=3",
                 "KIOSK_METRICS_FOLDER=/var/lib/reading-kiosk/metrics",
                 "KIOSK_SYNCTHING_CONFIG=/home/kiosk/.config/syncthing/config.xml"):
        assert re.search(rf"^\+{re.escape(line)}$", output, re.M), f"{line} not in the diff:\n{output}"
    # Syncthing: one receive-only folder shared with the publisher, and nothing leaving the LAN.
    folder = re.search(r'^\+\s*<folder id="reading-kiosk-content" [^\n]*>$', output, re.M)
    assert folder, output
    for attribute in ('type="receiveonly"', 'path="/var/lib/reading-kiosk/content"', 'rescanIntervalS="60"',
                      'fsWatcherEnabled="true"', 'ignorePerms="true"', 'label="Reading kiosk content"'):
        assert attribute in folder.group(0)
    assert f'<device id="{TEST_PUBLISHER_ID}" introducedBy="">' in output
    # The node exporter serves the kiosk's health file.
    assert re.search(r'^\+ARGS="--collector\.textfile\.directory=/var/lib/reading-kiosk/metrics '
                     r'--web\.listen-address=:9100"$', output, re.M), output
    assert "<address>tcp://192.0.2.10:22000</address>" in output
    for element in ("<globalAnnounceEnabled>false<", "<localAnnounceEnabled>false<", "<relaysEnabled>false<",
                    "<natEnabled>false<", "<urAccepted>-1<", "<crashReportingEnabled>false<",
                    "<autoUpgradeIntervalH>0<", "<address>127.0.0.1:8384<", "<apikey>test-api-key-0123456789<",
                    "<listenAddress>tcp://0.0.0.0:22000<"):
        assert element in output, element


@pytest.mark.parametrize("settings, message", [
    ({"kiosk_default_language": "fr"}, "kiosk_default_language on localhost: one of kiosk_languages ['en', 'ar'] "
                                       "(got fr)"),
    ({"kiosk_idle_seconds": "5"}, "kiosk_idle_seconds on localhost: whole seconds between 30 and 3600"),
    ({"kiosk_paper_size": "a5"}, "kiosk_paper_size on localhost: A4 or letter (got a5)"),
    ({"publisher_device_id": "AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH"},
     "publisher_device_id on localhost: the publisher's Syncthing device ID"),
], ids=["default-language-not-offered", "idle-seconds-too-short", "unknown-paper", "placeholder-publisher"])
def test_a_mistake_in_the_inventory_stops_the_run_before_any_change(tmp_path, settings, message):
    playbook = ansible_tool("ansible-playbook")
    inventory = local_inventory(tmp_path, **settings)
    result = run_ansible([playbook, "-i", str(inventory), str(PLAYBOOK), "--check"], tmp_path)
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout
    # Only the setting at fault is reported, and the run stops at the check.
    assert result.stdout.count("failed: [localhost] (item=") == 1, result.stdout
    assert "TASK [Install the Debian packages" not in result.stdout, "the run went on past the check"


def test_unit_template_with_defaults_is_the_repository_unit(tmp_path):
    ansible = ansible_tool("ansible")
    rendered = tmp_path / "reading-kiosk.service"
    result = run_ansible([ansible, "localhost", "-i", "localhost,", "-c", "local",
                          "-e", f"ansible_python_interpreter={HOST_PYTHON}", "-e", f"@{DEFAULTS}",
                          "-m", "ansible.builtin.template",
                          "-a", f"src={ANSIBLE_DIR / 'templates' / 'reading-kiosk.service.j2'} dest={rendered}"],
                         tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout
    assert rendered.read_text() == (ROOT / "deploy" / "reading-kiosk.service").read_text()


def test_ansible_lint_finds_nothing_in_the_production_profile(tmp_path):
    """ansible-lint (from PyPI, in a virtual environment of its own: ``ANSIBLE_LINT`` names it) passes."""
    lint = os.environ.get("ANSIBLE_LINT") or shutil.which("ansible-lint")
    if not lint:
        reason = "ansible-lint is not installed (.ci/run installs it; or set ANSIBLE_LINT)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    env = {**ansible_env(tmp_path), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run([lint, "--offline", "--profile", "production", "--nocolor", str(ANSIBLE_DIR)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
