"""The daemon's event stream, parsed, what each event asks to refresh, and the
one follower of it that the whole app shares (:class:`EventFeed`)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Events kept for subscribers that come late (the daemon-log pane's table shows as many).
HISTORY = 5000
#: Seconds between a broken stream and the next try.
RETRY_SECONDS = 1.0
#: Container actions that change nothing a pane shows (exec runs, attaches, resizes...).
_QUIET_ACTIONS = ("exec_create", "exec_start", "exec_die", "exec_detach", "attach", "detach", "resize", "top", "export", "archive-path", "copy")


@dataclass(frozen=True)
class DockerEvent:
    """One event from ``/events``."""

    type: str
    action: str
    actor_id: str
    name: str
    time_nano: int
    attributes: tuple[tuple[str, str], ...]

    @property
    def time(self) -> float:
        return self.time_nano / 1e9

    def attribute(self, key: str) -> str | None:
        return dict(self.attributes).get(key)


def parse_event(raw: Mapping[str, Any]) -> DockerEvent:
    """Read the event fields defensively (old daemons use ``status``/``id``/``from``)."""
    actor = raw.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    time_nano = raw.get("timeNano") or int(raw.get("time") or 0) * 1_000_000_000
    return DockerEvent(
        type=str(raw.get("Type") or "container"),
        action=str(raw.get("Action") or raw.get("status") or ""),
        actor_id=str(actor.get("ID") or raw.get("id") or ""),
        name=str(attributes.get("name") or ""),
        time_nano=int(time_nano),
        attributes=tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
    )


def die_exit_code(event: DockerEvent) -> int | None:
    """The exit code a ``die`` event carries (``exitCode``), or None for any other event."""
    code = event.attribute("exitCode") if event.action == "die" else None
    return int(code) if code is not None and code.isdigit() else None


def refresh_targets(event: DockerEvent) -> tuple[set[str], set[str]]:
    """Which kinds to re-list and which containers to re-inspect after ``event``."""
    action = event.action.split(":", 1)[0]
    if event.type == "container":
        if action in _QUIET_ACTIONS:
            return set(), set()
        kinds = {"containers"}
        if action in ("create", "destroy"):
            kinds |= {"images", "volumes"}
        return kinds, ({event.actor_id} if action != "destroy" else set())
    if event.type == "image":
        return {"images"}, set()
    if event.type == "network":
        container = event.attribute("container")
        return {"networks", "containers"}, ({container} if container else set())
    if event.type == "volume":
        return {"volumes"}, set()
    if event.type == "daemon":
        return {"info"}, set()
    return set(), set()


def stream_events(client, since: float | None = None) -> tuple[Iterator[DockerEvent], Any]:
    """Open ``/events``; returns the parsed iterator and the stream to ``close()`` it."""
    stream = client.events(since=since, decode=True)

    def parsed() -> Iterator[DockerEvent]:
        for raw in stream:
            if isinstance(raw, Mapping):
                yield parse_event(raw)

    return parsed(), stream


def event_key(event: DockerEvent) -> tuple:
    """What makes an event unique (the events at a reconnect's boundary second come twice)."""
    return (event.time_nano, event.type, event.action, event.actor_id)


def _close_quietly(closable: Any) -> None:
    try:
        if closable is not None:
            closable.close()
    except Exception:  # already closed by the other side
        pass


class EventFeed:
    """The one follower of ``/events``, fanned out to every subscriber.

    :meth:`run` blocks: run it in a worker thread. The stream opens with a
    short backlog (``since`` a few minutes ago). When it breaks (daemon
    restarted, network hiccup) the feed calls ``on_break`` and reopens it with
    ``since`` set to the last event seen (or to its first opening when none
    came), so nothing that happened meanwhile is lost; the events at that
    boundary second come twice and are dropped by key.

    Every event is kept in a bounded history: :meth:`subscribe` returns what
    came before it, and the subscriber is then called (from the feed's thread)
    with each later event, once.
    """

    def __init__(
        self,
        open_client: Callable[[], Any],
        on_event: Callable[[DockerEvent], None] | None = None,
        *,
        on_break: Callable[[], None] | None = None,
        backlog_seconds: float = 300.0,
        history: int = HISTORY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._open_client = open_client
        self._on_break = on_break
        self._backlog = backlog_seconds
        self._clock = clock
        self._stream: Any = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[DockerEvent], None]] = []
        self._history: deque[DockerEvent] = deque(maxlen=history)
        self._recent: deque[tuple] = deque(maxlen=2048)
        self._recent_set: set[tuple] = set()
        self._first_opened: float | None = None
        self.last_seen_nano = 0
        #: Streams opened so far (more than one: it was reopened and the gaps refilled).
        self.connections = 0
        self.last_error = ""
        if on_event is not None:
            self.subscribe(on_event)

    def subscribe(self, on_event: Callable[[DockerEvent], None]) -> tuple[DockerEvent, ...]:
        """Call ``on_event`` with every event from now on; returns the events kept so far."""
        with self._lock:
            self._subscribers.append(on_event)
            return tuple(self._history)

    def unsubscribe(self, on_event: Callable[[DockerEvent], None]) -> None:
        with self._lock:
            if on_event in self._subscribers:
                self._subscribers.remove(on_event)

    @property
    def following(self) -> bool:
        """True while a stream is open: every change from now on comes as an event."""
        return self._stream is not None

    def since(self) -> int:
        """Whole seconds to ask from: the last event seen, the first opening, or the backlog."""
        if self.last_seen_nano:
            return self.last_seen_nano // 1_000_000_000
        if self._first_opened is not None:
            return int(self._first_opened) - 1
        return int(self._clock() - self._backlog)

    def run(self) -> None:
        """Follow the stream until :meth:`stop`; reconnect after every break."""
        while not self._stop.is_set():
            self._follow_once()
            if self._stop.is_set():
                return
            if self._on_break is not None:
                self._on_break()
            self._stop.wait(RETRY_SECONDS)

    def _follow_once(self) -> None:
        """Open a client and a stream, deliver until it ends, close both."""
        client = None
        try:
            client = self._open_client()
            opening = self._clock()
            events, self._stream = stream_events(client, since=self.since())
            if self._first_opened is None:
                self._first_opened = opening
            self.connections += 1
            if self._stop.is_set():  # stopped while opening: stop() found no stream to close
                return
            for event in events:
                self._deliver(event)
        except Exception as error:  # the stream broke or the daemon is away: the caller retries
            self.last_error = str(error)
        finally:
            stream, self._stream = self._stream, None
            _close_quietly(stream)
            _close_quietly(client)

    def _deliver(self, event: DockerEvent) -> None:
        key = event_key(event)
        with self._lock:
            if key in self._recent_set:
                return
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(key)
            self._recent_set.add(key)
            self.last_seen_nano = max(self.last_seen_nano, event.time_nano)
            self._history.append(event)
            subscribers = tuple(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception as error:  # one subscriber's failure must not break the stream for the others
                self.last_error = f"{getattr(subscriber, '__qualname__', subscriber)}: {error}"

    def drop_connection(self) -> None:
        """Close the current stream (the feed reconnects); also how :meth:`stop` unblocks."""
        _close_quietly(self._stream)

    def stop(self) -> None:
        self._stop.set()
        self.drop_connection()
