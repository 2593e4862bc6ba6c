"""The daemon's own log (not in the Docker API) and its event stream.

Tab "Log": the source found by :func:`dockscope.daemonlog.discover` (or why
none), lines parsed into time, level, message and fields, a level filter, a
search and follow. A file of any size opens at once: a worker indexes it in
steps and :class:`LogView` renders only the rows on screen, with an LRU of
rendered lines. Tab "Events": the daemon's event stream with type filters, from
the app's one events feed (:attr:`DockscopeApp.events_feed`): its backlog, then
each event as it comes; the feed refills the gap after a reconnect.
"""

from __future__ import annotations

import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict, deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from dockscope.daemonlog import EVENT_TYPES, EventFeed, LineIndex, Lines, MemoryLines, discover, level_pattern, parse_line
from dockscope.daemonlog.parse import LogRecord
from dockscope.daemonlog.sources import Discovery, JournalFollower
from dockscope.engine.events import DockerEvent
from dockscope.panes.base import Pane, register
from dockscope.ui.text import safe, show_text
from dockscope.textsafe import clean

LEVEL_STYLES = {
    "trace": "dim", "debug": "dim", "info": "green", "warning": "yellow",
    "error": "bold red", "fatal": "bold white on red", "panic": "bold white on red",
}
#: The level filter cycles through these (None: every line).
FILTER_CYCLE: tuple[str | None, ...] = (None, "info", "warning", "error")
#: Bytes indexed per step, so the first screen shows before a big file is read.
INDEX_STEP = 32 * 1024 * 1024
FOLLOW_SECONDS = 1.0
RENDER_CACHE = 2048
MAX_EVENTS = 5000
LINE_WIDTH = 1000


def record_text(record: LogRecord) -> Text:
    """One parsed line: short time, level, message, then the fields, all as plain text."""
    text = Text(no_wrap=True, end="")
    if record.time:
        clock = record.time.split("T", 1)[-1][:12]
        text.append(clean(clock, limit=40), "dim")
        text.append(" ")
    if record.level:
        text.append(f"{record.level[:4].upper():<4}", LEVEL_STYLES.get(record.level, ""))
        text.append(" ")
    text.append(clean(record.message, limit=LINE_WIDTH))
    for key, value in record.fields:
        text.append(" ")
        text.append(clean(key, limit=64), "cyan")
        text.append("=", "dim")
        text.append(clean(value, limit=256), "dim")
    return text


class LogView(ScrollView, can_focus=True):
    """Rows of a :class:`Lines` source, optionally through a filter; renders only what is visible."""

    DEFAULT_CSS = """
    LogView { height: 1fr; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "jump(0)", "Top", show=False),
        Binding("end", "jump(-1)", "End", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source: Lines | None = None
        self.filtered: array | None = None
        self.cursor = 0
        self._cache: OrderedDict[int, Strip] = OrderedDict()
        self.rendered = 0

    @property
    def row_count(self) -> int:
        if self.source is None:
            return 0
        return len(self.filtered) if self.filtered is not None else self.source.line_count

    def line_number(self, row: int) -> int:
        return self.filtered[row] if self.filtered is not None else row

    def row_of_line(self, line: int) -> int | None:
        if self.filtered is None:
            return line
        at = bisect_left(self.filtered, line)
        return at if at < len(self.filtered) and self.filtered[at] == line else None

    def sync_size(self) -> None:
        """Call after the source grew or the filter changed."""
        self.virtual_size = Size(LINE_WIDTH, self.row_count)
        self.refresh()

    def reset(self) -> None:
        self._cache.clear()
        self.cursor = min(self.cursor, max(self.row_count - 1, 0))
        self.sync_size()

    def visible_lines(self) -> list[int]:
        """Line numbers of the rows on screen (for tests and the status line)."""
        top = self.scroll_offset.y
        return [self.line_number(r) for r in range(top, min(top + self.size.height, self.row_count))]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        if row >= self.row_count:
            return Strip.blank(width, self.rich_style)
        strip = self._line_strip(self.line_number(row))
        if row == self.cursor and self.has_focus:
            strip = strip.apply_style(Style(reverse=True))
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _line_strip(self, line: int) -> Strip:
        cached = self._cache.get(line)
        if cached is not None:
            self._cache.move_to_end(line)
            return cached
        raw = self.source.lines(line, 1) if self.source is not None else []
        text = record_text(parse_line(raw[0])) if raw else Text("")
        segments = list(text.render(self.app.console))
        strip = Strip([s for s in segments if s.text != "\n"] or [Segment("")])
        self.rendered += 1
        self._cache[line] = strip
        if len(self._cache) > RENDER_CACHE:
            self._cache.popitem(last=False)
        return strip

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_jump(self, row: int) -> None:
        self.move_to(row if row >= 0 else self.row_count - 1)

    def move_to(self, row: int) -> None:
        """Put the cursor on ``row`` and scroll it into view."""
        self.cursor = max(0, min(row, self.row_count - 1))
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()

    def on_resize(self) -> None:
        """Shown at last (or resized): bring the cursor back into view, e.g. the end when following."""
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        height = max(self.size.height, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)


class EventsTable(DataTable):
    """The daemon's events, newest last, filtered by type."""


@register
class DaemonLogsPane(Pane):
    """dockerd's own log and event stream."""

    pane_id = "daemon_logs"
    title = "Daemon log"
    key = "l"
    order = 50

    DEFAULT_CSS = """
    DaemonLogsPane #daemon-log-source { height: 1; color: $text-muted; }
    DaemonLogsPane .status { height: 1; background: $panel; }
    DaemonLogsPane #daemon-log-search { display: none; }
    DaemonLogsPane #daemon-log-search.shown { display: block; }
    DaemonLogsPane EventsTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("full_stop", "search_next", "Next match"),
        Binding("e", "cycle_level", "Level"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("t", "switch_tab", "Log/Events"),
        Binding("escape", "close_search", "Close search", show=False),
        Binding("1", "toggle_type('container')", "Containers", show=False),
        Binding("2", "toggle_type('image')", "Images", show=False),
        Binding("3", "toggle_type('network')", "Networks", show=False),
        Binding("4", "toggle_type('volume')", "Volumes", show=False),
    ]

    def __init__(self, daemon_log: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.daemon_log = daemon_log
        self.discovery: Discovery | None = None
        self.level: str | None = None
        self.follow = True
        self.query_text = ""
        self.message = ""
        self.event_types: set[str] = set(EVENT_TYPES)
        self.events: deque[DockerEvent] = deque(maxlen=MAX_EVENTS)
        #: Events came while the pane was hidden: the table is rebuilt when it is shown.
        self._rows_behind = False
        self._feed: EventFeed | None = None
        #: Events from the feed's thread waiting for the UI thread (bounded like the table).
        self._inbox: deque[DockerEvent] = deque(maxlen=MAX_EVENTS)
        self._inbox_lock = threading.Lock()
        self._inbox_posted = False
        self._journal: JournalFollower | None = None
        self._index: LineIndex | None = None
        self._indexing = False
        self._seen_lines = 0
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield Static(id="daemon-log-source")
        with TabbedContent(id="daemon-tabs"):
            with TabPane("Log", id="daemon-log-tab"):
                yield Static(id="daemon-log-status", classes="status")
                yield Input(placeholder="search (Enter: find next)", id="daemon-log-search")
                yield LogView(id="daemon-log-view")
            with TabPane("Events", id="daemon-events-tab"):
                yield Static(id="daemon-events-status", classes="status")
                yield EventsTable(id="daemon-events", cursor_type="row")

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    @property
    def events_table(self) -> EventsTable:
        return self.query_one(EventsTable)

    # ------------------------------------------------------------ the log
    def on_mount(self) -> None:
        self.query_one("#daemon-log-search", Input).can_focus = False
        table = self.events_table
        for key, label in (("time", "Time"), ("type", "Type"), ("name", "Object"), ("action", "Action"), ("detail", "Detail")):
            table.add_column(label, key=key)
        self.query_one("#daemon-log-source", Static).update(Text("looking for the daemon's log…", style="dim"))
        self._show_status()
        self._show_events_status()
        self._discover()
        self.set_interval(FOLLOW_SECONDS, self._tick)
        feed = getattr(self.app, "events_feed", None)
        if feed is not None:
            self._subscribe(feed)

    @work(thread=True, exit_on_error=False, group="daemon-log-discover")
    def _discover(self) -> None:
        """Find the log off the UI thread (probing journald runs journalctl) and open a file source."""
        endpoint = getattr(getattr(self.app, "session", None), "endpoint", None)
        is_local = endpoint is None or endpoint.scheme in ("unix", "npipe")
        discovery = discover(self.daemon_log, local=is_local)
        index = None
        if discovery.source is not None and discovery.source.kind == "file":
            try:
                index = LineIndex(discovery.source.location)
            except OSError as error:
                discovery = Discovery(None, discovery.tried + (f"{discovery.source.location}: {error.strerror or error}",))
        self.app.call_from_thread(self._open_source, discovery, index)

    def _open_source(self, discovery: Discovery, index: LineIndex | None) -> None:
        self.discovery = discovery
        self.query_one("#daemon-log-source", Static).update(safe(discovery.explain(), limit=2000))
        source = discovery.source
        if source is None:
            self._show_status()
            return
        if index is not None:
            self._index = index
            self.view.source = index
            self._start_indexing()
        else:
            lines = MemoryLines()
            self.view.source = lines
            self._journal = JournalFollower(source.location, lines)
            self._follow_journal()

    @work(thread=True, exit_on_error=False, group="daemon-log-index", name="daemon-log-index")
    def _index_file(self) -> None:
        """Index in steps; after each step the view grows, so the first screen shows at once."""
        worker = get_current_worker()
        index = self._index
        while index is not None and not worker.is_cancelled:
            before = index.line_count
            added = index.update(max_bytes=INDEX_STEP)
            done = not added or index.remaining_bytes() == 0
            self.app.call_from_thread(self._grown, before, done)
            if done:
                return

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Indexing ended (or failed); a failed index, filter or search is said in the status line."""
        worker = event.worker
        if worker.name == "daemon-log-index" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._indexing = False
        if event.state == WorkerState.ERROR and worker.group.startswith("daemon-log"):
            self.message = f"{worker.group.removeprefix('daemon-log-')} failed: {worker.error}"
            self._show_status()

    @work(thread=True, exit_on_error=False, group="daemon-log-journal")
    def _follow_journal(self) -> None:
        if self._journal is not None:
            self._journal.run()

    def _start_indexing(self) -> None:
        self._indexing = True
        self._index_file()

    def _tick(self) -> None:
        """Follow: pick up lines written since the last look (when shown: it catches up on show)."""
        if not self.is_on_screen:
            return
        source = self.view.source
        if self._index is not None and not self._indexing and self._index.changed():
            self._start_indexing()
        elif isinstance(source, MemoryLines) and source.line_count != self._seen_lines:
            self._grown(self._seen_lines, True)
        self._show_status()

    def _grown(self, previous_lines: int, done: bool) -> None:
        """The source has more lines than ``previous_lines``: extend the filter, follow when done."""
        view = self.view
        self._seen_lines = view.source.line_count if view.source is not None else 0
        if view.source is not None and view.source.generation != self._generation:
            self._generation = view.source.generation
            view.reset()
            self.set_level(self.level)
        elif view.filtered is not None and self.level is not None:
            self._extend_filter(self.level, previous_lines)
        view.sync_size()
        if self.follow and done:
            view.move_to(view.row_count - 1)
        self._show_status()

    def _show_status(self) -> None:
        view = self.view
        source = view.source
        line = Text(end="")
        if source is None:
            line.append("no log source", style="yellow")
        else:
            total = source.line_count
            shown = view.row_count
            line.append(f"{shown:,} lines" if view.filtered is None else f"{shown:,} of {total:,} lines", style="bold")
            if self._index is not None and self._index.remaining_bytes() > 1024:
                done = self._index.indexed_bytes / max(self._index.file_size(), 1)
                line.append(f"  indexing {done:.0%}", style="yellow")
        line.append(f"  level ≥ {self.level}" if self.level else "  all levels", style="cyan")
        line.append("  following" if self.follow else "  paused", style="green" if self.follow else "dim")
        if self.query_text:
            line.append("  search: ")
            line.append_text(safe(self.query_text, limit=60))
        if self.message:
            line.append("  ")
            line.append_text(safe(self.message, "yellow", limit=120))
        show_text(self.query_one("#daemon-log-status", Static), line)

    # ----------------------------------------------------- filter, search
    def action_cycle_level(self) -> None:
        at = FILTER_CYCLE.index(self.level)
        self.set_level(FILTER_CYCLE[(at + 1) % len(FILTER_CYCLE)])

    def set_level(self, level: str | None) -> None:
        """Show only lines at ``level`` or worse (None: every line); scanned in a worker."""
        self.level = level
        if level is None:
            self.view.filtered = None
            self.view.reset()
            self._show_status()
            return
        self.view.filtered = array("I")
        self.view.reset()
        self._scan_level(level)

    @work(thread=True, exit_on_error=False, exclusive=True, group="daemon-log-filter")
    def _scan_level(self, level: str) -> None:
        worker = get_current_worker()
        source = self.view.source
        if source is None:
            return

        def check() -> None:
            if worker.is_cancelled:
                raise RuntimeError("cancelled")

        found = source.scan(level_pattern(level), 0, check)
        self.app.call_from_thread(self._filtered, level, found)

    def _filtered(self, level: str, found: array) -> None:
        if level != self.level:
            return
        self.view.filtered = found
        self.view.reset()
        if self.follow:
            self.view.move_to(self.view.row_count - 1)
        self._show_status()

    def _extend_filter(self, level: str, start: int) -> None:
        source = self.view.source
        filtered = self.view.filtered
        if source is not None and filtered is not None:
            last = filtered[-1] if filtered else -1
            filtered.extend(x for x in source.scan(level_pattern(level), start) if x > last)

    def action_search(self) -> None:
        box = self.query_one("#daemon-log-search", Input)
        box.add_class("shown")
        box.can_focus = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_text = event.value
        self._hide_search()
        self.action_search_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape closes the search box; with none open it falls through to the app (go back)."""
        if action == "close_search":
            return self.query_one("#daemon-log-search", Input).has_class("shown")
        return True

    def action_close_search(self) -> None:
        self._hide_search()

    def _hide_search(self) -> None:
        box = self.query_one("#daemon-log-search", Input)
        box.remove_class("shown")
        box.can_focus = False
        self.view.focus()

    def action_search_next(self) -> None:
        if self.query_text and self.view.source is not None:
            self.follow = False
            self._search(self.query_text, self.view.line_number(self.view.cursor) + 1 if self.view.row_count else 0)

    @work(thread=True, exit_on_error=False, exclusive=True, group="daemon-log-search")
    def _search(self, needle: str, start: int) -> None:
        source = self.view.source
        found = source.search(needle, start) if source is not None else None
        self.app.call_from_thread(self._found, needle, found)

    def _found(self, needle: str, line: int | None) -> None:
        if line is None:
            self.message = f"not found: {needle}"
        else:
            row = self.view.row_of_line(line)
            if row is None:
                self.message = "match hidden by the level filter: showing all levels"
                self.level = None
                self.view.filtered = None
                self.view.reset()
                row = line
            else:
                self.message = ""
            self.view.move_to(row)
        self._show_status()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self.view.move_to(self.view.row_count - 1)
        self._show_status()

    def action_switch_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = "daemon-events-tab" if tabs.active == "daemon-log-tab" else "daemon-log-tab"

    # ----------------------------------------------------------- events
    class EventsArrived(Message, bubble=False):
        """The feed put events in the pane's inbox (posted once per batch)."""

    def _subscribe(self, feed: EventFeed) -> None:
        """Show what the feed kept so far (its backlog), then every later event."""
        self._feed = feed
        self.add_events(feed.subscribe(self._event_from_feed))

    def _event_from_feed(self, event: DockerEvent) -> None:
        """Feed thread: queue the event and never wait for the UI (the app's refreshes share the feed)."""
        with self._inbox_lock:
            self._inbox.append(event)
            if self._inbox_posted:
                return
            self._inbox_posted = True
        self.post_message(self.EventsArrived())

    def on_daemon_logs_pane_events_arrived(self, _message: EventsArrived) -> None:
        with self._inbox_lock:
            events = list(self._inbox)
            self._inbox.clear()
            self._inbox_posted = False
        self.add_events(events)

    def add_events(self, events: Iterable[DockerEvent]) -> None:
        """Add events at the end of the table; the cursor follows when it was on the last row.

        While the pane is hidden they are only kept: each new row asked for a layout of
        the whole screen, under the pane the user looks at. The table catches up when shown.
        """
        if not self.is_on_screen:
            self.events.extend(events)
            self._rows_behind = True
            return
        table = self.events_table
        at_end = table.cursor_row >= table.row_count - 1
        for event in events:
            self.events.append(event)
            if event.type in self.event_types:
                self._add_event_row(event)
        while table.row_count > MAX_EVENTS:
            table.remove_row(next(iter(table.rows)))
        if at_end and table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        self._show_events_status()

    def _add_event_row(self, event: DockerEvent) -> None:
        action, _, argument = event.action.partition(": ")
        details = [argument] if argument else []
        details += [f"{k}={v}" for k, v in event.attributes if k not in ("name", "image") and not k.startswith("com.docker.compose")]
        self.events_table.add_row(
            Text(time.strftime("%H:%M:%S", time.localtime(event.time)), style="dim", end=""),
            safe(event.type, "cyan"),
            safe(event.name or event.actor_id[:12], limit=40),
            safe(action, "bold", limit=24),
            safe(", ".join(details), "dim", limit=200),
        )

    def on_show(self) -> None:
        self._tick()
        if self._rows_behind:
            self._rebuild_event_rows()

    def action_toggle_type(self, kind: str) -> None:
        self.event_types ^= {kind}
        self._rebuild_event_rows()

    def _rebuild_event_rows(self) -> None:
        self._rows_behind = False
        table = self.events_table
        table.clear()
        for event in self.events:
            if event.type in self.event_types:
                self._add_event_row(event)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        self._show_events_status()

    def _show_events_status(self) -> None:
        line = Text(end="")
        for number, kind in enumerate(EVENT_TYPES, 1):
            on = kind in self.event_types
            line.append(f" {number}:{kind} ", style="bold reverse" if on else "dim")
        line.append(f"  {self.events_table.row_count:,} of {len(self.events):,} events", style="dim")
        if self._feed is not None and self._feed.connections > 1:
            line.append(f"  stream reopened {self._feed.connections - 1}x, gaps refilled", style="yellow")
        show_text(self.query_one("#daemon-events-status", Static), line)

    def on_unmount(self) -> None:
        if self._feed is not None:
            self._feed.unsubscribe(self._event_from_feed)
        if self._journal is not None:
            self._journal.stop()
        if self._index is not None:
            self._index.close()
