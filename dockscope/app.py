"""The Textual app: owns the snapshot and the selection; panes are views.

All Docker I/O runs in thread workers. One engine call is in flight at a
time: events and timers only add to a pending set, and the next call starts
when the previous one ends (so polls never overlap and a slow daemon cannot
pile up requests). Snapshots with an older sequence number are dropped.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.css.query import NoMatches
from textual.events import Event, Key, MouseDown
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from dockscope import heap, timeline
from dockscope.engine.events import DockerEvent, EventFeed, refresh_targets
from dockscope.engine.model import HostSnapshot
from dockscope.engine.session import INSPECT_MAX_AGE, INSPECT_MAX_AGE_FOLLOWING, KINDS, HostSession
from dockscope.panes import PANE_MODULES, Pane, pane_class
from dockscope.ui.footer import Footer
from dockscope.ui.messages import ObjectSelected, OpenPane, Selection
from dockscope.ui.text import safe

FULL_POLL_SECONDS = 10.0
RECONNECT_POLL_SECONDS = 1.0
DISK_USAGE_SECONDS = 120.0
#: Seconds between returning freed heap to the system (see dockscope.heap).
HEAP_TRIM_SECONDS = 30.0
EVENT_DEBOUNCE_SECONDS = 0.15
#: Most containers inspected per call in the background (faulted ones first).
INSPECT_BATCH = 25


class StatusBar(Widget):
    """Connection state, age of data, daemon version, endpoint and why it was chosen.

    Redrawn every second for the age, so it repaints without a layout pass
    unless the number of lines it needs (one when wide, two when narrow) changes.
    """

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 2; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._line = Text()

    def show(self, line: Text) -> None:
        if line.plain == self._line.plain and line.spans == self._line.spans:
            return
        relayout = self._lines_needed(line) != self._lines_needed(self._line)
        self._line = line
        self.refresh(layout=relayout)

    def _lines_needed(self, line: Text) -> int:
        return 1 if line.cell_len <= max(self.size.width, 1) else 2

    def on_resize(self) -> None:
        self.refresh(layout=True)

    def render(self) -> Text:
        return self._line


class DockscopeApp(App[int]):
    """dockscope's terminal UI."""

    TITLE = "dockscope"
    CSS = """
    Screen { layout: vertical; }
    ContentSwitcher { height: 1fr; }
    #stale { height: 1; background: $error; color: $text; padding: 0 1; display: none; }
    #stale.shown { display: block; }
    """

    BINDINGS = [
        Binding("m", "show_pane('map')", "Map"),
        Binding("c", "show_pane('containers')", "Containers"),
        Binding("i", "show_pane('images')", "Images"),
        Binding("n", "show_pane('networks')", "Networks"),
        Binding("v", "show_pane('volumes')", "Volumes"),
        Binding("l", "show_pane('daemon_logs')", "Daemon log"),
        Binding("w", "troubleshoot", "Troubleshoot"),
        Binding("g", "relations", "Go to related"),
        Binding("escape,backspace", "back", "Back", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    # repaint=False: an app reactive repaints the whole screen when set (a full 200x50
    # frame per poll and per cursor move); panes redraw what the change touches.
    snapshot: reactive[HostSnapshot | None] = reactive(None, always_update=True, repaint=False)
    selection: reactive[Selection | None] = reactive(None, repaint=False)

    def __init__(
        self,
        session: HostSession,
        *,
        read_only: bool = False,
        daemon_log: str | None = None,
        start_pane: str = "map",
        poll_seconds: float = FULL_POLL_SECONDS,
        events: bool = True,
        first_snapshot: HostSnapshot | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        #: Taken while Textual was being imported (see cli.run_app): shown on the first frame.
        self._first_snapshot = first_snapshot
        self.read_only = read_only
        self.daemon_log = daemon_log
        self.start_pane = start_pane
        self.poll_seconds = poll_seconds
        self.use_events = events
        self._pending_kinds: set[str] = set()
        self._pending_ids: set[str] = set()
        self._in_flight = False
        #: Until the first frame is drawn no engine call starts (see on_mount).
        self._engine_held = False
        self._events_feed: EventFeed | None = None
        self._events_from_nano = 0
        self._status_error = ""
        self._banner = ""
        #: Where linked navigation came from: (pane id, selection) pairs; Escape pops one.
        self.nav_stack: list[tuple[str, Selection | None]] = []
        #: pane id -> seq of the snapshot it shows (hidden panes catch up when shown).
        self._shown_seq: dict[str, int] = {}
        #: Full collections when nobody types, and heap trimming (see dockscope.heap).
        self.housekeeper = heap.Housekeeper()

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="stale")
        with ContentSwitcher(initial=self.start_pane):
            yield self._new_pane(self.start_pane)
        yield Footer()
        timeline.mark("composed")

    def _new_pane(self, pane_id: str) -> Pane:
        """Make pane ``pane_id``; only the start pane is made at start, the others when first shown.

        Composing, styling and mounting all six panes (and importing their
        modules) was a third of the time before the first frame.
        """
        cls = pane_class(pane_id)
        pane = cls(daemon_log=self.daemon_log, id=pane_id) if pane_id == "daemon_logs" else cls(id=pane_id)
        if pane_id == "map":
            pane.api_version = self.session.api_version
        return pane

    def _pane(self, pane_id: str) -> Pane | None:
        """Pane ``pane_id`` if it was made (it may still be mounting: see :meth:`panes`)."""
        try:
            return self.base_screen.query_one(ContentSwitcher).get_child_by_id(pane_id, Pane)
        except NoMatches:
            return None

    @property
    def base_screen(self):
        """The screen holding the panes; ``self.query`` only sees the top screen (a pushed dialog)."""
        return self.screen_stack[0] if self.screen_stack else None

    def _panes_ready(self) -> bool:
        """False while the app starts or shuts down (no panes to update)."""
        screen = self.base_screen
        if screen is None:
            return False
        try:  # a direct child: no walk over the whole screen, as query() does, every second
            screen.get_child_by_id("status")
        except NoMatches:
            return False
        return True

    @property
    def panes(self) -> list[Pane]:
        """The panes made so far whose widgets exist (a pane just made is mounted a moment later)."""
        if not self._panes_ready():
            return []
        children = self.base_screen.query_one(ContentSwitcher).children
        return [child for child in children if isinstance(child, Pane) and child.is_mounted]

    async def on_event(self, event: Event) -> None:
        if isinstance(event, (Key, MouseDown)) and not event.is_forwarded:
            self.housekeeper.input_seen()
        await super().on_event(event)

    def on_load(self) -> None:
        timeline.mark("loaded: stylesheet sources read, driver next")

    def on_mount(self) -> None:
        timeline.mark("mounted")
        # The first engine call and the events stream wait for the first frame: when the
        # first snapshot came from another process (dockscope.startup) each imports
        # docker-py in its thread, and a thread's CPU then is taken from drawing (the GIL).
        self._engine_held = True
        self.request_refresh(KINDS, full=True)  # also after a first snapshot: it may be a second old
        first, self._first_snapshot = self._first_snapshot, None
        if first is not None:
            self.apply_snapshot(first)
            timeline.mark("first snapshot applied")
        # Focus now, not after the first refresh: the first frame is drawn focused (a later
        # focus restyles and redraws the whole table), and a key typed at the first frame
        # (i, l...) is not undone by a late switch back to the start pane.
        self.action_show_pane(self.start_pane)
        self.call_after_refresh(self._after_first_frame)
        self._update_status()
        self.set_interval(1.0, self._update_status)
        self.set_interval(HEAP_TRIM_SECONDS, self.housekeeper.tick)
        self.set_timer(2.0, self._disk_usage)

    def _after_first_frame(self) -> None:
        timeline.mark("first refresh")
        self._engine_held = False
        self._kick()
        if self.use_events:
            self._watch_events()

    # ----------------------------------------------------------------- engine
    def request_refresh(self, kinds, ids=(), *, full: bool = False) -> None:
        """Ask for kinds to be re-listed and containers re-inspected; merged with what is pending."""
        self._pending_kinds.update(kinds)
        self._pending_ids.update(ids)
        if full:
            self._pending_kinds.add("full")
        self._kick()

    def _kick(self) -> None:
        if self._in_flight or self._engine_held or not (self._pending_kinds or self._pending_ids):
            return
        kinds, ids = self._pending_kinds, self._pending_ids
        self._pending_kinds, self._pending_ids = set(), set()
        self._in_flight = True
        self._engine_call(kinds, ids)

    @work(thread=True, exit_on_error=False, group="engine", name="engine-call")
    def _engine_call(self, kinds: set[str], ids: set[str]) -> HostSnapshot:
        if "full" in kinds:
            feed = self._events_feed
            following = feed is not None and feed.following
            return self.session.poll(INSPECT_MAX_AGE_FOLLOWING if following else INSPECT_MAX_AGE)
        return self.session.refresh(kinds, ids)

    @work(thread=True, exit_on_error=False, group="disk", name="disk-usage")
    def _disk_usage_call(self) -> HostSnapshot:
        return self.session.disk_usage()

    def _disk_usage(self) -> None:
        self._disk_usage_call()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where worker results and failures arrive."""
        worker = event.worker
        if worker.name not in ("engine-call", "disk-usage") or not self._panes_ready():
            return  # not ours, or the app is shutting down
        if event.state == WorkerState.SUCCESS:
            self.apply_snapshot(worker.result)
        elif event.state == WorkerState.ERROR:
            self._status_error = f"{worker.name} failed: {worker.error}"
            self._update_status()
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.name == "disk-usage":
            self.set_timer(DISK_USAGE_SECONDS, self._disk_usage)
            return
        self._in_flight = False
        self._schedule_next_poll()
        self._kick()

    def _schedule_next_poll(self) -> None:
        connected = self.snapshot is None or not self.snapshot.stale
        delay = self.poll_seconds if connected else RECONNECT_POLL_SECONDS
        timer = getattr(self, "_poll_timer", None)
        if timer is not None:
            timer.stop()
        self._poll_timer = self.set_timer(delay, lambda: self.request_refresh(KINDS, full=True))

    def apply_snapshot(self, snapshot: HostSnapshot | None) -> None:
        """Show a new snapshot, unless a newer one is already shown.

        Only the pane on screen gets it now; the others catch up when shown
        (:meth:`_catch_up`): at 500 containers a hidden pane's update cost as
        much as a visible one's, for nothing.
        """
        if snapshot is None or (self.snapshot is not None and snapshot.seq <= self.snapshot.seq):
            return
        self.snapshot = snapshot
        self._status_error = ""
        shown = self.base_screen.query_one(ContentSwitcher).visible_content if self._panes_ready() else None
        if isinstance(shown, Pane):
            self._catch_up(shown)
        self._update_status()
        self._inspect_interesting(snapshot)

    def _catch_up(self, pane: Pane) -> None:
        """Give ``pane`` the current snapshot unless it has it already (or is still mounting)."""
        if not pane.is_mounted:
            return  # its first show catches up (_first_show)
        if self.snapshot is not None and self._shown_seq.get(pane.pane_id) != self.snapshot.seq:
            self._shown_seq[pane.pane_id] = self.snapshot.seq
            pane.show_snapshot(self.snapshot)

    def _inspect_interesting(self, snapshot: HostSnapshot) -> None:
        """Inspect faulted containers and the selection (restart count, OOM, State.Error)."""
        wanted = [c.id for c in snapshot.containers if c.detail is None and (c.state != "running" or c.health)]
        if self.selection is not None and self.selection.kind == "container":
            wanted.insert(0, self.selection.key)
        wanted = [c for c in dict.fromkeys(wanted) if c in snapshot.container_by_id and snapshot.container_by_id[c].detail is None]
        if wanted:
            self.request_refresh((), wanted[:INSPECT_BATCH])

    # ----------------------------------------------------------------- events
    @property
    def events_feed(self) -> EventFeed | None:
        """The one ``/events`` follower of the app (None with events off); panes subscribe to it.

        Made on first use (the app's mount or a pane's, on the UI thread). It
        opens with a backlog, which the daemon-log pane shows; the app itself
        reacts only to events from then on (the first poll sees what came before).
        """
        if self.use_events and self._events_feed is None:
            self._events_from_nano = time.time_ns()
            self._events_feed = EventFeed(self._open_events_client, on_break=self._poll_now_from_thread)
            self._events_feed.subscribe(self._event_from_feed)
        return self._events_feed

    def _open_events_client(self):
        return self.session.open_client(timeout=None)

    @work(thread=True, exit_on_error=False, group="events", name="events")
    def _watch_events(self) -> None:
        """Follow ``/events`` until the app ends: reconnects, ``since`` and dedup are the feed's."""
        feed = self.events_feed
        if feed is not None:
            feed.run()

    def _event_from_feed(self, event: DockerEvent) -> None:
        """Feed thread: an event newer than the app's start asks for a refresh (the backlog does not)."""
        if event.time_nano < self._events_from_nano:
            return
        try:
            self.call_from_thread(self._on_docker_event, event)
        except RuntimeError:  # the app is shutting down
            pass

    def _poll_now_from_thread(self) -> None:
        """The events stream ended: poll at once, so a daemon that went away shows within a second."""
        try:
            self.call_from_thread(self.request_refresh, KINDS, full=True)
        except RuntimeError:  # the app is shutting down
            pass

    def _on_docker_event(self, event: DockerEvent) -> None:
        kinds, ids = refresh_targets(event)
        if kinds or ids:
            self._pending_kinds.update(kinds)
            self._pending_ids.update(ids)
            self.set_timer(EVENT_DEBOUNCE_SECONDS, self._kick)

    def on_unmount(self) -> None:
        if self._events_feed is not None:
            self._events_feed.stop()

    # ----------------------------------------------------------------- status
    def _update_status(self) -> None:
        if not self._panes_ready():
            return  # shutting down
        snapshot = self.snapshot
        endpoint = self.session.endpoint
        line = Text(end="")
        if snapshot is None:
            line.append("… loading", style="yellow")
        elif snapshot.stale:
            line.append("✖ disconnected", style="bold red")
        else:
            line.append("● connected", style="green")
        if snapshot is not None:
            line.append(f" {max(time.time() - snapshot.taken_at, 0):.0f}s", style="dim")
        if self.read_only:
            line.append("  read-only", style="bold yellow")
        daemon = snapshot.daemon if snapshot else None
        if daemon is not None:
            line.append(f"  Engine {daemon.server_version} API {self.session.api_version}")
        line.append("  ")
        line.append_text(safe(endpoint.display, "bold cyan"))
        line.append(" via ", style="dim")
        line.append_text(safe(endpoint.source))
        self.base_screen.query_one("#status", StatusBar).show(line)
        if snapshot is not None and snapshot.stale:
            reason = self.session.last_error or "no answer"
            taken = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
            self._show_banner(f"Daemon unreachable: showing data from {taken} (stale), retrying… ({reason})")
        else:
            self._show_banner(self._status_error)

    def _show_banner(self, message: str) -> None:
        """Show (or hide, for "") the red line under the status bar; only touched when it changes."""
        if message == self._banner:
            return
        self._banner = message
        banner = self.base_screen.query_one("#stale", Static)
        banner.update(safe(message))
        banner.set_class(bool(message), "shown")

    # ---------------------------------------------------------------- actions
    def action_show_pane(self, pane_id: str) -> None:
        switcher = self.base_screen.query_one(ContentSwitcher)
        pane = self._pane(pane_id)
        if pane is None:
            pane = self._new_pane(pane_id)
            pane.display = False
            switcher.mount(pane)
            switcher.current = pane_id
            # Its widgets exist once its compose and mount ran: then it gets the snapshot,
            # the selection and the focus. Until then keys go to the app, not to the pane left.
            self.base_screen.set_focus(None)
            pane.call_later(self._first_show, pane)
            return
        switcher.current = pane_id
        self._settle(pane)

    def _first_show(self, pane: Pane) -> None:
        """A pane made by :meth:`action_show_pane` is mounted: bring it up to date."""
        pane.show_selection(self.selection)
        if self.current_pane == pane.pane_id:
            self._settle(pane)  # else it catches up when shown

    def _settle(self, pane: Pane) -> None:
        """The pane on screen: current snapshot, cursor on the selection, focus."""
        self._catch_up(pane)
        if self.selection is not None:
            pane.select(self.selection)
        focusable = [w for w in pane.query("*") if w.can_focus]
        # set_focus takes effect now; Widget.focus() is deferred, and keys typed
        # right after switching would reach the previous pane's bindings. The panes'
        # own screen, not App.set_focus: that focuses on the top screen, and with a
        # dialog or the logs view open it would take their keys away.
        self.base_screen.set_focus(focusable[0] if focusable else None)

    def action_refresh(self) -> None:
        self.request_refresh(KINDS, full=True)
        self._disk_usage()

    def action_troubleshoot(self) -> None:
        """Open the troubleshooting wizard over the current snapshot (once)."""
        from dockscope.screens.wizard import WizardScreen

        if not isinstance(self.screen, WizardScreen):
            self.push_screen(WizardScreen(self.snapshot, self.session, daemon_log=self.daemon_log))

    def on_open_pane(self, message: OpenPane) -> None:
        self.follow_link(message.pane_id, message.selection)

    @property
    def current_pane(self) -> str:
        return str(self.base_screen.query_one(ContentSwitcher).current)

    def follow_link(self, pane_id: str, selection: Selection | None) -> None:
        """Go to ``pane_id`` (on ``selection``), remembering where we were for Escape."""
        self.nav_stack.append((self.current_pane, self.selection))
        if selection is not None:
            self.selection = selection
        self.action_show_pane(pane_id)

    def action_back(self) -> None:
        """Return to where the last followed link was taken from."""
        if not self.nav_stack:
            return
        pane_id, selection = self.nav_stack.pop()
        if selection is not None:
            self.selection = selection
        self.action_show_pane(pane_id)

    def action_relations(self) -> None:
        """The tree around the selection; choosing a node follows that link."""
        from dockscope.screens.relations import RelationsScreen

        if self.snapshot is None or self.selection is None or isinstance(self.screen, RelationsScreen):
            return

        def go(destination: tuple[str, Selection] | None) -> None:
            if destination is not None:
                self.follow_link(*destination)

        layers = "layers" if "layers" in PANE_MODULES else None
        self.push_screen(RelationsScreen(self.snapshot, self.selection, layers_pane=layers), go)

    def on_object_selected(self, message: ObjectSelected) -> None:
        # A pane switched away from (a link followed, Escape) may still have a selection
        # in flight; it must not override where navigation went. Textual keeps the
        # posting widget only in Message._sender.
        if not getattr(message._sender, "display", True):
            return
        self.selection = message.selection

    def watch_selection(self, selection: Selection | None) -> None:
        for pane in self.panes:
            pane.show_selection(selection)
        if selection is not None and selection.kind == "container" and self.snapshot is not None:
            container = self.snapshot.container_by_id.get(selection.key)
            if container is not None and container.detail is None:
                self.request_refresh((), [selection.key])
