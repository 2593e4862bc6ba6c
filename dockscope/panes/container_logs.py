"""Container logs view: follow, tail, since, timestamps, stderr marked, search, only-matching, wrap, save.

A thread reads the multiplexed stream (:mod:`dockscope.engine.logs`) on its
own client without a read timeout and puts whole lines into a bounded
queue; the screen drains it at most :data:`FLUSH_HZ` times a second into a
:class:`LogView`, a line-API scroll view that keeps a ring of lines and
renders only the rows on screen (with a small cache of rendered strips).
Memory is bounded by the ring whatever the output rate, and a chatty
container cannot flood the message queue. The stream is closed when the view
goes.

Keys must stay answered while a container writes thousands of lines a
second, so the UI thread's work per second is bounded: a hot stream (more new
lines per flush than rows on screen, so every row changes anyway) is drawn at
most :data:`HOT_FLUSH_HZ` times a second, and less often when a batch (its
append and its render, in wall time) costs more than :data:`HOT_SHARE` of the
time between batches: on a starved machine the view backs off instead of
taking all the CPU the process gets; a view covered by a prompt is drawn at
:data:`COVERED_FLUSH_HZ`;
a batch larger than the ring only has its last ring-full processed; rows are
built straight from segments with the widget's style looked up once per
render pass; and the line counter below the view is redrawn without a layout
of the screen unless its number of rows changes.
"""

from __future__ import annotations

import os
import re
import time
from bisect import bisect_left
from collections import deque
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from dockscope.engine.logs import (
    DEFAULT_RING,
    DEFAULT_TAIL,
    LogLine,
    LogRing,
    LogStream,
    PendingLines,
    empty_reason,
    parse_since,
    read_lines,
    short_time,
    timestamp_epoch,
    unreadable_reason,
)
from dockscope.textsafe import clean
from dockscope.ui.confirm import PromptScreen
from dockscope.ui.footer import Footer
from dockscope.ui.text import safe

#: Most batches written to the view per second.
FLUSH_HZ = 20
#: Batches per second when each one is larger than the view (every row changes at each flush).
HOT_FLUSH_HZ = 8
#: Most of the UI thread's (wall) time a hot stream may take: the rest is for keys.
HOT_SHARE = 0.25
#: Batches per second while a prompt covers the view (it is dimmed behind it).
COVERED_FLUSH_HZ = 2
#: Lines of context around each match in "only matching" mode.
CONTEXT_LINES = 2
STDERR_STYLE = Style(color="red")
MATCH_STYLE = Style(color="black", bgcolor="yellow")
CURRENT_STYLE = Style(color="black", bgcolor="bright_magenta", bold=True)
TIMESTAMP_STYLE = Style(dim=True)
CACHE_SIZE = 4000


class LogView(ScrollView, can_focus=True):
    """A ring of log lines shown through the line API (only visible rows are rendered)."""

    DEFAULT_CSS = """
    LogView { height: 1fr; }
    """

    BINDINGS = [Binding("G", "scroll_end", "End", show=False)]

    def __init__(self, ring_size: int = DEFAULT_RING, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ring = LogRing(ring_size)
        self.show_timestamps = False
        self.wrap = False
        self.pattern: re.Pattern[str] | None = None
        self.only_matching = False
        self.current_match: int | None = None
        self.stick_to_end = True
        self._rows: list[tuple[int, int]] = []
        self._max_width = 0
        self._last_included = -1
        self._after_left = 0
        self._cache: dict[tuple[int, int], list[Strip]] = {}
        self._layout_width = 0
        self._row_style = Style.null()
        self._render_width = 0
        self._render_costs: deque[float] = deque(maxlen=4)

    # ------------------------------------------------------------- content
    def clear(self) -> None:
        self.ring.clear()
        self._rebuild()

    def append(self, lines: list[LogLine]) -> None:
        """Add lines at the end (oldest ones leave the ring) and keep following when at the end."""
        if not lines:
            return
        at_end = self.stick_to_end or self.scroll_y >= self.max_scroll_y
        self.ring.extend(lines)
        first = self.ring.first_seq
        if self._rows and self._rows[0][0] < first:
            del self._rows[: bisect_left(self._rows, (first, -1))]
        self._add_lines(lines[-self.ring.maxlen :] if lines[0].seq < first else lines)
        self._update_size()
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def _include(self, line: LogLine) -> None:
        """Add the rows of ``line`` when the mode shows it (with context around matches)."""
        if not self.only_matching or self.pattern is None:
            self._add_rows(line)
            return
        if self.pattern.search(line.text):
            start = max(line.seq - CONTEXT_LINES, self._last_included + 1, self.ring.first_seq)
            for seq in range(start, line.seq):
                previous = self.ring.get(seq)
                if previous is not None:
                    self._add_rows(previous)
            self._add_rows(line)
            self._after_left = CONTEXT_LINES
        elif self._after_left > 0:
            self._after_left -= 1
            self._add_rows(line)

    def _add_lines(self, lines: list[LogLine]) -> None:
        """The rows of ``lines`` in the current mode; in bulk unless only matching lines are shown."""
        if not lines:
            return
        if self.only_matching and self.pattern is not None:
            for line in lines:
                self._include(line)
        elif self.wrap and self._layout_width > 0:
            self._add_wrapped(lines)
        else:
            self._add_whole(lines)

    def _add_wrapped(self, lines: list[LogLine]) -> None:
        """Rows of lines cut at the view's width, in bulk."""
        width = self._layout_width
        widths = [self._line_width(line) for line in lines]
        self._max_width = max(self._max_width, max(widths))
        self._rows.extend([(line.seq, part) for line, cells in zip(lines, widths) for part in range(max(1, -(-cells // width)))])
        self._last_included = lines[-1].seq

    def _add_whole(self, lines: list[LogLine]) -> None:
        """One row per line (no wrap, no filter): the common case of a fast follow, in bulk."""
        self._rows.extend([(line.seq, 0) for line in lines])
        self._max_width = max(self._max_width, max(map(self._line_width, lines)))
        self._last_included = lines[-1].seq

    def _add_rows(self, line: LogLine) -> None:
        width = self._line_width(line)
        self._max_width = max(self._max_width, width)
        parts = 1
        if self.wrap and self._layout_width > 0:
            parts = max(1, -(-width // self._layout_width))
        self._rows.extend((line.seq, part) for part in range(parts))
        self._last_included = line.seq

    def _line_width(self, line: LogLine) -> int:
        prefix = 1 + (24 if self.show_timestamps and line.timestamp else 0)
        text = line.display
        return prefix + (len(text) if text.isascii() and "\t" not in text else cell_len(text.expandtabs(8)))

    def _rebuild(self) -> None:
        """Recompute every row (after a change of mode, search or width)."""
        self._rows = []
        self._max_width = 0
        self._last_included = -1
        self._after_left = 0
        self._cache.clear()
        self._add_lines(list(self.ring))
        self._update_size()
        self.refresh()

    def _update_size(self) -> None:
        width = self._layout_width if self.wrap else self._max_width
        self.virtual_size = Size(width, len(self._rows))

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._layout_width:
            self._layout_width = width
            self._rebuild()

    # ------------------------------------------------------------- modes
    def set_mode(self, **changes) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self._rebuild()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def shown_lines(self) -> list[LogLine]:
        """The lines the view currently shows (once each), oldest first."""
        seqs = dict.fromkeys(seq for seq, _ in self._rows)
        return [line for seq in seqs if (line := self.ring.get(seq)) is not None]

    def find(self, forward: bool) -> int | None:
        """Move to the next (or previous) line matching the search; its sequence number."""
        if self.pattern is None or not self._rows:
            return None
        lines = self.shown_lines()
        if self.current_match is not None:
            start = self.current_match
        else:
            start = self._rows[min(int(self.scroll_y), len(self._rows) - 1)][0] - (1 if forward else -1)
        candidates = [l for l in lines if (l.seq > start if forward else l.seq < start)]
        if not forward:
            candidates.reverse()
        for line in candidates:
            if self.pattern.search(line.text):
                self.current_match = line.seq
                self.stick_to_end = False
                self._cache.clear()
                row = bisect_left(self._rows, (line.seq, -1))
                self.scroll_to(y=max(row - self.size.height // 2, 0), animate=False)
                self.refresh()
                return line.seq
        return None

    # ------------------------------------------------------------- render
    def _line_segments(self, line: LogLine) -> list[Segment]:
        """The segments of one line: stream mark, timestamp, text (already cleaned: no control acts)."""
        style = STDERR_STYLE if line.stream == "stderr" else None
        segments = [Segment("▍" if style else " ", style)]
        if self.show_timestamps and line.timestamp:
            segments.append(Segment(f"{short_time(line.timestamp):<23} ", TIMESTAMP_STYLE))
        text = line.display.expandtabs(8)
        if self.pattern is None:
            segments.append(Segment(text, style))
        else:
            segments += self._highlighted(text, style, CURRENT_STYLE if line.seq == self.current_match else MATCH_STYLE)
        return segments

    def _highlighted(self, text: str, style: Style | None, mark: Style) -> list[Segment]:
        """``text`` cut into segments with the search's matches in ``mark``."""
        assert self.pattern is not None
        marked = mark if style is None else style + mark
        segments: list[Segment] = []
        position = 0
        for match in self.pattern.finditer(text):
            start, end = match.span()
            if end > start:
                if start > position:
                    segments.append(Segment(text[position:start], style))
                segments.append(Segment(text[start:end], marked))
                position = end
        if position < len(text) or not segments:
            segments.append(Segment(text[position:], style))
        return segments

    def _strips(self, seq: int) -> list[Strip]:
        key = (seq, self._layout_width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        line = self.ring.get(seq)
        if line is None:
            return [Strip.blank(0)]
        strip = Strip(list(Segment.apply_style(self._line_segments(line), self._row_style)))
        if self.wrap and self._layout_width > 0:
            cuts = list(range(self._layout_width, strip.cell_length, self._layout_width)) + [strip.cell_length]
            strips = strip.divide(cuts) if strip.cell_length > self._layout_width else [strip]
        else:
            strips = [strip]
        if len(self._cache) > CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = strips
        return strips

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look the widget's style and width up once for the whole pass (a DOM walk each), not per row."""
        style = self.rich_style
        if style != self._row_style:
            self._row_style = style
            self._cache.clear()
        self._render_width = self.scrollable_content_region.width
        started = time.monotonic()
        strips = super().render_lines(crop)
        if crop.height:
            self._render_costs.append((time.monotonic() - started) * self.size.height / crop.height)
        return strips

    @property
    def render_seconds(self) -> float:
        """Wall seconds a render of the whole view takes: the costliest of the last passes (some only
        redraw rows Textual had cached); it grows when the machine is starved."""
        return max(self._render_costs, default=0.0)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self._render_width
        if index >= len(self._rows):
            return Strip.blank(width, self._row_style)
        seq, part = self._rows[index]
        strips = self._strips(seq)
        strip = strips[min(part, len(strips) - 1)]
        if not self.wrap:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, self._row_style)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.stick_to_end = new >= self.max_scroll_y

    def clear_cache(self) -> None:
        self._cache.clear()
        self.refresh()


class ContainerLogsScreen(ModalScreen[None]):
    """The logs of one container, full screen; Escape goes back."""

    DEFAULT_CSS = """
    ContainerLogsScreen { background: $background; }
    ContainerLogsScreen #logs-title { height: 1; background: $panel; padding: 0 1; }
    ContainerLogsScreen #logs-message { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("f", "follow", "Follow"),
        Binding("t", "tail", "Tail"),
        Binding("s", "since", "Since"),
        Binding("T", "timestamps", "Times"),
        Binding("w", "wrap", "Wrap"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "previous_match", "Prev", show=False),
        Binding("o", "only_matching", "Matching"),
        Binding("ctrl+s,S", "save", "Save"),
    ]

    def __init__(self, container_id: str, *, tail: int | None = DEFAULT_TAIL, ring_size: int = DEFAULT_RING) -> None:
        super().__init__()
        self.container_id = container_id
        self.tail = tail
        self.since: float | None = None
        self.follow = True
        self.ring_size = ring_size
        self.pending = PendingLines(ring_size)
        self._stream: LogStream | None = None
        self._next_seq = 0
        self.inspect: dict = {}
        self.ended = ""
        self._message = ""
        self._flush_due = 0.0
        self._message_shown: Text | None = None
        self._message_rows: tuple[int, int] | None = None

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def compose(self) -> ComposeResult:
        yield Static(Text(f"logs of {self.container_id[:12]}", end=""), id="logs-title")
        yield LogView(self.ring_size, id="logs-view")
        yield Static(id="logs-message")
        yield Footer()

    def on_mount(self) -> None:
        self.view.focus()
        self.set_interval(1 / FLUSH_HZ, self._flush)
        self._restart()

    def on_unmount(self) -> None:
        self.pending = PendingLines(1)  # a reader still opening its stream sees it is stale and closes it
        self._close_stream()

    # ------------------------------------------------------------- stream
    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def _restart(self, *, keep: bool = False) -> None:
        """(Re)open the stream with the current tail/since/follow; ``keep`` appends to what is shown."""
        self._close_stream()
        self.pending = PendingLines(self.ring_size)
        self.ended = ""
        since, tail = self.since, self.tail
        resume = self._last_timestamp() if keep else None
        if resume is not None:
            since, tail = resume, None
        else:
            self.view.clear()
        self._read(self.pending, since, tail)
        self._update_title()

    @work(thread=True, exit_on_error=False, group="container-logs")
    def _read(self, pending: PendingLines, since: float | None, tail: int | None) -> None:
        """Open a client without a read timeout (a followed stream may stay silent), read, close it."""
        try:
            client = self.app.session.open_client(timeout=None)
        except Exception as error:  # the daemon is unreachable
            self.app.call_from_thread(self._ended, pending, f"cannot read logs: {error}")
            return
        try:
            self._pump(client, pending, since, tail)
        finally:
            client.close()

    def _pump(self, client, pending: PendingLines, since: float | None, tail: int | None) -> None:
        try:
            inspect = client.inspect_container(self.container_id)
        except Exception as error:  # removed, or the daemon went away
            removed = "404" in str(error) or "No such container" in str(error)
            self.app.call_from_thread(self._ended, pending, "removed" if removed else f"cannot read logs: {error}")
            return
        self.inspect = inspect
        self.app.call_from_thread(self._update_title)
        tty = bool((inspect.get("Config") or {}).get("Tty"))
        try:
            stream = LogStream(client, self.container_id, tty=tty, follow=self.follow, tail=tail, since=since)
        except Exception as error:  # a driver that cannot be read back, or removed meanwhile
            driver = ((inspect.get("HostConfig") or {}).get("LogConfig") or {}).get("Type", "")
            reason = unreadable_reason(error, driver) or f"cannot read logs: {getattr(error, 'explanation', None) or error}"
            self.app.call_from_thread(self._ended, pending, reason)
            return
        self._stream = stream
        if pending is not self.pending:  # restarted or closed while we were opening
            stream.close()
            return
        self._next_seq = read_lines(stream, tty, pending.put, first_seq=self._next_seq)
        self.app.call_from_thread(self._ended, pending, "")

    def _last_timestamp(self) -> float | None:
        """Just after the last line read, to resume following without repeating it."""
        if not len(self.view.ring):
            return None
        moment = timestamp_epoch(self.view.ring.at(len(self.view.ring) - 1).timestamp)
        return None if moment is None else moment + 1e-6

    def _ended(self, pending: PendingLines, reason: str) -> None:
        if pending is not self.pending:
            return
        self._flush(force=True)
        self.ended = reason or "end of stream"
        if self.follow and not reason:
            self._check_removed()
        self._update_message()

    @work(thread=True, exit_on_error=False, group="container-logs-check")
    def _check_removed(self) -> None:
        try:
            state = self.app.session.client.inspect_container(self.container_id).get("State") or {}
        except Exception as error:  # 404: removed while we followed it
            if "404" in str(error) or "No such container" in str(error):
                self.app.call_from_thread(self._set_ended, "removed")
            return
        self.app.call_from_thread(self._set_ended, f"the container stopped ({state.get('Status', '?')}); f reopens the stream")

    def _set_ended(self, reason: str) -> None:
        self.ended = reason
        self._update_message()

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if now < self._flush_due and not force:
            return
        lines = self.pending.drain()
        if lines:
            self.view.append(lines)
            self._update_message()
        elif not self.view.ring and self.ended:
            self._update_message()
        cost = time.monotonic() - now + self.view.render_seconds
        self._flush_due = now + self._flush_pause(len(lines), cost)

    def _flush_pause(self, batch: int, cost: float) -> float:
        """Seconds until the next batch: longer while covered, or while every flush redraws every row.

        ``cost`` is the wall time of this batch's append plus the view's last render;
        a hot view still moves at least once a second.
        """
        if self.app.screen is not self:
            return 1 / COVERED_FLUSH_HZ
        if batch > self.view.size.height:
            return min(max(1 / HOT_FLUSH_HZ, cost / HOT_SHARE), 1.0)
        return 0.0

    # ------------------------------------------------------------- display
    def _update_title(self) -> None:
        name = str(self.inspect.get("Name", "")).lstrip("/") if self.inspect else self.container_id[:12]
        title = Text("logs of ", end="") + safe(name, "bold")
        flags = [
            "following" if self.follow else "not following",
            f"tail {self.tail}" if self.tail is not None else "tail all",
        ]
        if self.since is not None:
            flags.append("since " + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.since)) + " UTC")
        view = self.view
        flags += [w for w, on in (("timestamps", view.show_timestamps), ("wrap", view.wrap), ("only matching", view.only_matching)) if on]
        title.append(f"   {' · '.join(flags)}", style="dim")
        self.query_one("#logs-title", Static).update(title)

    def _update_message(self) -> None:
        view = self.view
        line = Text(end="")
        line.append(f"{len(view.ring)} line{'s' if len(view.ring) != 1 else ''}", style="dim")
        dropped = view.ring.dropped + self.pending.dropped
        if dropped:
            line.append(f" ({dropped} older dropped: ring of {view.ring.maxlen})", style="dim")
        if view.pattern is not None:
            line.append("  search ", style="dim")
            line.append_text(safe(view.pattern.pattern, "bold yellow"))
        if self._message:
            line.append("  ")
            line.append_text(safe(self._message, "yellow"))
        if not view.ring and self.ended:
            line.append("\n")
            line.append_text(safe(self.empty_text(), "bold"))
        elif self.ended == "removed":
            line.append("  the container was removed", style="bold red")
        elif self.ended and self.follow:
            line.append("  ■ ", style="yellow")
            line.append_text(safe(self.ended, "yellow"))
        self._show_message(line)

    def _show_message(self, line: Text) -> None:
        """Redraw the line below the view; lay the screen out again only when its height may change.

        The line counter changes at every flush of a busy stream: a layout of
        the whole screen each time would be most of the UI thread's work.
        """
        if line == self._message_shown:
            return
        message = self.query_one("#logs-message", Static)
        width = message.content_region.width
        parts = line.plain.split("\n")
        rows = (len(parts), width) if width and all(cell_len(part) < width for part in parts) else None
        message.update(line, layout=rows is None or rows != self._message_rows)
        self._message_shown, self._message_rows = line, rows

    def empty_text(self) -> str:
        """Why there is nothing to show."""
        if self.ended == "removed":
            return empty_reason(state="", driver="", since=None, started_at="", removed=True)
        if self.ended not in ("", "end of stream") and not self.ended.startswith("the container stopped"):
            return self.ended
        state = self.inspect.get("State") or {}
        driver = ((self.inspect.get("HostConfig") or {}).get("LogConfig") or {}).get("Type", "")
        return empty_reason(state=str(state.get("Status", "")), driver=driver, since=self.since, started_at=str(state.get("StartedAt", "")))

    def say(self, message: str) -> None:
        self._message = clean(message, limit=300)
        self._update_message()

    # ------------------------------------------------------------- actions
    def action_close(self) -> None:
        self._close_stream()
        self.dismiss(None)

    def action_follow(self) -> None:
        """Toggle following; when a followed stream has ended (the container stopped), reopen it."""
        if self.follow and self.ended:
            self._restart(keep=True)
            return
        self.follow = not self.follow
        if self.follow:
            self._restart(keep=True)
        else:
            self._close_stream()
            self._update_title()

    def action_tail(self) -> None:
        def done(value: str | None) -> None:
            if value is None:
                return
            value = value.strip().lower()
            if value in ("", "all"):
                self.tail = None
            elif value.isdigit():
                self.tail = int(value)
            else:
                self.say(f"tail: not a number: {value!r}")
                return
            self._restart()

        self.app.push_screen(PromptScreen("Show the last N lines (a number, or 'all'):", str(self.tail or "all")), done)

    def action_since(self) -> None:
        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                self.since = parse_since(value)
            except ValueError as error:
                self.say(str(error))
                return
            self._restart()

        self.app.push_screen(PromptScreen("Since (10m, 2h, 1d, 2024-05-01T12:00; empty: from the start):", "", "e.g. 15m"), done)

    def action_timestamps(self) -> None:
        self.view.set_mode(show_timestamps=not self.view.show_timestamps)
        self._update_title()

    def action_wrap(self) -> None:
        self.view.set_mode(wrap=not self.view.wrap)
        self._update_title()

    def action_search(self) -> None:
        def done(value: str | None) -> None:
            if value is None:
                return
            self.apply_search(value)

        current = self.view.pattern.pattern if self.view.pattern else ""
        self.app.push_screen(PromptScreen("Search (regex, case-insensitive; empty clears):", current), done)

    def apply_search(self, value: str) -> bool:
        """Highlight matches of ``value`` and go to the first after the top of the view."""
        try:
            pattern = re.compile(value, re.IGNORECASE) if value else None
        except re.error as error:
            self.say(f"bad regex {value!r}: {error}")
            return False
        self.view.current_match = None
        self.view.set_mode(pattern=pattern)
        self._message = ""
        if pattern is not None and self.view.find(forward=True) is None:
            self.say("no match")
        self._update_message()
        return True

    def action_next_match(self) -> None:
        if self.view.find(forward=True) is None:
            self.say("no further match")

    def action_previous_match(self) -> None:
        if self.view.find(forward=False) is None:
            self.say("no earlier match")

    def action_only_matching(self) -> None:
        if self.view.pattern is None:
            self.say("search first (/), then o shows only the matching lines")
            return
        self.view.set_mode(only_matching=not self.view.only_matching)
        self._update_title()

    def action_save(self) -> None:
        name = str(self.inspect.get("Name", "")).lstrip("/") or self.container_id[:12]
        safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
        default = str(Path.home() / f"{safe_name}-{time.strftime('%Y%m%d-%H%M%S')}.log")

        def done(value: str | None) -> None:
            if value:
                self.say(self.save_to(os.path.expanduser(value.strip())))

        self.app.push_screen(PromptScreen("Save the lines shown to:", default), done)

    def save_to(self, path: str) -> str:
        """Write the lines shown as clean text (timestamp, stream, line); a message about it."""
        lines = self.view.shown_lines()
        try:
            with open(path, "x", encoding="utf-8") as out:
                for line in lines:
                    out.write(f"{line.timestamp} {line.stream} {line.display}\n")
        except FileExistsError:
            return f"not saved: {path} already exists"
        except OSError as error:
            return f"not saved: {error}"
        return f"saved {len(lines)} lines to {path}"
