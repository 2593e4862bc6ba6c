"""Read the last lines of dockerd's own log file (it is not in the Docker API).

The file comes from ``--daemon-log`` or ``DOCKSCOPE_DAEMON_LOG``. dockerd writes
logrus lines: ``time="2026-11-28T02:52:37.18Z" level=error msg="..."``; the
time and level are read from them, anything else is kept with no time.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Mapping
from datetime import datetime

from dockscope.probes.model import LogLine

#: Most lines read from the end of the file (and at most this many bytes).
TAIL_LINES = 2000
TAIL_BYTES = 1024 * 1024

_TIME = re.compile(r'^time="(?P<time>[^"]+)"')
_LEVEL = re.compile(r"\blevel=(?P<level>\w+)")
_MSG = re.compile(r'\bmsg="(?P<msg>(?:[^"\\]|\\.)*)"')


def daemon_log_path(explicit: str | None, env: Mapping[str, str]) -> str:
    """The daemon log file to read: ``explicit``, else ``DOCKSCOPE_DAEMON_LOG``, else ""."""
    for candidate in (explicit, env.get("DOCKSCOPE_DAEMON_LOG")):
        if candidate and os.access(candidate, os.R_OK):
            return candidate
    return ""


def tail(path: str, count: int = TAIL_LINES) -> tuple[LogLine, ...]:
    """The last ``count`` lines of ``path`` as (time, line), read from the end of the file."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        start = max(end - TAIL_BYTES, 0)
        handle.seek(start)
        lines = handle.read().splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first one is cut in the middle
    return tuple(split_time(raw.decode("utf-8", "replace")) for raw in deque(lines, maxlen=count))


def split_time(line: str) -> LogLine:
    """(time, rest of the line) for a logrus line; ("", line) for any other."""
    match = _TIME.match(line)
    if not match:
        return "", line
    return match.group("time"), line[match.end() :].lstrip()


def line_level(line: str) -> str:
    match = _LEVEL.search(line)
    return match.group("level").lower() if match else ""


def line_message(line: str) -> str:
    """The ``msg="..."`` part unescaped, or the whole line."""
    match = _MSG.search(line)
    if not match:
        return line
    return match.group("msg").replace('\\"', '"').replace("\\\\", "\\")


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


def lines_near(lines: tuple[LogLine, ...], moment: float, window: float = 30.0) -> tuple[LogLine, ...]:
    """The lines written within ``window`` seconds of ``moment``."""
    found = []
    for time_text, line in lines:
        when = parse_time(time_text)
        if when is not None and abs(when - moment) <= window:
            found.append((time_text, line))
    return tuple(found)
