"""The daemon's own log (not in the Docker API): where it is and its last lines."""

from __future__ import annotations

import os
from collections import deque

from textual.app import ComposeResult
from textual.widgets import RichLog, Static

from dockscope.panes.base import Pane, register
from dockscope.ui.text import log_text, safe

CANDIDATES = ("/var/log/docker.log", "/var/log/dockerd.log")


def find_log_file(explicit: str | None) -> tuple[str | None, str]:
    """The daemon log file to read and a sentence saying why (or why none)."""
    if explicit:
        if os.access(explicit, os.R_OK):
            return explicit, f"{explicit} (--daemon-log)"
        return None, f"{explicit} (--daemon-log) cannot be read"
    env = os.environ.get("DOCKSCOPE_DAEMON_LOG")
    if env and os.access(env, os.R_OK):
        return env, f"{env} (DOCKSCOPE_DAEMON_LOG)"
    for path in CANDIDATES:
        if os.access(path, os.R_OK):
            return path, path
    return None, "no daemon log file found; pass --daemon-log PATH"


def tail_lines(path: str, count: int = 500) -> list[bytes]:
    """The last ``count`` lines of a file, read from its end."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        handle.seek(max(end - 256 * 1024, 0))
        return list(deque(handle.read().splitlines(), maxlen=count))


@register
class DaemonLogsPane(Pane):
    """dockerd's own log."""

    pane_id = "daemon_logs"
    title = "Daemon log"
    key = "l"
    order = 50

    DEFAULT_CSS = """
    DaemonLogsPane #daemon-log-source { height: 1; color: $text-muted; }
    DaemonLogsPane RichLog { height: 1fr; }
    """

    def __init__(self, daemon_log: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.daemon_log = daemon_log

    def compose(self) -> ComposeResult:
        yield Static(id="daemon-log-source")
        yield RichLog(max_lines=5000, wrap=False, markup=False)

    def on_mount(self) -> None:
        path, why = find_log_file(self.daemon_log)
        self.query_one("#daemon-log-source", Static).update(safe(f"source: {why}"))
        if path:
            log = self.query_one(RichLog)
            for line in tail_lines(path):
                log.write(log_text(line, keep_colours=False))
