"""Where the daemon's own log is, and why there is none.

dockerd's log is not in the Docker API. In order: ``--daemon-log PATH``,
``DOCKSCOPE_DAEMON_LOG``, journald (``journalctl -u docker``), the classic
files (``/var/log/docker.log`` ...), then Docker Desktop's VM log. A remote
daemon's log lives on its host: only an explicit path is used then.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dockscope.daemonlog.index import MemoryLines

SourceKind = Literal["file", "journald"]
#: The systemd unit dockerd runs under.
JOURNAL_UNIT = "docker"
CLASSIC_FILES = ("/var/log/docker.log", "/var/log/dockerd.log", "/var/log/upstart/docker.log")
JOURNAL_TIMEOUT = 3.0


@dataclass(frozen=True)
class LogSource:
    """A readable daemon log and how it was found."""

    kind: SourceKind
    location: str
    found_by: str

    def describe(self) -> str:
        what = "journald unit " if self.kind == "journald" else ""
        return f"{what}{self.location} ({self.found_by})"


@dataclass(frozen=True)
class Discovery:
    """The source chosen (or None) and what was tried, in order."""

    source: LogSource | None
    tried: tuple[str, ...]

    def explain(self) -> str:
        if self.source is not None:
            return f"source: {self.source.describe()}"
        return "no daemon log could be read: " + "; ".join(self.tried) + ". Pass --daemon-log PATH or set DOCKSCOPE_DAEMON_LOG."


def desktop_log_paths(home: str, env: Mapping[str, str], platform: str = sys.platform) -> tuple[str, ...]:
    """Docker Desktop's dockerd log inside its VM, as mirrored on the host."""
    if platform == "darwin":
        return (f"{home}/Library/Containers/com.docker.docker/Data/log/vm/dockerd.log",)
    if platform.startswith("win"):
        local = env.get("LOCALAPPDATA", f"{home}\\AppData\\Local")
        return (f"{local}\\Docker\\log\\vm\\dockerd.log", f"{local}\\Docker\\log.txt")
    return (f"{home}/.docker/desktop/log/vm/dockerd.log",)


def _readable(path: str) -> str | None:
    """None when ``path`` is a readable regular file, else why not."""
    if not os.path.exists(path):
        return "does not exist"
    if not os.path.isfile(path):
        return "is not a regular file"
    if not os.access(path, os.R_OK):
        return "is not readable by this user (try sudo, or the adm/systemd-journal group)"
    return None


def probe_journald(unit: str = "docker", runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> str | None:
    """None when ``journalctl -u unit`` returns an entry we may read, else why not."""
    if shutil.which("journalctl") is None:
        return "journalctl is not installed"
    try:
        result = runner(
            ["journalctl", "-u", unit, "-n", "1", "-o", "json", "--no-pager", "-q"],
            capture_output=True, text=True, timeout=JOURNAL_TIMEOUT, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"journalctl failed: {error}"
    if result.returncode != 0:
        return f"journalctl failed: {(result.stderr or '').strip()[:200] or f'exit {result.returncode}'}"
    if not result.stdout.strip():
        return f"journald has no entries for unit {unit} (or this user may not read them)"
    return None


def discover(
    explicit: str | None,
    env: Mapping[str, str] = os.environ,
    *,
    local: bool = True,
    home: str | None = None,
    journal: Callable[[str], str | None] = probe_journald,
    platform: str = sys.platform,
) -> Discovery:
    """Choose the daemon log to show.

    Args:
        explicit: ``--daemon-log PATH``, wins over everything.
        env: Environment (``DOCKSCOPE_DAEMON_LOG``).
        local: False when the daemon is remote (tcp/ssh): its log is not here.
        home: Home directory for Docker Desktop's paths.
        journal: Probe for a journald unit (None: usable, else why not).
        platform: ``sys.platform`` value, for Docker Desktop's paths.
    """
    tried: list[str] = []
    chosen = [(explicit, "--daemon-log"), (env.get("DOCKSCOPE_DAEMON_LOG"), "DOCKSCOPE_DAEMON_LOG")]
    for path, why in chosen:
        if not path:
            continue
        problem = _readable(path)
        if problem is None:
            return Discovery(LogSource("file", path, why), tuple(tried))
        tried.append(f"{path} ({why}) {problem}")
        return Discovery(None, tuple(tried))
    if not local:
        return Discovery(None, ("the daemon is remote: its log is on its own host",))
    problem = journal(JOURNAL_UNIT)
    if problem is None:
        return Discovery(LogSource("journald", JOURNAL_UNIT, "journalctl"), tuple(tried))
    tried.append(problem)
    home = home or str(Path.home())
    for path in CLASSIC_FILES + desktop_log_paths(home, env, platform):
        problem = _readable(path)
        if problem is None:
            return Discovery(LogSource("file", path, "found"), tuple(tried))
        tried.append(f"{path} {problem}")
    return Discovery(None, tuple(tried))


def journal_message(entry: Mapping) -> bytes:
    """The MESSAGE of one ``journalctl -o json`` entry (a string, or a byte array when not UTF-8)."""
    message = entry.get("MESSAGE")
    if isinstance(message, list):
        return bytes(b & 0xFF for b in message if isinstance(b, int))
    return str(message or "").encode()


class JournalFollower:
    """Runs ``journalctl -u UNIT -o json -f`` and appends each MESSAGE to a :class:`MemoryLines`."""

    def __init__(self, unit: str, lines: MemoryLines, backlog: int = 5000) -> None:
        self.unit = unit
        self.lines = lines
        self.backlog = backlog
        self._process: subprocess.Popen | None = None
        self._stopped = threading.Event()

    def run(self, on_lines: Callable[[], None] = lambda: None) -> None:
        """Blocking: read until :meth:`stop` (call it from another thread)."""
        command = ["journalctl", "-u", self.unit, "-o", "json", "-f", "-n", str(self.backlog), "--no-pager", "-q"]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            if self._stopped.is_set():
                break
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                self.lines.append(journal_message(entry))
                on_lines()

    def stop(self) -> None:
        self._stopped.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
