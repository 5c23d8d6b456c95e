"""Run two real Syncthing instances on loopback and sync one folder between them.

Test harness for the reading kiosk: a ``publisher`` instance shares a
Send Only folder with a ``kiosk`` instance that has it as Receive Only.
Both instances run on 127.0.0.1 with discovery, relays, NAT, usage
reporting, crash reporting and upgrades turned off. Everything they write
stays under the base directory you pass in (normally pytest's
``tmp_path``).

Usage::

    from syncthing_pair import SyncthingPair, syncthing_available

    @pytest.mark.skipif(syncthing_available() is None, reason="no syncthing")
    def test_sync(tmp_path):
        with SyncthingPair(tmp_path) as pair:
            (pair.publisher_folder / "a.md").write_text("hi")
            pair.rescan()
            pair.wait_in_sync()
            assert (pair.kiosk_folder / "a.md").read_text() == "hi"

Written for and tested with Debian's syncthing v1.19.2 (config schema
version 36). Standard library only.
"""

from __future__ import annotations

import atexit
import copy
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["SyncthingPair", "SyncthingError", "syncthing_available", "FOLDER_ID"]

FOLDER_ID = "reading-kiosk-content"

# Environment variables that would override what we put in config.xml or
# --home, or redirect Syncthing's files elsewhere. They are removed from
# the child environment.
_OVERRIDE_ENV = (
    "STGUIADDRESS",
    "STGUIAPIKEY",
    "STGUIASSETS",
    "STHOMEDIR",
    "STCONFDIR",
    "STDATADIR",
    "STLOGFILE",
    "STPROFILER",
    "STCPUPROFILE",
    "STHEAPPROFILE",
    "STBLOCKPROFILE",
    "STPERFSTATS",
    "STAUDIT",
)

# Processes started by any SyncthingPair that have not been reaped yet.
# Cleaned up at interpreter exit as a last resort.
_LIVE_PROCS: set[subprocess.Popen] = set()


def _kill_leftovers() -> None:
    for proc in list(_LIVE_PROCS):
        _hard_stop(proc)


atexit.register(_kill_leftovers)


def _hard_stop(proc: subprocess.Popen, term_timeout: float = 5.0) -> None:
    """SIGTERM then SIGKILL the process (and its own process group)."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, term_timeout), (signal.SIGKILL, 5.0)):
            try:
                # The child was started with start_new_session=True, so its
                # pid is also its process group id; the group contains only
                # processes it started.
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    _LIVE_PROCS.discard(proc)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    """Linux: have the kernel SIGKILL the child if the Python process dies
    abruptly (e.g. pytest killed with SIGKILL), where atexit cannot run."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def syncthing_available() -> str | None:
    """Path of the syncthing binary, or None if it is not installed."""
    return shutil.which("syncthing")


class SyncthingError(RuntimeError):
    """Raised when an instance fails to start, answer or sync in time."""


def _free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _set_text(parent: ET.Element, tag: str, value: str) -> None:
    el = parent.find(tag)
    if el is None:
        el = ET.SubElement(parent, tag)
    el.text = value


def _tree_stats(root: Path) -> dict:
    """Files / dirs / symlinks / file bytes below root, as Syncthing would count them.

    Skips Syncthing's own entries: the .stfolder marker, .stignore,
    .stversions and in-progress ``.syncthing.*.tmp`` temp files.
    """
    files = dirs = links = nbytes = 0
    entries: dict[str, int | str] = {}
    skip_top = {".stfolder", ".stignore", ".stversions"}

    def walk(d: Path, rel: str) -> None:
        nonlocal files, dirs, links, nbytes
        for entry in os.scandir(d):
            name = entry.name
            if not rel and name in skip_top:
                continue
            if name.startswith(".syncthing.") and name.endswith(".tmp"):
                continue
            r = f"{rel}/{name}" if rel else name
            if entry.is_symlink():
                links += 1
                entries[r] = "symlink"
            elif entry.is_dir():
                dirs += 1
                entries[r] = "dir"
                walk(Path(entry.path), r)
            elif entry.is_file():
                size = entry.stat().st_size
                files += 1
                nbytes += size
                entries[r] = size

    walk(root, "")
    return {"files": files, "dirs": dirs, "symlinks": links, "bytes": nbytes,
            "entries": entries}


class _Instance:
    """One Syncthing home + process."""

    def __init__(self, name: str, home: Path, folder: Path, binary: str):
        self.name = name
        self.home = home
        self.folder = folder
        self.binary = binary
        self.device_id = ""
        self.api_key = secrets.token_urlsafe(24)
        self.gui_port = 0
        self.listen_port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = home / "syncthing.log"
        self._log_fh = None

    # -- environment / setup -------------------------------------------------

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in _OVERRIDE_ENV}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            STNODEFAULTFOLDER="1",
            STNOUPGRADE="1",
            STNORESTART="1",
            # Run Syncthing's inner process directly. Without this, v1.19
            # always starts a monitor process that re-execs syncthing as a
            # child in a *different* process group (even with --no-restart);
            # that child would survive a SIGKILL of the monitor.
            STMONITORED="yes",
        )
        return env

    def generate(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [self.binary, "generate", f"--home={self.home}",
             "--no-default-folder", "--skip-port-probing"],
            env=self.env(), check=True, capture_output=True, timeout=60,
        )
        out = subprocess.run(
            [self.binary, "serve", f"--home={self.home}", "--device-id"],
            env=self.env(), check=True, capture_output=True, text=True, timeout=60,
        )
        self.device_id = out.stdout.strip()
        if len(self.device_id) != 63:
            raise SyncthingError(f"{self.name}: unexpected device id {out.stdout!r}")

    def write_config(self, other: _Instance, folder_type: str) -> None:
        cfg_path = self.home / "config.xml"
        tree = ET.parse(cfg_path)
        root = tree.getroot()

        # -- own device: give it a readable name
        for dev in root.findall("device"):
            if dev.get("id") == self.device_id:
                dev.set("name", self.name)

        # -- GUI / REST
        gui = root.find("gui")
        gui.set("enabled", "true")
        gui.set("tls", "false")
        _set_text(gui, "address", f"127.0.0.1:{self.gui_port}")
        _set_text(gui, "apikey", self.api_key)

        # -- options
        opts = root.find("options")
        for el in opts.findall("listenAddress"):
            opts.remove(el)
        listen = ET.Element("listenAddress")
        listen.text = f"tcp://127.0.0.1:{self.listen_port}"
        opts.insert(0, listen)
        for tag, value in {
            "globalAnnounceEnabled": "false",
            "localAnnounceEnabled": "false",
            "relaysEnabled": "false",
            "natEnabled": "false",
            "urAccepted": "-1",
            "autoUpgradeIntervalH": "0",
            "crashReportingEnabled": "false",
            "startBrowser": "false",
            # Default 60 s. Lower, so that a connection dropped mid-test is
            # redialled sooner (the first dials follow a fixed ramp-up).
            "reconnectionIntervalS": "5",
        }.items():
            _set_text(opts, tag, value)

        defaults = root.find("defaults")

        # -- the other device, with its explicit loopback address
        for dev in root.findall("device"):
            if dev.get("id") == other.device_id:
                root.remove(dev)
        dev = copy.deepcopy(defaults.find("device"))
        dev.set("id", other.device_id)
        dev.set("name", other.name)
        for el in dev.findall("address"):
            dev.remove(el)
        addr = ET.Element("address")
        addr.text = f"tcp://127.0.0.1:{other.listen_port}"
        dev.insert(0, addr)

        # -- the shared folder, built from the <defaults><folder> template so
        # every v1.19 child element is present with its default value
        for f in root.findall("folder"):
            if f.get("id") == FOLDER_ID:
                root.remove(f)
        folder = copy.deepcopy(defaults.find("folder"))
        folder.set("id", FOLDER_ID)
        folder.set("label", FOLDER_ID)
        folder.set("path", str(self.folder))
        folder.set("type", folder_type)
        folder.set("rescanIntervalS", "2")
        folder.set("fsWatcherEnabled", "true")
        folder.set("fsWatcherDelayS", "1")
        # As the fleet's playbook sets it: small files (the manifest, the articles' text)
        # arrive before large PDFs, so a kiosk knows early which version is on its way.
        folder.find("order").text = "smallestFirst"
        for el in folder.findall("device"):
            folder.remove(el)
        # The folder lists all devices sharing it, including this one.
        for pos, dev_id in enumerate((self.device_id, other.device_id)):
            d = ET.Element("device", {"id": dev_id, "introducedBy": ""})
            ET.SubElement(d, "encryptionPassword").text = ""
            d.tail = "\n            "
            folder.insert(1 + pos, d)  # after <filesystemType>

        # Keep the generated layout: <folder>, then the other <device>,
        # right before <gui>. (Syncthing does not require a particular order.)
        idx = list(root).index(gui)
        root.insert(idx, dev)
        root.insert(idx, folder)
        ET.indent(tree, space="    ")
        tree.write(cfg_path, encoding="utf-8", xml_declaration=False)

        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".stfolder").mkdir(exist_ok=True)

    # -- process ---------------------------------------------------------------

    def start(self) -> None:
        self._log_fh = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", f"--home={self.home}",
             "--no-browser", "--no-restart", "--no-upgrade"],
            env=self.env(),
            cwd=str(self.home),
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
        _LIVE_PROCS.add(self.proc)

    def request_shutdown(self) -> bool:
        """POST /rest/system/shutdown; True if Syncthing accepted it."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.request("POST", "/rest/system/shutdown", timeout=3)
                return True
            except Exception:
                return False
        return False

    def stop(self, graceful_timeout: float = 10.0, ask: bool = True) -> None:
        """REST shutdown, then SIGTERM, then SIGKILL; always reaps the process."""
        proc = self.proc
        if proc is not None:
            # If the REST call fails (e.g. API not up yet) go straight to
            # SIGTERM, which Syncthing also handles as a clean shutdown.
            if proc.poll() is None and ask and self.request_shutdown():
                try:
                    proc.wait(timeout=graceful_timeout)
                except subprocess.TimeoutExpired:
                    pass
            _hard_stop(proc)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    # -- REST ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gui_port}"

    def request(self, method: str, path: str, params: dict | None = None,
                body=None, timeout: float = 10.0):
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None
        headers = {"X-API-Key": self.api_key}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT", "PATCH"):
            data = b""
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def get(self, path: str, **params):
        return self.request("GET", path, params=params or None)


class SyncthingPair:
    """Two Syncthing instances on loopback syncing ``reading-kiosk-content``.

    ``publisher`` has the folder as Send Only (``<base>/publisher-content``),
    ``kiosk`` as Receive Only (``<base>/kiosk-content``). Homes are
    ``<base>/publisher`` and ``<base>/kiosk``; each has ``syncthing.log``.
    """

    folder_id = FOLDER_ID

    def __init__(self, base_dir, binary: str | None = None,
                 start_timeout: float = 30.0, connect_timeout: float = 30.0):
        self.base = Path(base_dir)
        binary = binary or syncthing_available()
        if not binary:
            raise SyncthingError("syncthing binary not found on PATH")
        self.binary = binary
        self.start_timeout = start_timeout
        self.connect_timeout = connect_timeout
        self.publisher = _Instance("publisher", self.base / "publisher",
                                   self.base / "publisher-content", binary)
        self.kiosk = _Instance("kiosk", self.base / "kiosk",
                               self.base / "kiosk-content", binary)
        self._started = False
        self.startup_seconds: float | None = None
        self.close_seconds: float | None = None
        #: cumulative seconds since start() for each startup phase, plus close
        self.timings: dict[str, float] = {}

    # -- public properties -----------------------------------------------------

    @property
    def publisher_folder(self) -> Path:
        return self.publisher.folder

    @property
    def kiosk_folder(self) -> Path:
        return self.kiosk.folder

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> SyncthingPair:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> SyncthingPair:
        if self._started:
            return self
        self._started = True
        t0 = time.monotonic()
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            for inst in (self.publisher, self.kiosk):
                inst.generate()
            self.timings["generate"] = time.monotonic() - t0
            # The free ports are released before Syncthing binds them, so
            # another process may grab one in between. A taken GUI port makes
            # Syncthing exit at once: pick new ports and try again.
            for attempt in range(3):
                gp, lp, gk, lk = _free_ports(4)
                self.publisher.gui_port, self.publisher.listen_port = gp, lp
                self.kiosk.gui_port, self.kiosk.listen_port = gk, lk
                self.publisher.write_config(self.kiosk, "sendonly")
                self.kiosk.write_config(self.publisher, "receiveonly")
                try:
                    # Staggered start: kiosk first, publisher once the kiosk
                    # answers (its sync listener is up by then). Started
                    # together, both instances run their dial loops in
                    # lockstep; in 3 of 60 starts their simultaneous dials
                    # ended in TLS/Hello "connection reset" errors and the
                    # first connection came only 5-20 s later. Staggered:
                    # 0 of 70+ starts delayed.
                    for inst in (self.kiosk, self.publisher):
                        inst.start()
                        self._wait_ping(inst)
                    self.timings["rest_up"] = time.monotonic() - t0
                    break
                except SyncthingError:
                    exited = any(i.proc is not None and i.proc.poll() is not None
                                 for i in (self.publisher, self.kiosk))
                    if not exited or attempt == 2:
                        raise
                    self.close()
                    for inst in (self.publisher, self.kiosk):
                        inst.proc = None
            self._wait_connected()
            self.timings["connected"] = time.monotonic() - t0
            self._wait_folders_running()
            self.startup_seconds = time.monotonic() - t0
            self.timings["startup"] = self.startup_seconds
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop both instances; always leaves no process behind."""
        t0 = time.monotonic()
        # One after the other, kiosk first. When both were asked to shut
        # down at the same moment, one close in ~40 took the full 10 s
        # graceful timeout; not seen again in 90+ sequential closes.
        for inst in (self.kiosk, self.publisher):
            try:
                inst.stop()
            except Exception:
                if inst.proc is not None:
                    _hard_stop(inst.proc)
        self.close_seconds = time.monotonic() - t0
        self.timings["close"] = self.close_seconds

    # -- waiting helpers -------------------------------------------------------

    def _fail(self, msg: str) -> SyncthingError:
        parts = [msg]
        for inst in (self.publisher, self.kiosk):
            rc = inst.proc.poll() if inst.proc else None
            parts.append(f"--- {inst.name} (exit code {rc}) log tail "
                         f"{inst.log_path}:\n{inst.log_tail()}")
        return SyncthingError("\n".join(parts))

    def _check_alive(self) -> None:
        for inst in (self.publisher, self.kiosk):
            if inst.proc is not None and inst.proc.poll() is not None:
                raise self._fail(f"{inst.name} exited with code {inst.proc.returncode}")

    def _wait_ping(self, inst: _Instance) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if inst.request("GET", "/rest/system/ping", timeout=2) == {"ping": "pong"}:
                    return
            except (urllib.error.URLError, OSError) as e:
                last = e
            time.sleep(0.1)
        raise self._fail(f"{inst.name}: REST API did not answer: {last!r}")

    def _wait_connected(self) -> None:
        deadline = time.monotonic() + self.connect_timeout
        while time.monotonic() < deadline:
            self._check_alive()
            ok = True
            for inst, other in ((self.publisher, self.kiosk),
                                (self.kiosk, self.publisher)):
                conns = inst.get("/rest/system/connections")["connections"]
                if not conns.get(other.device_id, {}).get("connected"):
                    ok = False
            if ok:
                return
            time.sleep(0.2)
        raise self._fail("devices did not connect")

    def _wait_folders_running(self) -> None:
        """Wait until the folder exists and has finished its first scan on both."""
        deadline = time.monotonic() + self.start_timeout
        last = {}
        while time.monotonic() < deadline:
            self._check_alive()
            states = {}
            for inst in (self.publisher, self.kiosk):
                try:
                    states[inst.name] = inst.get("/rest/db/status", folder=FOLDER_ID)["state"]
                except urllib.error.HTTPError as e:
                    states[inst.name] = f"HTTP {e.code}"
            last = states
            if all(s == "idle" for s in states.values()):
                return
            time.sleep(0.2)
        raise self._fail(f"folder not idle on both sides: {last}")

    # -- operations ------------------------------------------------------------

    def rescan(self, sub: str | None = None) -> None:
        """Scan the publisher folder now (POST /rest/db/scan; returns when the scan is done)."""
        params = {"folder": FOLDER_ID}
        if sub:
            params["sub"] = sub
        self.publisher.request("POST", "/rest/db/scan", params=params, timeout=120)

    def set_send_rate(self, kib_per_s: int) -> None:
        """Limit the publisher's upload rate (KiB/s, 0 = unlimited).

        Also sets limitBandwidthInLan: loopback counts as LAN, and
        Syncthing ignores rate limits on LAN connections by default.
        """
        body = {"maxSendKbps": int(kib_per_s),
                "limitBandwidthInLan": bool(kib_per_s)}
        self.publisher.request("PATCH", "/rest/config/options", body=body)
        opts = self.publisher.get("/rest/config/options")
        if opts.get("maxSendKbps") != int(kib_per_s):
            raise SyncthingError(f"maxSendKbps not applied: {opts.get('maxSendKbps')}")

    def status(self) -> dict:
        """Snapshot of everything wait_in_sync looks at (useful in assertions)."""
        pub = self.publisher.get("/rest/db/status", folder=FOLDER_ID)
        kio = self.kiosk.get("/rest/db/status", folder=FOLDER_ID)
        comp = self.publisher.get("/rest/db/completion", folder=FOLDER_ID,
                                  device=self.kiosk.device_id)
        rneed = self.publisher.get("/rest/db/remoteneed", folder=FOLDER_ID,
                                   device=self.kiosk.device_id)
        return {"publisher": pub, "kiosk": kio, "completion": comp,
                "remoteneed": rneed}

    def _in_sync_problems(self, check_disk: bool) -> list[str]:
        st = self.status()
        pub, kio, comp = st["publisher"], st["kiosk"], st["completion"]
        problems = []

        def want(cond: bool, what: str) -> None:
            if not cond:
                problems.append(what)

        want(pub.get("state") == "idle", f"publisher state {pub.get('state')!r}")
        want(kio.get("state") == "idle", f"kiosk state {kio.get('state')!r}")
        # Publisher's global view is its own local state (Send Only).
        for key in ("Files", "Directories", "Symlinks", "Deleted", "Bytes"):
            want(pub.get(f"global{key}") == pub.get(f"local{key}"),
                 f"publisher global{key}={pub.get(f'global{key}')} "
                 f"local{key}={pub.get(f'local{key}')}")
        # Kiosk has the same global view as the publisher...
        for key in ("Files", "Directories", "Symlinks", "Bytes"):
            want(kio.get(f"global{key}") == pub.get(f"global{key}"),
                 f"kiosk global{key}={kio.get(f'global{key}')} "
                 f"publisher global{key}={pub.get(f'global{key}')}")
        # ...and holds all of it locally.
        for key in ("Files", "Directories", "Symlinks", "Bytes"):
            want(kio.get(f"local{key}") == kio.get(f"global{key}"),
                 f"kiosk local{key}={kio.get(f'local{key}')} "
                 f"global{key}={kio.get(f'global{key}')}")
        for key in ("needFiles", "needDirectories", "needSymlinks",
                    "needDeletes", "needBytes", "pullErrors"):
            want(not kio.get(key), f"kiosk {key}={kio.get(key)}")
        want(not kio.get("receiveOnlyChangedFiles"),
             f"kiosk receiveOnlyChangedFiles={kio.get('receiveOnlyChangedFiles')}")
        # Publisher's view of the kiosk: 100 % complete, nothing needed.
        # NOTE (v1.19.2): completion is NOT sufficient on its own. While the
        # kiosk has never announced a single file (its index sequence is 0),
        # the publisher reports completion 100 / needBytes 0 for it even with
        # files outstanding. /rest/db/remoteneed and the kiosk's own
        # /rest/db/status are correct in that case, so all are checked.
        want(not st["remoteneed"].get("files"),
             f"remoteneed lists {len(st['remoteneed'].get('files') or [])} file(s)")
        want(comp.get("completion") == 100,
             f"completion={comp.get('completion')}")
        for key in ("needBytes", "needItems", "needDeletes"):
            want(not comp.get(key), f"completion {key}={comp.get(key)}")
        if "remoteState" in comp:
            want(comp["remoteState"] == "valid",
                 f"completion remoteState={comp['remoteState']!r}")

        if check_disk and not problems:
            # The publisher's database must reflect what is on disk (a change
            # not yet scanned would otherwise look "in sync"), and the kiosk
            # must hold the same tree on disk (names, kinds and sizes).
            pdisk = _tree_stats(self.publisher_folder)
            kdisk = _tree_stats(self.kiosk_folder)
            want(pub.get("localFiles") == pdisk["files"],
                 f"publisher db files {pub.get('localFiles')} != disk {pdisk['files']}")
            want(pub.get("localDirectories") == pdisk["dirs"],
                 f"publisher db dirs {pub.get('localDirectories')} != disk {pdisk['dirs']}")
            want(pub.get("localSymlinks") == pdisk["symlinks"],
                 f"publisher db symlinks {pub.get('localSymlinks')} != disk {pdisk['symlinks']}")
            if pdisk["entries"] != kdisk["entries"]:
                a, b = pdisk["entries"], kdisk["entries"]
                diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
                problems.append(f"trees differ on disk: {diff[:10]}")
        return problems

    def wait_in_sync(self, timeout: float = 60.0, check_disk: bool = True,
                     stable_polls: int = 2, interval: float = 0.25) -> dict:
        """Block until the kiosk holds exactly the publisher's current state.

        Checks, all on the same poll:
          * GET /rest/db/status on both: state "idle"; publisher global* ==
            local*; kiosk global{Files,Directories,Symlinks,Bytes} ==
            publisher's; kiosk local* == global*; kiosk need* == 0,
            pullErrors == 0, receiveOnlyChangedFiles == 0.
          * GET /rest/db/completion?device=<kiosk> on the publisher: 100 and
            needBytes/needItems/needDeletes == 0.
          * GET /rest/db/remoteneed?device=<kiosk> on the publisher: no files.
          * check_disk: the publisher's database counts match the files and
            directories on disk (catches changes not scanned yet), and both
            trees hold the same names, kinds and sizes (temp files and
            .stfolder ignored).

        All conditions must hold on ``stable_polls`` consecutive polls.
        Returns the final status() snapshot; raises SyncthingError on timeout.
        """
        deadline = time.monotonic() + timeout
        streak = 0
        problems: list[str] = ["not polled yet"]
        while True:
            self._check_alive()
            try:
                problems = self._in_sync_problems(check_disk)
            except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
                problems = [f"poll error: {e!r}"]
            if not problems:
                streak += 1
                if streak >= stable_polls:
                    return self.status()
            else:
                streak = 0
            if time.monotonic() >= deadline:
                raise self._fail(f"not in sync after {timeout}s: " + "; ".join(problems))
            time.sleep(interval)
