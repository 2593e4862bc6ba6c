"""dockerd's log lines as records: logrus text, logrus TTY text and JSON.

dockerd logs through logrus. Without a terminal it writes
``time="..." level=info msg="..." key=value``; on a terminal
``INFO[2026-01-01T00:00:00Z] message   key=value``; with ``--log-format json``
one JSON object per line. Anything else is kept whole as the message.
Every value is untrusted text: this module only splits it, it never shows it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

#: Levels from least to most severe; dockerd's aliases map onto these.
LEVELS = ("trace", "debug", "info", "warning", "error", "fatal", "panic")
_ALIASES = {
    "warn": "warning", "erro": "error", "fata": "fatal", "pani": "panic",
    "debu": "debug", "trac": "trace", "err": "error", "crit": "fatal", "notice": "info",
}

_PAIR = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_TTY = re.compile(r"^(TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[([^\]]*)\]\s?(.*)$")
_TTY_FIELD = re.compile(r"\s{2,}([A-Za-z_][\w.\-]*=.*)$")
_GO_ESCAPES = re.compile(r"\\(.)")
_GO_ESCAPE_MAP = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class LogRecord:
    """One daemon log line: time and level as written, the message and the other fields."""

    time: str
    level: str
    message: str
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def rank(self) -> int:
        """Position of the level in :data:`LEVELS` (-1 when the line has none)."""
        return level_rank(self.level)


def normalize_level(level: str) -> str:
    """``WARN``/``warn``/``warning`` -> ``warning``; unknown levels stay as written, lower-cased."""
    lowered = level.strip().lower()
    return _ALIASES.get(lowered, lowered)


def level_rank(level: str) -> int:
    name = normalize_level(level)
    return LEVELS.index(name) if name in LEVELS else -1


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _GO_ESCAPES.sub(lambda m: _GO_ESCAPE_MAP.get(m.group(1), m.group(0)), value[1:-1])
    return value


def parse_logrus_text(line: str) -> LogRecord | None:
    """``time="..." level=... msg="..." k=v``; None when the line is not in that form."""
    if not (line.startswith("time=") or line.startswith("level=")):
        return None
    pairs = [(key, _unquote(value)) for key, value in _PAIR.findall(line)]
    values = dict(pairs)
    return LogRecord(
        time=values.get("time", ""),
        level=normalize_level(values.get("level", "")),
        message=values.get("msg", ""),
        fields=tuple((k, v) for k, v in pairs if k not in ("time", "level", "msg")),
    )


def parse_logrus_tty(line: str) -> LogRecord | None:
    """``INFO[time] message   k=v``; None when the line is not in that form."""
    match = _TTY.match(line)
    if match is None:
        return None
    level, when, rest = match.groups()
    fields: tuple[tuple[str, str], ...] = ()
    tail = _TTY_FIELD.search(rest)
    if tail is not None:
        fields = tuple((k, _unquote(v)) for k, v in _PAIR.findall(tail.group(1)))
        rest = rest[: tail.start()]
    return LogRecord(time=when, level=normalize_level(level), message=rest.rstrip(), fields=fields)


def parse_json(line: str) -> LogRecord | None:
    """``{"level":"info","msg":"...","time":"..."}``; None when the line is not a JSON object."""
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = tuple((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in data.items() if k not in ("time", "level", "msg"))
    return LogRecord(
        time=str(data.get("time", "")),
        level=normalize_level(str(data.get("level", ""))),
        message=str(data.get("msg", "")),
        fields=fields,
    )


def parse_line(line: bytes | str) -> LogRecord:
    """Parse one line in whichever format it is; a line in no known format is all message."""
    text = line.decode("utf-8", errors="backslashreplace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    for parser in (parse_logrus_text, parse_json, parse_logrus_tty):
        record = parser(text)
        if record is not None:
            return record
    return LogRecord(time="", level="", message=text)


class LevelFilter:
    """Finds lines whose level is ``min_level`` or worse, in any format, chunk by chunk.

    Three literal-prefixed regexes (logrus text, JSON, TTY) run over a whole
    chunk of lines: far faster than one alternation or than parsing each line,
    which matters on a file of a gigabyte.
    """

    def __init__(self, min_level: str) -> None:
        wanted = LEVELS[max(level_rank(min_level), 0):]
        words = "|".join(sorted(set(wanted) | {a for a, n in _ALIASES.items() if n in wanted and len(a) >= 4}, key=len, reverse=True))
        tty = "|".join(sorted({w[:4].upper() for w in wanted}))
        self.min_level = normalize_level(min_level)
        self._text = re.compile(rf'level="?(?:{words})\b'.encode())
        self._json = re.compile(rf'"level"\s*:\s*"(?:{words})"'.encode())
        self._tty = re.compile(rf"\n(?:{tty})\[".encode())

    def positions(self, chunk: bytes) -> list[int]:
        """Sorted offsets in ``chunk`` (whole lines) of matches; several may fall on one line."""
        found = [m.start() for m in self._text.finditer(chunk) if m.start() == 0 or chunk[m.start() - 1] in b" \t\n"]
        found += [m.start() for m in self._json.finditer(chunk)]
        found += [m.start() for m in self._tty.finditer(b"\n" + chunk)]
        found.sort()
        return found

    def matches(self, line: bytes) -> bool:
        return bool(self.positions(line))


def level_pattern(min_level: str) -> LevelFilter:
    """The :class:`LevelFilter` for ``min_level`` and worse."""
    return LevelFilter(min_level)
