"""The daemon's own log and event stream, free of any UI.

* :func:`sources.discover` finds the log (``--daemon-log``, ``DOCKSCOPE_DAEMON_LOG``,
  journald, /var/log/docker.log, Docker Desktop) or says why there is none;
* :func:`parse.parse_line` turns a logrus text / TTY / JSON line into a :class:`parse.LogRecord`;
* :class:`index.LineIndex` indexes a file of any size in steps and reads only the lines asked for;
* :class:`eventfeed.EventFeed` follows ``/events`` and refills the gap after a reconnect.
"""

from dockscope.daemonlog.eventfeed import EVENT_TYPES, EventFeed
from dockscope.daemonlog.index import LineIndex, Lines, MemoryLines
from dockscope.daemonlog.parse import LEVELS, LogRecord, level_pattern, parse_line
from dockscope.daemonlog.sources import Discovery, JournalFollower, LogSource, discover

__all__ = [
    "EVENT_TYPES", "Discovery", "EventFeed", "JournalFollower", "LEVELS", "LineIndex", "Lines",
    "LogRecord", "LogSource", "MemoryLines", "discover", "level_pattern", "parse_line",
]
