"""The daemon's event stream, parsed, and what each event asks to refresh."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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
