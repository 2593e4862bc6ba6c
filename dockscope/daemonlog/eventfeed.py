"""Follow the daemon's event stream and refill the gap after a reconnect.

The stream opens with a short backlog (``since`` a few minutes ago). When it
breaks (daemon restarted, network hiccup), the feed reopens it with ``since``
set to the last event seen, so nothing that happened meanwhile is lost; the
events at that boundary second come twice and are dropped by key.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from dockscope.engine.events import DockerEvent, stream_events

#: The types of event the events tab filters on.
EVENT_TYPES = ("container", "image", "network", "volume")
RETRY_SECONDS = 1.0


def event_key(event: DockerEvent) -> tuple:
    return (event.time_nano, event.type, event.action, event.actor_id)


class EventFeed:
    """Blocking follower of ``/events`` meant to run in a worker thread."""

    def __init__(
        self,
        open_client: Callable[[], object],
        on_event: Callable[[DockerEvent], None],
        *,
        backlog_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._open_client = open_client
        self._on_event = on_event
        self._backlog = backlog_seconds
        self._clock = clock
        self._stream = None
        self._stop = threading.Event()
        self._recent: deque[tuple] = deque(maxlen=2048)
        self._recent_set: set[tuple] = set()
        self.last_seen_nano = 0
        self.connections = 0
        self.last_error = ""

    def since(self) -> int:
        """Whole seconds to ask from: the last event seen, or the backlog on first connect."""
        if self.last_seen_nano:
            return self.last_seen_nano // 1_000_000_000
        return int(self._clock() - self._backlog)

    def run(self) -> None:
        """Follow the stream until :meth:`stop`; reconnect after every break."""
        while not self._stop.is_set():
            try:
                events, self._stream = stream_events(self._open_client(), since=self.since())
                self.connections += 1
                for event in events:
                    self._deliver(event)
            except Exception as error:  # the stream broke or the daemon is away: retry
                self.last_error = str(error)
            self._stream = None
            self._stop.wait(RETRY_SECONDS)

    def _deliver(self, event: DockerEvent) -> None:
        key = event_key(event)
        if key in self._recent_set:
            return
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(key)
        self._recent_set.add(key)
        self.last_seen_nano = max(self.last_seen_nano, event.time_nano)
        self._on_event(event)

    def drop_connection(self) -> None:
        """Close the current stream (the feed reconnects); also how :meth:`stop` unblocks."""
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # already closed by the other side
                pass

    def stop(self) -> None:
        self._stop.set()
        self.drop_connection()
