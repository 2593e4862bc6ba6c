"""The recent part of dockerd's own log, for the probes (it is not in the Docker API).

The source is chosen by :func:`dockscope.daemonlog.discover` (``--daemon-log``,
``DOCKSCOPE_DAEMON_LOG``, journald, the classic files, Docker Desktop) and each
line is parsed by :func:`dockscope.daemonlog.parse_line` (logrus text, TTY or
JSON). Only the tail is read: at most :data:`TAIL_LINES` lines or
:data:`TAIL_BYTES` bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from dockscope.daemonlog import LogRecord, discover, parse_line
from dockscope.daemonlog.sources import JOURNAL_TIMEOUT, journal_message
from dockscope.probes.model import LogLine

TAIL_LINES = 2000
TAIL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DaemonLog:
    """The records read, where from (a path or a journald unit), or why nothing was read."""

    records: tuple[LogRecord, ...] = ()
    kind: str = ""
    location: str = ""
    problem: str = ""


def tail_file(path: str, count: int = TAIL_LINES) -> list[bytes]:
    """The last ``count`` lines of ``path``, read from the end of the file."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        start = max(end - TAIL_BYTES, 0)
        handle.seek(start)
        lines = handle.read().splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first one is cut in the middle
    return list(deque(lines, maxlen=count))


def tail_journal(unit: str, count: int = TAIL_LINES, runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> list[bytes]:
    """The last ``count`` messages of a journald unit."""
    result = runner(
        ["journalctl", "-u", unit, "-o", "json", "-n", str(count), "--no-pager", "-q"],
        capture_output=True, timeout=JOURNAL_TIMEOUT, check=False,
    )
    messages = []
    for raw in (result.stdout or b"").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            messages.append(journal_message(entry))
    return messages


def read_daemon_log(explicit: str | None, env: Mapping[str, str], *, local: bool) -> DaemonLog:
    """Find the daemon log and parse its tail; a log that cannot be read says why."""
    found = discover(explicit, env, local=local)
    source = found.source
    if source is None:
        return DaemonLog(problem=found.explain())
    try:
        lines = tail_file(source.location) if source.kind == "file" else tail_journal(source.location)
    except (OSError, subprocess.SubprocessError) as error:
        return DaemonLog(kind=source.kind, problem=f"{source.describe()}: {error}")
    return DaemonLog(tuple(parse_line(line) for line in lines), source.kind, source.location)


def parse_time(text: str) -> float | None:
    """RFC 3339 with nanoseconds (``2026-11-28T02:52:37.180582641Z``) to epoch seconds."""
    if not text or text.startswith("0001-"):
        return None
    head, _, rest = text.partition(".")
    fraction, zone = "", rest
    if rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, zone = rest[:digits][:6], rest[digits:]
    else:
        for marker in ("Z", "+", "-"):
            index = head.find(marker, 19)
            if index > 0:
                head, zone = head[:index], head[index:]
                break
    zone = "+00:00" if zone in ("", "Z") else zone
    try:
        stamp = datetime.fromisoformat(f"{head}{'.' + fraction.ljust(6, '0') if fraction else ''}{zone}")
    except ValueError:
        return None
    return stamp.timestamp()


def as_line(record: LogRecord) -> LogLine:
    """A record as evidence: (time, "level: message key=value ...")."""
    fields = " ".join(f"{key}={value}" for key, value in record.fields)
    text = f"{record.level}: {record.message}" if record.level else record.message
    return record.time, f"{text} {fields}".rstrip()


def recent(records: Iterable[LogRecord], now: float, seconds: float) -> list[LogRecord]:
    """The records of the last ``seconds`` before ``now`` (records without a time are kept)."""
    kept = []
    for record in records:
        when = parse_time(record.time)
        if when is None or now - when <= seconds:
            kept.append(record)
    return kept


def lines_near(records: Iterable[LogRecord], moment: float, window: float = 30.0) -> tuple[LogLine, ...]:
    """The records written within ``window`` seconds of ``moment``, as evidence lines."""
    found = []
    for record in records:
        when = parse_time(record.time)
        if when is not None and abs(when - moment) <= window:
            found.append(as_line(record))
    return tuple(found)
