"""Volumes: who uses them, what is left over, bind mounts, and data that will not survive.

Rows are volumes (named or anonymous) with their users, running and stopped;
a volume no container mounts is orphaned and may be removed or pruned (asked
first, default No; impossible with ``--read-only``). Sizes come from
``/system/df``, fetched on demand. ``b`` shows bind mounts per container and
``w`` looks for running containers writing outside any volume.
"""

from __future__ import annotations

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from dockscope.engine.ephemeral import UnprotectedWrites, check_containers
from dockscope.engine.model import Container, HostSnapshot, Volume
from dockscope.panes.base import KeyedTable, TablePane, register
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import ObjectSelected, Selection
from dockscope.ui.text import safe, show_text

#: Seconds between the two samples of the writable layers.
WRITE_CHECK_INTERVAL = 1.5


def _users(volume: Volume, snapshot: HostSnapshot) -> tuple[list[Container], list[Container]]:
    found = [snapshot.container_by_id[c] for c in volume.container_ids if c in snapshot.container_by_id]
    return [c for c in found if c.state == "running"], [c for c in found if c.state != "running"]


def volume_cells(volume: Volume, snapshot: HostSnapshot) -> tuple[Text, ...]:
    running, stopped = _users(volume, snapshot)
    return (
        safe(volume.name[:12] + "…" if volume.anonymous else volume.name, "dim" if volume.anonymous else "bold", limit=64),
        safe(volume.driver),
        safe("anonymous" if volume.anonymous else "named", "dim" if volume.anonymous else ""),
        safe("…" if volume.size is None else humanize.naturalsize(volume.size, gnu=True)),
        Text("orphaned", style="yellow", end="") if volume.orphaned else safe(", ".join(c.name for c in running)),
        safe(", ".join(c.name for c in stopped), "dim"),
        safe(volume.mountpoint, "dim"),
    )


def bind_rows(snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
    """One row per bind mount, keyed ``container id`` NUL ``destination``."""
    rows = {}
    for container in snapshot.containers:
        for mount in container.mounts:
            if mount.type == "bind":
                rows[f"{container.id}\0{mount.destination}"] = (
                    safe(container.name, "bold"),
                    safe(container.state, "green" if container.state == "running" else "dim"),
                    safe(mount.source),
                    safe(mount.destination),
                    safe("rw" if mount.rw else "ro", "" if mount.rw else "dim"),
                )
    return rows


def volume_detail(volume: Volume, snapshot: HostSnapshot) -> Text:
    """Who mounts the volume, where, and what can be done with it."""
    text = Text(end="")
    text.append_text(safe(volume.name, "bold", limit=128))
    text.append(f"  {'anonymous' if volume.anonymous else 'named'} {volume.driver} volume", style="dim")
    if volume.size is not None:
        text.append(f"  {humanize.naturalsize(volume.size)}")
    for container in (snapshot.container_by_id[c] for c in volume.container_ids if c in snapshot.container_by_id):
        destinations = [m.destination + ("" if m.rw else " (ro)") for m in container.mounts if m.name == volume.name]
        text.append("\n  ")
        text.append_text(safe(container.name, "bold"))
        text.append(f" [{container.state}] ", style="green" if container.state == "running" else "dim")
        text.append_text(safe(", ".join(destinations)))
    if volume.orphaned:
        text.append("\n  orphaned: no container mounts it (d: remove, p: prune every orphaned volume)", style="yellow")
    return text


def writes_text(reports: tuple[UnprotectedWrites, ...] | None) -> Text:
    if reports is None:
        return Text("o: look for running containers writing outside any volume", style="dim", end="")
    if not reports:
        return Text("no running container writes outside its volumes", style="green", end="")
    text = Text("Data that will not survive docker rm:", style="bold yellow", end="")
    for report in reports:
        text.append("\n  ")
        text.append_text(safe(report.summary(), "red" if report.growing else "yellow", limit=300))
    return text


class GrowingTable(KeyedTable):
    """A keyed table whose columns widen when a cell grows (sizes arrive after the first draw)."""

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=True)


@register
class VolumesPane(TablePane):
    """Volumes and their users."""

    pane_id = "volumes"
    title = "Volumes"
    key = "v"
    order = 40
    kind = "volume"
    columns = (
        ("name", "Name"),
        ("driver", "Driver"),
        ("type", "Type"),
        ("size", "Size"),
        ("running", "Used by (running)"),
        ("stopped", "Used by (stopped)"),
        ("mountpoint", "Mountpoint"),
    )
    bind_columns = (("container", "Container"), ("state", "State"), ("source", "Host path"), ("destination", "Destination"), ("mode", "Mode"))

    DEFAULT_CSS = """
    VolumesPane #volume-detail { height: auto; max-height: 12; border-top: solid $panel; padding: 0 1; }
    VolumesPane #volumes-binds { display: none; }
    VolumesPane.binds #volumes-binds { display: block; }
    VolumesPane.binds #volumes-table { display: none; }
    """

    BINDINGS = [
        Binding("s", "sizes", "Sizes"),
        Binding("b", "toggle_binds", "Bind mounts"),
        Binding("o", "check_writes", "Writes outside volumes"),
        Binding("d", "remove", "Remove orphaned"),
        Binding("p", "prune", "Prune orphaned"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: HostSnapshot | None = None
        self.write_reports: tuple[UnprotectedWrites, ...] | None = None
        self.notice = ""

    def compose(self) -> ComposeResult:
        yield GrowingTable(self.columns, id="volumes-table")
        yield GrowingTable(self.bind_columns, id="volumes-binds")
        yield Static(id="volume-detail")

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#volumes-table", KeyedTable)

    @property
    def binds_table(self) -> KeyedTable:
        return self.query_one("#volumes-binds", KeyedTable)

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        return {v.name: volume_cells(v, snapshot) for v in snapshot.volumes}

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot
        super().show_snapshot(snapshot)
        self.binds_table.sync(bind_rows(snapshot))
        self._show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "volumes-binds":
            event.stop()
            key = event.row_key.value or ""
            self.post_message(ObjectSelected(Selection("container", key.split("\0", 1)[0])))
            return
        super().on_data_table_row_highlighted(event)
        self._show_detail()

    @property
    def selected(self) -> Volume | None:
        key = self.table.current_key
        return self.snapshot.volume_by_name.get(key) if self.snapshot and key else None

    def _show_detail(self) -> None:
        text = Text(end="")
        volume = self.selected
        if volume is not None and self.snapshot is not None:
            text.append_text(volume_detail(volume, self.snapshot))
            text.append("\n")
        text.append_text(writes_text(self.write_reports))
        if self.notice:
            text.append("\n")
            text.append_text(safe(self.notice, "yellow", limit=400))
        show_text(self.query_one("#volume-detail", Static), text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed size fetch, write check or removal is said here, not lost."""
        if event.state == WorkerState.ERROR and event.worker.group.startswith("volume-"):
            self._say(f"{event.worker.group.removeprefix('volume-')} failed: {event.worker.error}")

    def _say(self, notice: str) -> None:
        self.notice = notice
        self._show_detail()

    # ------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Under --read-only, removing is neither shown nor possible."""
        return not (action in ("remove", "prune") and self.app.read_only)

    def action_toggle_binds(self) -> None:
        self.toggle_class("binds")
        (self.binds_table if self.has_class("binds") else self.table).focus()

    def action_sizes(self) -> None:
        self._say("fetching sizes (docker system df)…")
        self._fetch_sizes()

    @work(thread=True, exit_on_error=False, group="volume-sizes")
    def _fetch_sizes(self) -> None:
        snapshot = self.app.session.disk_usage()
        self.app.call_from_thread(self.app.apply_snapshot, snapshot)
        self.app.call_from_thread(self._say, "")

    def action_check_writes(self) -> None:
        if self.snapshot is None:
            return
        self._say("sampling the writable layers of running containers…")
        self._check_writes(self.snapshot.containers_in(("running",)))

    @work(thread=True, exit_on_error=False, exclusive=True, group="volume-writes")
    def _check_writes(self, containers: tuple[Container, ...]) -> None:
        reports = check_containers(self.app.session.client, containers, WRITE_CHECK_INTERVAL)
        self.app.call_from_thread(self._writes_checked, reports)

    def _writes_checked(self, reports: tuple[UnprotectedWrites, ...]) -> None:
        self.write_reports = reports
        self._say("")

    def _orphans(self) -> list[str]:
        return [v.name for v in self.snapshot.volumes if v.orphaned] if self.snapshot else []

    def action_remove(self) -> None:
        volume = self.selected
        if self.app.read_only:
            self._say("read-only: nothing can be removed")
        elif volume is None or not volume.orphaned:
            self._say("only an orphaned volume can be removed here")
        else:
            self._confirm_removal([volume.name])

    def action_prune(self) -> None:
        if self.app.read_only:
            self._say("read-only: nothing can be removed")
        elif not self._orphans():
            self._say("no orphaned volume")
        else:
            self._confirm_removal(self._orphans())

    def _confirm_removal(self, names: list[str]) -> None:
        question = Text(f"Remove {len(names)} orphaned volume{'s' if len(names) > 1 else ''} and the data in {'them' if len(names) > 1 else 'it'}?\n", style="bold", end="")
        for name in names[:20]:
            question.append("\n  ")
            question.append_text(safe(name, limit=100))
        if len(names) > 20:
            question.append(f"\n  … and {len(names) - 20} more")

        def answered(yes: bool | None) -> None:
            if yes and not self.app.read_only:
                self._say(f"removing {len(names)} volume(s)…")
                self._remove(names)

        self.app.push_screen(ConfirmScreen(question, yes_label="Remove"), answered)

    @work(thread=True, exit_on_error=False, group="volume-remove")
    def _remove(self, names: list[str]) -> None:
        failures = []
        for name in names:
            try:
                self.app.session.client.remove_volume(name)
            except Exception as error:  # in use meanwhile, or already gone: say which
                failures.append(f"{name}: {getattr(error, 'explanation', None) or error}")
        self.app.call_from_thread(self._removed, len(names) - len(failures), failures)

    def _removed(self, removed: int, failures: list[str]) -> None:
        self._say(f"removed {removed} volume(s)" + ("; failed: " + "; ".join(failures) if failures else ""))
        self.app.request_refresh(("volumes", "containers"))
