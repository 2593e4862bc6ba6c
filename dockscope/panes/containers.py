"""Containers: the pane people live in.

One keyed table (rows updated in place), natural order grouped by compose
project, sortable by any column, filtered by a regex or to faulted containers
only. Live CPU/memory only for the rows on screen and the selected one, from
one-shot stats requests with bounded concurrency (see
:mod:`dockscope.engine.stats`), with sparklines for the selected container.
Actions run in workers through :mod:`dockscope.engine.actions`; destructive
ones ask first; under ``--read-only`` they are hidden and refused.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from datetime import datetime

import humanize
from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Sparkline, Static

from dockscope.engine.actions import ActionError, ContainerActions, ReadOnlyError, exec_command
from dockscope.engine.model import Container, HostSnapshot
from dockscope.engine.stats import StatsCollector, StatsSample
from dockscope.panes.base import KeyedTable, TablePane, register
from dockscope.textsafe import clean
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import Selection
from dockscope.ui.text import safe, same_renderable, show_text, state_text

#: Seconds between stats rounds for the rows on screen.
STATS_SECONDS = 2.0
#: Actions that change the host: hidden and refused under --read-only.
WRITE_ACTIONS = frozenset({"start", "stop", "restart", "pause_toggle", "kill", "remove", "exec_shell", "prune"})
STOPPED_STATES = ("exited", "dead", "created")
#: Row keys of compose project headers (container ids are hex, so they never collide).
GROUP_PREFIX = "group:"
#: Where the age ("up 3 hours", "exit 1 2 minutes ago") is in a row: the cell that moves with the clock.
STATUS_COLUMN = 5


def run_in_terminal(argv: list[str], env: dict[str, str]) -> tuple[int | None, str]:
    """Run ``argv`` on the terminal: (exit code, "") or (None, why it could not start). Never raises.

    It runs inside ``App.suspend()``, which takes the terminal back only when
    its block ends without an exception: one raised here would leave the app
    running with the terminal handed away. Ctrl-C typed before the CLI puts the
    terminal in raw mode sends SIGINT to this process too (same process group),
    where asyncio.run's handler would cancel the app and quit dockscope: SIGINT
    goes to a no-op handler meanwhile (not SIG_IGN, which the child would inherit).
    """
    previous = signal.signal(signal.SIGINT, _ignore_signal)
    try:
        return subprocess.run(argv, env=env, check=False).returncode, ""
    except OSError as error:
        return None, error.strerror or str(error)
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore_signal(_number: int, _frame: object) -> None:
    """A SIGINT handler that does nothing (the shell's process gets the Ctrl-C)."""


def parse_docker_time(value: str) -> float | None:
    """Epoch seconds of an RFC 3339 time from inspect; None for Docker's zero time."""
    if not value or value.startswith("0001-"):
        return None
    head, _, rest = value.partition(".")
    zone = "+00:00" if value.endswith("Z") else (rest[-6:] if rest[-6:-5] in "+-" and len(rest) >= 6 else "+00:00")
    try:
        return datetime.fromisoformat(head.removesuffix("Z") + zone).timestamp()
    except ValueError:
        return None


#: Docker resets a container's restart back-off once a run lasted this long: a
#: restarted container running for less is still in its restart loop as far as
#: Docker knows (moby's restartmanager).
RESTART_LOOP_SECONDS = 10.0


def is_faulted(container: Container, now: float | None = None) -> bool:
    """Restarting (or restarted under 10 s ago), unhealthy, exited non-zero, OOM-killed, dead,
    or created but failed to start.

    A restart loop is "running" for a moment between each two deaths; judged on
    its state alone it would blink in and out of the faulted-only view.
    """
    detail = container.detail
    if container.state in ("restarting", "dead") or container.health == "unhealthy":
        return True
    if detail is not None and (detail.oom_killed or (container.state == "created" and detail.error)):
        return True
    if container.state == "running" and detail is not None and detail.restart_count > 0:
        started = parse_docker_time(detail.started_at)
        if started is not None and (now if now is not None else time.time()) - started < RESTART_LOOP_SECONDS:
            return True
    code = container.exit_code
    return container.state in ("exited", "created") and code not in (None, 0)


def search_fields(container: Container) -> list[str]:
    """What the ``/`` filter looks at: name, image, state, health, compose names, labels."""
    fields = [container.name, container.image, container.state, container.health or "", container.short_id]
    fields += [f"{key}={value}" for key, value in container.labels]
    return fields


def matches(container: Container, pattern: re.Pattern[str] | None) -> bool:
    return pattern is None or any(pattern.search(field) for field in search_fields(container))


def _ago(moment: float | None, now: float) -> str:
    return humanize.naturaldelta(max(now - moment, 0)) if moment else ""


def status_text(container: Container, now: float) -> Text:
    """Uptime of a running container, or its exit code (OOM noted) and how long ago."""
    detail = container.detail
    if container.state in ("running", "paused"):
        started = parse_docker_time(detail.started_at) if detail else None
        if started is None:
            # Docker's own words ("Up 3 minutes") until the inspect gives the start time: same case as ours.
            status = re.sub(r"\s*\((?:healthy|unhealthy|health: starting|Paused)\)", "", container.status)
            return safe(re.sub(r"^Up\b", "up", status), "dim")
        return Text(f"up {_ago(started, now)}", style="dim", end="")
    code = container.exit_code
    if container.state == "created" and (detail is None or not detail.error) and not code:
        return Text("never started", style="yellow", end="")
    text = Text(end="")
    if code is not None:
        text.append(f"exit {code}", style="red" if code else "dim")
    if detail is not None and detail.oom_killed:
        text.append(" OOM", style="bold red")
    finished = parse_docker_time(detail.finished_at) if detail else None
    if finished is not None:
        text.append(f" {_ago(finished, now)} ago", style="dim")
    elif not text.plain:
        return safe(container.status, "dim")
    return text


def _memory(sample: StatsSample | None) -> Text:
    if sample is None or sample.memory_used is None:
        return Text("", end="")
    used = humanize.naturalsize(sample.memory_used, binary=True, format="%.0f")
    limit = humanize.naturalsize(sample.memory_limit, binary=True, format="%.0f") if sample.memory_limit else "?"
    percent = sample.memory_percent or 0
    return Text(f"{used}/{limit}", style="red" if percent > 90 else "", end="")


def _cpu(sample: StatsSample | None) -> Text:
    if sample is None or sample.cpu_percent is None:
        return Text("…" if sample is not None else "", style="dim", end="")
    return Text(f"{sample.cpu_percent:.1f}%", style="red" if sample.cpu_percent > 90 else "", end="")


def container_cells(
    container: Container, now: float, sample: StatsSample | None, marked: bool, *, status: Text | None = None
) -> tuple[Text, ...]:
    """The row of one container (every string from Docker made safe); ``status``: its age cell, if made already."""
    detail = container.detail
    restarts = "" if detail is None else str(detail.restart_count)
    name = safe(container.name, "bold")
    if marked:
        name = Text("● ", style="bold magenta", end="") + name
    project = container.compose_project or ""
    service = container.compose_service or ""
    return (
        name,
        state_text(container.state, container.health),
        _cpu(sample),
        _memory(sample),
        Text(restarts, style="red" if restarts not in ("", "0") else "", end=""),
        status if status is not None else status_text(container, now),
        safe(f"{project}/{service}" if service else project),
        safe(container.image),
        safe(", ".join(str(p) for p in container.ports if p.published)),
    )


def sort_values(container: Container, sample: StatsSample | None) -> tuple:
    """Typed values per column, in the column order (None sorts last)."""
    detail = container.detail
    started = parse_docker_time(detail.started_at) if detail else None
    return (
        container.name.lower(),
        (container.state, container.health or ""),
        sample.cpu_percent if sample else None,
        sample.memory_used if sample else None,
        detail.restart_count if detail else None,
        (container.exit_code or 0, -(started or 0)),
        ((container.compose_project or "~").lower(), (container.compose_service or "").lower()),
        container.image.lower(),
        ", ".join(str(p) for p in container.ports if p.published) or None,
    )


def group_cells(project: str, members: list[Container], width: int) -> tuple[Text, ...]:
    """The header row of a compose project: its name, how many run (State) and how many are faulted (Up / exit).

    Short cells: a header's words set its columns' width for every row under it.
    """
    running = sum(1 for c in members if c.state == "running")
    faulted = sum(1 for c in members if is_faulted(c))
    cells = [Text("", end="") for _ in range(width)]
    cells[0] = Text("▾ ", style="bold cyan", end="") + safe(project, "bold cyan")
    cells[1] = Text(f"{running}/{len(members)} running", style="dim", end="")
    if faulted:
        cells[STATUS_COLUMN] = Text(f"{faulted} faulted", style="bold red", end="")
    return tuple(cells)


class StatsStrip(Horizontal):
    """CPU and memory sparklines of the selected container."""

    DEFAULT_CSS = """
    StatsStrip { height: 1; }
    StatsStrip Static { width: auto; padding: 0 1; }
    StatsStrip Sparkline { width: 1fr; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="cpu-label")
        yield Sparkline([], id="cpu-spark")
        yield Static(id="mem-label")
        yield Sparkline([], id="mem-spark")

    def show(self, name: str, history: tuple[StatsSample, ...], state: str = "running") -> None:
        """Sparklines of ``history``; a container not running has no current figures (its
        past samples stay drawn), and "…" means a running one's first sample is on its way."""
        cpu = [s.cpu_percent for s in history if s.cpu_percent is not None]
        memory = [float(s.memory_used) for s in history if s.memory_used is not None]
        latest = history[-1] if history else None
        if state != "running" and name:
            cpu_label = safe(f"CPU  – ({state})", "dim")
            memory_label = Text("MEM –", style="dim", end="")
        else:
            cpu_label = Text(f"CPU {cpu[-1]:5.1f}%" if cpu else "CPU    …", end="")
            memory_label = Text("MEM ", end="") + _memory(latest)
        show_text(self.query_one("#cpu-label", Static), safe(name[:20], "bold") + Text(" ") + cpu_label)
        show_text(self.query_one("#mem-label", Static), memory_label)
        self.query_one("#cpu-spark", Sparkline).data = cpu
        self.query_one("#mem-spark", Sparkline).data = memory


@register
class ContainersPane(TablePane):
    """All containers, grouped by compose project."""

    DEFAULT_CSS = """
    ContainersPane #containers-filter { display: none; dock: top; height: 1; border: none; padding: 0 1; }
    ContainersPane #containers-filter.shown { display: block; }
    ContainersPane #containers-message { height: auto; min-height: 1; max-height: 3; padding: 0 1; color: $text-muted; }
    """

    pane_id = "containers"
    title = "Containers"
    key = "c"
    order = 10
    kind = "container"
    columns = (
        ("name", "Name"),
        ("state", "State"),
        ("cpu", "CPU"),
        ("memory", "Memory"),
        ("restarts", "Rst"),
        ("status", "Up / exit"),
        ("project", "Project/service"),
        ("image", "Image"),
        ("ports", "Ports"),
    )

    BINDINGS = [
        Binding("enter", "detail", "Detail", show=False),
        Binding("L", "logs", "Logs"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse", show=False),
        Binding("f", "faulted", "Faulted"),
        Binding("space", "mark", "Mark", show=False),
        Binding("escape", "clear", "Clear", show=False),
        Binding("u", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("R", "restart", "Restart"),
        Binding("p", "pause_toggle", "Pause"),
        Binding("K", "kill", "Kill", show=False),
        Binding("D", "remove", "Remove"),
        Binding("e", "exec_shell", "Shell"),
        Binding("P", "prune", "Prune", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: HostSnapshot | None = None
        self.pattern: re.Pattern[str] | None = None
        self.faulted_only = False
        self.marked: set[str] = set()
        self._stats: StatsCollector | None = None
        #: Containers with a new sample since the last flush (appended by the stats threads).
        self._sampled: deque[str] = deque()
        self._inspect_asked: set[str] = set()
        #: container id -> ((container, sample, marked), cells) of the last rows built.
        self._row_cache: dict[str, tuple[tuple, tuple[Text, ...]]] = {}
        self._message = Text(end="")

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield KeyedTable(self.columns, id=f"{self.pane_id}-table")
        yield Input(placeholder="filter: regex on name, image, state, label (Enter applies, empty clears)", id="containers-filter")
        yield StatsStrip()
        yield Static(id="containers-message")

    def on_mount(self) -> None:
        self.set_interval(STATS_SECONDS, self._stats_round)
        # Once per round: every cell update makes the DataTable render all its rows on screen again.
        self.set_interval(STATS_SECONDS, self._flush_stats)

    def on_unmount(self) -> None:
        if self._stats is not None:
            self._stats.close()

    def say(self, message: str, style: str = "") -> None:
        """One line under the table (cleaned: it may quote Docker's words)."""
        self._message = Text(clean(message, limit=400), style=style, end="")
        self._render_message()

    def _render_message(self) -> None:
        line = Text(end="")
        if self.snapshot is not None and (self.pattern is not None or self.faulted_only):
            what = " + ".join(w for w, on in (("filter", self.pattern is not None), ("faulted only", self.faulted_only)) if on)
            shown = len(self.visible_containers(self.snapshot))
            line.append(f"[{shown}/{len(self.snapshot.containers)} {what}, Esc clears] ", style="bold cyan")
        if self.marked:
            line.append(f"[{len(self.marked)} marked] ", style="bold magenta")
        line.append_text(self._message)
        show_text(self.query_one("#containers-message", Static), line)

    # ------------------------------------------------------------------ rows
    def visible_containers(self, snapshot: HostSnapshot) -> list[Container]:
        return [c for c in snapshot.containers if matches(c, self.pattern) and (not self.faulted_only or is_faulted(c))]

    def _sample(self, container_id: str) -> StatsSample | None:
        return self._stats.latest(container_id) if self._stats is not None else None

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        """Container rows; in the natural order, a header row opens each compose project."""
        now = time.time()
        visible = self.visible_containers(snapshot)
        grouped = self.table.sort_column is None
        rows: dict[str, tuple[Text, ...]] = {}
        cache: dict[str, tuple[tuple, tuple[Text, ...]]] = {}
        for container in visible:
            project = container.compose_project
            if grouped and project and GROUP_PREFIX + project not in rows:
                members = [c for c in visible if c.compose_project == project]
                rows[GROUP_PREFIX + project] = group_cells(project, members, len(self.columns))
            rows[container.id] = self._cells(container, now, cache)
        self._row_cache = cache
        return rows

    def _cells(self, container: Container, now: float, cache: dict) -> tuple[Text, ...]:
        """The row of ``container``, the same tuple as last time when nothing in it changed.

        Building every cell of 500 rows on each snapshot cost a quarter of a second; a
        row is rebuilt only when its container, sample or mark changed, and only its age
        otherwise (the one cell that moves with the clock).
        """
        sample = self._sample(container.id)
        key = (container, sample, container.id in self.marked)
        status = status_text(container, now)
        hit = self._row_cache.get(container.id)
        if hit is not None and hit[0] == key:
            cells = hit[1]
            if not same_renderable(cells[STATUS_COLUMN], status):
                cells = cells[:STATUS_COLUMN] + (status,) + cells[STATUS_COLUMN + 1 :]
        else:
            cells = container_cells(container, now, sample, key[2], status=status)
        cache[container.id] = (key, cells)
        return cells

    def sort_values(self, snapshot: HostSnapshot) -> dict[str, tuple] | None:
        """Typed sort values per row; only needed (and computed) when sorted by a column."""
        if self.table.sort_column is None:
            return None
        return {c.id: sort_values(c, self._sample(c.id)) for c in self.visible_containers(snapshot)}

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot
        self.marked &= set(snapshot.container_by_id)
        if self._stats is not None:
            self._stats.forget(snapshot.container_by_id)
        self._resync()
        self._ask_inspects()

    def _resync(self) -> None:
        if self.snapshot is None:
            return
        self.table.sync(self.rows(self.snapshot), self.sort_values(self.snapshot))
        self._render_message()
        self._show_strip()

    # ----------------------------------------------------------------- stats
    def rows_on_screen(self) -> list[str]:
        """Ids of the rows inside the table's viewport, plus the selected row."""
        table = self.table
        if not table.row_count:
            return []
        first = int(table.scroll_y)
        height = max(table.size.height - 1, 1)
        keys = [table.ordered_rows[i].key.value for i in range(first, min(first + height, table.row_count))]
        current = table.current_key
        if current is not None and current not in keys:
            keys.append(current)
        return [k for k in keys if k is not None]

    def _collector(self) -> StatsCollector:
        if self._stats is None:
            session = self.app.session
            self._stats = StatsCollector(lambda: session.open_client(timeout=10), self._on_sample_thread)
        return self._stats

    def _stats_round(self) -> None:
        if self.snapshot is None or self.snapshot.stale or not self.display or not self.is_on_screen:
            return
        if self.app.screen is not self.screen:  # covered (logs view, detail, a dialog): nobody sees the numbers
            return
        running = [cid for cid in self.rows_on_screen() if (c := self.snapshot.container_by_id.get(cid)) and c.state == "running"]
        if running:
            self._collector().request(running, first=self.table.current_key)

    def _on_sample_thread(self, sample: StatsSample) -> None:
        self._sampled.append(sample.container_id)

    def _flush_stats(self) -> None:
        """Show the new samples: only their rows' CPU and memory cells (a full resync costs O(rows))."""
        sampled: set[str] = set()
        while self._sampled:
            sampled.add(self._sampled.popleft())
        if not sampled or self.snapshot is None:
            return
        if self.table.sort_column in ("cpu", "memory"):
            self._resync()  # the order may change
            return
        table = self.table
        for container_id in sampled:
            sample = self._sample(container_id)
            table.update_row(container_id, {"cpu": _cpu(sample), "memory": _memory(sample)})
        if table.current_key in sampled:
            self._show_strip()

    def _show_strip(self) -> None:
        key = self.table.current_key
        container = self.snapshot.container_by_id.get(key) if self.snapshot and key else None
        history = self._stats.history(key) if self._stats is not None and key else ()
        self.query_one(StatsStrip).show(container.name if container else "", history, container.state if container else "running")

    def _ask_inspects(self) -> None:
        """Inspect the rows on screen once (restart count, OOM, start time)."""
        if self.snapshot is None:
            return
        wanted = [
            cid for cid in self.rows_on_screen()
            if cid not in self._inspect_asked and (c := self.snapshot.container_by_id.get(cid)) and c.detail is None
        ]
        if wanted:
            self._inspect_asked.update(wanted)
            self.app.request_refresh((), wanted)

    @property
    def current_container(self) -> str | None:
        """The container id under the cursor (None on a project header)."""
        key = self.table.current_key
        return None if key is None or key.startswith(GROUP_PREFIX) else key

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if str(event.row_key.value).startswith(GROUP_PREFIX):
            event.stop()
            return
        super().on_data_table_row_highlighted(event)
        if self.snapshot is not None:
            self._show_strip()
            self._ask_inspects()

    # ---------------------------------------------------------- view actions
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_detail()

    def action_detail(self) -> None:
        key = self.current_container
        if key is None:
            return
        from dockscope.panes.container_detail import ContainerDetailScreen

        self.app.push_screen(ContainerDetailScreen(key))

    def action_logs(self) -> None:
        key = self.current_container
        if key is None:
            return
        from dockscope.panes.container_logs import ContainerLogsScreen

        self.app.push_screen(ContainerLogsScreen(key))

    def action_filter(self) -> None:
        box = self.query_one("#containers-filter", Input)
        box.add_class("shown")
        box.value = self.pattern.pattern if self.pattern else ""
        self.screen.set_focus(box)  # at once: keys typed right after "/" must not reach the table's actions

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "containers-filter":
            return
        event.stop()
        if self.apply_filter(event.value):
            event.input.remove_class("shown")
            self.screen.set_focus(self.table)

    def apply_filter(self, text: str) -> bool:
        """Filter by a regex (case-insensitive); a bad regex changes nothing and says why."""
        try:
            self.pattern = re.compile(text, re.IGNORECASE) if text else None
        except re.error as error:
            self.say(f"bad regex {text!r}: {error}; filter unchanged", "bold red")
            return False
        self.say("")
        self._resync()
        return True

    def action_sort(self) -> None:
        ids = (None,) + self.table.column_ids
        column = ids[(ids.index(self.table.sort_column) + 1) % len(ids)]
        self.table.sort_by(column, self.table.sort_reverse)
        self._resync()  # project headers only in the natural order
        label = dict(self.columns).get(column or "", "") if column else "natural (by project)"
        self.say(f"sorted by {label}{' (reversed)' if self.table.sort_reverse else ''}")

    def action_reverse_sort(self) -> None:
        self.table.sort_by(self.table.sort_column, not self.table.sort_reverse)
        self.say("sort reversed" if self.table.sort_reverse else "sort ascending")

    def action_faulted(self) -> None:
        self.faulted_only = not self.faulted_only
        self.say("faulted only: restart loop, unhealthy, exit≠0, OOM-killed, dead, start failed" if self.faulted_only else "")
        self._resync()

    def action_mark(self) -> None:
        key = self.current_container
        if key is not None:
            self.marked ^= {key}
        self._resync()
        row = self.table.cursor_row
        if row + 1 < self.table.row_count:
            self.table.move_cursor(row=row + 1)

    def action_clear(self) -> None:
        """Escape: close the filter box, else clear marks/filter/faulted-only, else go back (app)."""
        box = self.query_one("#containers-filter", Input)
        if box.has_class("shown"):
            box.remove_class("shown")
            self.screen.set_focus(self.table)
            return
        if not (self.marked or self.pattern is not None or self.faulted_only):
            raise SkipAction()  # nothing to clear: let the app's Escape (back) run
        self.marked.clear()
        self.pattern = None
        self.faulted_only = False
        self.say("")
        self._resync()

    # --------------------------------------------------------- write actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Under --read-only the write actions are hidden from the footer and cannot run."""
        if action in WRITE_ACTIONS and getattr(self.app, "read_only", True):
            return False
        return True

    def _refuse_if_read_only(self, action: str) -> bool:
        if getattr(self.app, "read_only", True):
            self.say(str(ReadOnlyError(action)), "yellow")
            return True
        return False

    def targets(self) -> list[Container]:
        """Marked containers, else the one under the cursor."""
        if self.snapshot is None:
            return []
        by_id = self.snapshot.container_by_id
        if self.marked:
            order = [row.key.value for row in self.table.ordered_rows]
            return [by_id[c] for c in order if c in self.marked and c in by_id]
        key = self.table.current_key
        return [by_id[key]] if key in by_id else []

    def _ask(self, verb: str, targets: list[Container], then: Callable[[], None], note: str = "") -> None:
        """Confirm naming each short id and name (and the count), default No."""
        question = Text(f"{verb} {len(targets)} container{'s' if len(targets) != 1 else ''}?\n\n", style="bold", end="")
        for container in targets[:12]:
            question.append(f"  {container.short_id}  ", style="cyan")
            question.append_text(safe(container.name, "bold"))
            question.append_text(Text(f"  ({container.state})\n", style="dim"))
        if len(targets) > 12:
            question.append(f"  … and {len(targets) - 12} more\n", style="dim")
        if note:
            question.append(f"\n{note}", style="yellow")
        self.app.push_screen(ConfirmScreen(question, yes_label=verb), lambda yes: then() if yes else self.say(f"{verb.lower()}: cancelled"))

    def _action(self, action: str, verb: str, *, confirm: bool, note: str = "", **options) -> None:
        if self._refuse_if_read_only(action):
            return
        targets = self.targets()
        if not targets:
            return
        run = partial(self._run_bulk, action, [(c.id, c.name) for c in targets], options)
        if confirm:
            self._ask(verb, targets, run, note)
        else:
            run()

    def action_start(self) -> None:
        self._action("start", "Start", confirm=False)

    def action_stop(self) -> None:
        self._action("stop", "Stop", confirm=True, note="Each gets SIGTERM, then SIGKILL after 10 s.")

    def action_restart(self) -> None:
        self._action("restart", "Restart", confirm=True)

    def action_kill(self) -> None:
        self._action("kill", "Kill", confirm=True, note="SIGKILL: no clean shutdown.")

    def action_remove(self) -> None:
        running = [c for c in self.targets() if c.state in ("running", "restarting", "paused")]
        note = f"{len(running)} still running: killed first (SIGKILL), then removed." if running else ""
        self._action("remove", "Remove", confirm=True, note=note, force=bool(running))

    def action_pause_toggle(self) -> None:
        targets = self.targets()
        if targets and all(c.state == "paused" for c in targets):
            self._action("unpause", "Unpause", confirm=False)
        else:
            self._action("pause", "Pause", confirm=False)

    @contextmanager
    def _actions(self) -> Iterator[ContainerActions]:
        """Actions on a client of their own (long timeout: a stop waits for the container), closed after."""
        client = self.app.session.open_client(timeout=60)
        try:
            yield ContainerActions(client, read_only=self.app.read_only)
        finally:
            client.close()  # no socket kept between actions (the app's budget is four)

    @work(thread=True, exit_on_error=False, group="container-actions")
    def _run_bulk(self, action: str, targets: list[tuple[str, str]], options: dict) -> None:
        self.app.call_from_thread(self.say, f"{action}: {len(targets)} container(s)…")
        try:
            with self._actions() as actions:
                results = actions.bulk(action, targets, **options)
        except Exception as error:  # read-only or a connection failure: say it, never crash
            self.app.call_from_thread(self.say, str(error), "bold red")
            return
        self.app.call_from_thread(self._after_action, action, results)

    def _after_action(self, action: str, results) -> None:
        failed = [r for r in results if not r.ok]
        if failed:
            self.say(" | ".join(r.message for r in failed), "bold red")
        else:
            self.say(f"{action}: done for {len(results)} container(s)", "green")
        if action != "remove":
            self.marked.clear()
        self.app.request_refresh(("containers",), [r.container_id for r in results if action != "remove"])

    def action_prune(self) -> None:
        if self._refuse_if_read_only("prune") or self.snapshot is None:
            return
        stopped = [c for c in self.snapshot.containers if c.state in STOPPED_STATES]
        if not stopped:
            self.say("prune: no stopped container on this host")
            return
        self._ask("Prune", stopped, self._run_prune, note="Removes ALL stopped containers on this host (docker container prune).")

    @work(thread=True, exit_on_error=False, group="container-actions")
    def _run_prune(self) -> None:
        try:
            with self._actions() as actions:
                removed, reclaimed = actions.prune()
        except Exception as error:  # read-only, a refusal or a connection failure
            self.app.call_from_thread(self.say, str(error), "bold red")
            return
        message = f"prune: removed {len(removed)} container(s), reclaimed {humanize.naturalsize(reclaimed)}"
        self.app.call_from_thread(self.say, message, "green")
        self.app.call_from_thread(self.app.request_refresh, ("containers", "images", "volumes"))

    def action_exec_shell(self) -> None:
        if self._refuse_if_read_only("exec"):
            return
        key = self.table.current_key
        container = self.snapshot.container_by_id.get(key) if self.snapshot and key else None
        if container is not None:
            self._prepare_exec(container.id, container.name)

    @work(thread=True, exit_on_error=False, group="container-actions")
    def _prepare_exec(self, container_id: str, name: str) -> None:
        try:
            with self._actions() as actions:
                shell = actions.find_shell(container_id, name)
            argv, env = exec_command(self.app.session.endpoint, container_id, shell)
        except (ActionError, ReadOnlyError) as error:
            self.app.call_from_thread(self.say, str(error), "bold red")
            return
        except Exception as error:  # a connection failure
            self.app.call_from_thread(self.say, f"exec: {error}", "bold red")
            return
        self.app.call_from_thread(self._run_exec, argv, env, container_id, name)

    def _run_exec(self, argv: list[str], env: dict[str, str], container_id: str, name: str) -> None:
        """Give the terminal to ``docker exec -it`` and take it back after."""
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                code, failure = run_in_terminal(argv, env)
        except SuspendNotSupported:
            self.say("exec: this terminal cannot be handed over (no suspend support here)", "bold red")
            return
        if code is None:
            self.say(f"exec: could not start {argv[0]}: {failure}", "bold red")
            return
        self.say(f"shell in {name} ended (exit {code})", "red" if code not in (0, 130) else "")
        self._check_after_exec(container_id, name, code)

    @work(thread=True, exit_on_error=False, group="container-actions")
    def _check_after_exec(self, container_id: str, name: str, code: int) -> None:
        """Say so when the container stopped under the shell (an exit 137 alone reads like the shell's fault).

        The daemon may record the container's exit a moment after the exec's:
        after a failed shell the state is asked again for up to 2 s.
        """
        stopped = ""
        try:
            with self._actions() as actions:
                for _ in range(4 if code else 1):
                    state = actions.client.inspect_container(container_id)["State"]
                    if not state.get("Running"):
                        stopped = f"{state.get('Status', 'stopped')}, exit {state.get('ExitCode')}"
                        break
                    time.sleep(0.5)
        except Exception:  # removed under the shell (404) or the daemon is unreachable: the refresh tells
            stopped = ""
        if stopped:
            message = f"shell in {name} ended (exit {code}): the container is no longer running ({stopped})"
            self.app.call_from_thread(self.say, message, "bold red")
        self.app.call_from_thread(self.app.request_refresh, ("containers",), [container_id])

    # ------------------------------------------------------------- selection
    def _has_row(self, key: str) -> bool:
        try:
            self.table.get_row_index(key)
        except Exception:  # RowDoesNotExist
            return False
        return True

    def select(self, selection: Selection) -> bool:
        hidden = self.snapshot is not None and selection.key in self.snapshot.container_by_id and not self._has_row(selection.key)
        if selection.kind == self.kind and hidden:
            self.pattern, self.faulted_only = None, False
            self._resync()
        return super().select(selection)
