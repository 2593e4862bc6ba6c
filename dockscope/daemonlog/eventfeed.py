"""The event stream as the daemon-log pane's events tab uses it.

The follower itself, :class:`~dockscope.engine.events.EventFeed` (backlog on
first connect, ``since`` after a reconnect, events at the boundary second
dropped by key), lives in the engine: the app owns the one instance and every
consumer subscribes to it, so dockscope keeps a single ``/events`` stream.
"""

from __future__ import annotations

from dockscope.engine.events import RETRY_SECONDS, EventFeed, event_key

#: The types of event the events tab filters on.
EVENT_TYPES = ("container", "image", "network", "volume")

__all__ = ["EVENT_TYPES", "RETRY_SECONDS", "EventFeed", "event_key"]
