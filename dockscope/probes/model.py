"""Findings, the probe registry and the context probes read.

A probe is a small pure function over a :class:`ProbeContext` (the host
snapshot plus a few targeted reads, see :mod:`dockscope.probes.context`) that
yields :class:`Hit` s; the registry turns them into :class:`Finding` s carrying
the probe's stable id and component. Nothing here imports textual or rich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dockscope.daemonlog import LogRecord
from dockscope.engine.events import DockerEvent
from dockscope.engine.model import Container, HostSnapshot

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
COMPONENTS = ("client", "daemon", "image", "registry", "container", "network", "volume", "storage")

LogLine = tuple[str, str]
"""(time, line): the time as the source wrote it (RFC 3339), "" when unknown."""


def severity_rank(severity: str) -> int:
    """0 for info, 1 for warning, 2 for error."""
    return SEVERITIES.index(severity)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Evidence:
    """One observed fact: which object, which field, what value, which log lines."""

    object: str
    field: str
    observed: str
    log_lines: tuple[LogLine, ...] = ()


@dataclass(frozen=True)
class Hit:
    """What a probe function yields; the registry adds the probe's id and component.

    Attributes:
        severity: info, warning or error.
        summary: One line, in plain words.
        evidence: The facts that show it.
        confirm: The command that shows the problem to the user.
        fix: The command that fixes it ("" when there is no one-liner).
        object: Name of the main object (exclusions in the config file match it).
        containers: Names of the containers the finding is about (the wizard
            keeps only the findings about the containers the user picked).
        component: Overrides the probe's component when set.
    """

    severity: Severity
    summary: str
    evidence: tuple[Evidence, ...]
    confirm: str
    fix: str = ""
    object: str = ""
    containers: tuple[str, ...] = ()
    component: str = ""


@dataclass(frozen=True)
class Finding:
    """A problem found on the host, with its evidence and the next command."""

    id: str
    severity: Severity
    component: str
    summary: str
    evidence: tuple[Evidence, ...]
    confirm: str
    fix: str = ""
    object: str = ""
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class FsUsage:
    """``statvfs`` of the filesystem holding the daemon's data-root."""

    path: str
    total: int
    free: int

    @property
    def free_ratio(self) -> float:
        return self.free / self.total if self.total else 1.0


@dataclass(frozen=True)
class ClientSide:
    """What the client end looks like: negotiated API version and the environment."""

    api_version: str = ""
    docker_host: str = ""
    docker_context: str = ""
    pinned_api_version: str = ""
    current_context: str = ""


@dataclass(frozen=True)
class ProbeContext:
    """The snapshot plus the few targeted reads probes need.

    Attributes:
        snapshot: The host, with the interesting containers inspected.
        container_logs: container id -> last lines (bounded tail) of its log.
        daemon_log: The tail of dockerd's own log, oldest first.
        daemon_log_source: Where it came from: a path or a journald unit ("" when none).
        daemon_log_kind: "file" or "journald" ("" when none).
        daemon_log_problem: Why no daemon log was read ("" when one was).
        events: Events since a moment (container and image events).
        port_bindings: container id -> requested host bindings ``HostConfig.PortBindings``
            (read only for containers whose list entry cannot show them).
        container_sizes: container id -> bytes written to its writable layer (``df``).
        volume_sizes: volume name -> bytes it holds (``df``).
        log_sizes: container id -> bytes of its log file (when the daemon is local).
        image_efficiency: image id -> (efficiency, wasted bytes) for images in use.
        data_root: ``statvfs`` of the data-root when the daemon is local.
        client: The client side.
        now: When the context was gathered (epoch seconds).
    """

    snapshot: HostSnapshot
    container_logs: Mapping[str, tuple[LogLine, ...]] = field(default_factory=dict)
    daemon_log: tuple[LogRecord, ...] = ()
    daemon_log_source: str = ""
    daemon_log_kind: str = ""
    daemon_log_problem: str = ""
    events: tuple[DockerEvent, ...] = ()
    port_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    container_sizes: Mapping[str, int] = field(default_factory=dict)
    volume_sizes: Mapping[str, int] = field(default_factory=dict)
    log_sizes: Mapping[str, int] = field(default_factory=dict)
    image_efficiency: Mapping[str, tuple[float, int]] = field(default_factory=dict)
    data_root: FsUsage | None = None
    client: ClientSide = field(default_factory=ClientSide)
    now: float = 0.0

    def container_named(self, name: str) -> Container | None:
        for container in self.snapshot.containers:
            if container.name == name or container.id == name or container.id.startswith(name):
                return container
        return None


ProbeFunction = Callable[[ProbeContext], Iterable[Hit]]


@dataclass(frozen=True)
class Probe:
    """A registered probe: its stable id, component, title and function."""

    id: str
    component: str
    title: str
    function: ProbeFunction

    def run(self, context: ProbeContext) -> tuple[Finding, ...]:
        return tuple(
            Finding(
                id=self.id,
                severity=hit.severity,
                component=hit.component or self.component,
                summary=hit.summary,
                evidence=hit.evidence,
                confirm=hit.confirm,
                fix=hit.fix,
                object=hit.object,
                containers=hit.containers,
            )
            for hit in self.function(context)
        )


#: probe id -> probe, filled by :func:`probe` when a topic module is imported.
PROBES: dict[str, Probe] = {}


def probe(probe_id: str, component: str, title: str) -> Callable[[ProbeFunction], ProbeFunction]:
    """Decorator: register a probe function under a stable id."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")

    def register(function: ProbeFunction) -> ProbeFunction:
        if probe_id in PROBES and PROBES[probe_id].function is not function:
            raise ValueError(f"probe id {probe_id!r} registered twice")
        PROBES[probe_id] = Probe(probe_id, component, title, function)
        return function

    return register
