"""Gather a :class:`ProbeContext`: one snapshot plus a few bounded, targeted reads.

This is the only part of the probes that talks to Docker (blocking; call it
from a worker thread). Reads: the lists and ``/info`` (one poll), inspect of
every container (doctor) or of the chosen and faulted ones (wizard),
``/system/df``, a 20-line log tail of at most :data:`MAX_LOGGED` containers,
events of the last hour, ``PortBindings`` of containers whose list entry
cannot show them, and when the daemon is local: ``statvfs`` of the data-root,
log file sizes and the layer efficiency of a few images in use.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from dockscope.engine.endpoint import read_config
from dockscope.engine.events import DockerEvent, parse_event
from dockscope.engine.model import Container, HostSnapshot
from dockscope.engine.session import HostSession
from dockscope.engine.snapshot import build_disk_usage
from dockscope.probes import daemonlog
from dockscope.probes.model import ClientSide, FsUsage, LogLine, ProbeContext

LOG_TAIL = 20
MAX_LOGGED = 12
MAX_INSPECTED = 25
MAX_ANALYZED_IMAGES = 6
EVENTS_WINDOW = 3600.0
#: Event actions kept (the rest of an hour of events is not needed).
EVENT_ACTIONS = ("die", "oom", "kill", "start", "restart")


def is_local(client) -> bool:
    """Whether the client talks to the daemon over a unix socket on this machine."""
    return str(getattr(client, "base_url", "")).startswith("http+docker://")


def is_faulted(container: Container) -> bool:
    """Restarting, dead, unhealthy, paused, never started or stopped with a failure: worth a closer look."""
    if container.state in ("restarting", "dead", "paused", "created") or container.health == "unhealthy":
        return True
    return container.state == "exited" and (container.exit_code or 0) != 0


def _collect_snapshot(session: HostSession, focus: Sequence[str], inspect_all: bool) -> HostSnapshot:
    snapshot = session.poll()
    if snapshot.stale:
        return snapshot
    if inspect_all:
        return session.inspect_all()
    wanted = list(focus) + [c.id for c in snapshot.containers if is_faulted(c)]
    wanted += [c.id for c in snapshot.containers if c.state == "running"]
    return session.refresh((), list(dict.fromkeys(wanted))[: MAX_INSPECTED + len(focus)])


def split_timestamp(line: str) -> LogLine:
    """``2026-11-28T02:52:37.18Z message`` (``docker logs -t``) as (time, message)."""
    head, _, rest = line.partition(" ")
    if len(head) >= 20 and head[4] == "-" and head[10] == "T":
        return head, rest
    return "", line


def container_log_tail(client, container_id: str, lines: int = LOG_TAIL) -> tuple[LogLine, ...]:
    """The last ``lines`` lines of a container's log (stdout and stderr), with times."""
    raw = client.logs(container_id, stdout=True, stderr=True, tail=lines, timestamps=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return tuple(split_timestamp(line) for line in text.splitlines() if line)


def _logged_containers(snapshot: HostSnapshot, focus: Sequence[str]) -> list[str]:
    """Whose log tail to read: the focus, then the faulted ones newest first, then the default bridge's."""
    newest = sorted(snapshot.containers, key=lambda c: -c.created)
    faulted = [c.id for c in newest if is_faulted(c) and c.state != "created"]
    on_default_bridge = [c.id for c in snapshot.containers if c.state == "running" and "bridge" in c.network_names]
    chosen = [c for c in focus if c in snapshot.container_by_id]
    return list(dict.fromkeys(chosen + faulted + on_default_bridge))[: MAX_LOGGED + len(chosen)]


def _read_logs(client, ids: Iterable[str]) -> dict[str, tuple[LogLine, ...]]:
    logs = {}
    for container_id in ids:
        try:
            logs[container_id] = container_log_tail(client, container_id)
        except Exception:  # a container removed meanwhile, or a driver without reads
            continue
    return logs


def _read_events(client, since: float, until: float) -> tuple[DockerEvent, ...]:
    try:
        stream = client.events(since=int(since), until=int(until) + 1, decode=True, filters={"type": "container"})
        return tuple(e for e in (parse_event(raw) for raw in stream) if e.action.split(":", 1)[0] in EVENT_ACTIONS)
    except Exception:  # events are evidence, not a requirement
        return ()


def _port_bindings(client, snapshot: HostSnapshot, focus: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Requested host bindings of containers on ``none``/``host``: their list entry shows none.

    One more inspect each (the snapshot does not keep ``PortBindings``), so at
    most :data:`MAX_INSPECTED` of them, the focus first.
    """
    found = {}
    isolated = [c for c in snapshot.containers if c.network_mode in ("none", "host")]
    isolated.sort(key=lambda c: c.id not in focus)
    for container in isolated[:MAX_INSPECTED]:
        try:
            bindings = (client.inspect_container(container.id).get("HostConfig") or {}).get("PortBindings") or {}
        except Exception:  # removed meanwhile
            continue
        found[container.id] = tuple(
            f"{(b or {}).get('HostIp') or '0.0.0.0'}:{(b or {}).get('HostPort') or '?'}->{port}"
            for port, values in sorted(bindings.items())
            for b in values or ()
        )
    return found


def _df(client, snapshot: HostSnapshot, now: float) -> tuple[HostSnapshot, dict[str, int], dict[str, int]]:
    """One ``/system/df``: the snapshot's disk usage, container layer sizes, volume sizes."""
    try:
        raw = client.df()
    except Exception:  # df can be slow or refused; the rest still stands
        return snapshot, {}, {}
    containers = {str(c.get("Id")): int(c.get("SizeRw") or 0) for c in raw.get("Containers") or ()}
    volumes = {str(v.get("Name")): _usage_size(v) for v in raw.get("Volumes") or ()}
    volumes = {name: held for name, held in volumes.items() if held >= 0}
    return dataclasses.replace(snapshot, disk=build_disk_usage(raw, now)), containers, volumes


def _usage_size(volume) -> int:
    """``UsageData.Size`` of a ``df`` volume; -1 when the daemon did not measure it."""
    value = (volume.get("UsageData") or {}).get("Size")
    return int(value) if isinstance(value, int) else -1


def _log_sizes(snapshot: HostSnapshot) -> dict[str, int]:
    sizes = {}
    for container in snapshot.containers:
        path = container.detail.log_path if container.detail else ""
        if path:
            try:
                sizes[container.id] = os.stat(path).st_size
            except OSError:
                continue
    return sizes


def _image_efficiency(client, snapshot: HostSnapshot, focus: Sequence[str], images: Sequence[str]) -> dict[str, tuple[float, int]]:
    """Efficiency of the chosen images, then of a few in use (the focus's first, then the smallest).

    Read from overlay2 directories: fast, but only for a local daemon.
    """
    from dockscope.layers.source import LayersError, analyze_image

    first = set(images) | {snapshot.container_by_id[c].image_id for c in focus if c in snapshot.container_by_id}
    candidates = (i for i in snapshot.images if i.container_ids or i.id in first)
    in_use = sorted(candidates, key=lambda i: (i.id not in first, i.size))
    found = {}
    for image in in_use[: max(MAX_ANALYZED_IMAGES, len(first))]:
        try:
            analysis = analyze_image(client, image.id, source="overlay2", others={})
        except (LayersError, OSError):
            continue
        found[image.id] = (analysis.efficiency.score, analysis.efficiency.wasted_bytes)
    return found


def _statvfs(snapshot: HostSnapshot) -> FsUsage | None:
    root = snapshot.daemon.docker_root_dir if snapshot.daemon else ""
    if not root or not os.path.isdir(root):
        return None
    stat = os.statvfs(root)
    return FsUsage(root, stat.f_blocks * stat.f_frsize, stat.f_bavail * stat.f_frsize)


def client_side(client, env: Mapping[str, str]) -> ClientSide:
    current = read_config(env).get("currentContext")
    return ClientSide(
        api_version=str(getattr(client, "api_version", "") or ""),
        docker_host=env.get("DOCKER_HOST", ""),
        docker_context=env.get("DOCKER_CONTEXT", ""),
        pinned_api_version=env.get("DOCKER_API_VERSION", ""),
        current_context=current if isinstance(current, str) else "",
    )


def gather_context(
    session: HostSession,
    *,
    focus: Sequence[str] = (),
    inspect_all: bool = True,
    images: Sequence[str] = (),
    daemon_log: str | None = None,
    env: Mapping[str, str] | None = None,
    analyze_images: bool = True,
    clock: Callable[[], float] = time.time,
) -> ProbeContext:
    """Collect the snapshot and the targeted reads probes use.

    Args:
        session: A session of its own (its client is used from this thread only).
        focus: Container ids to look at first (the wizard's answers): their
            logs are read and their images analysed before the others'.
        inspect_all: Inspect every container (doctor); else only the focus,
            the faulted and the running ones, at most :data:`MAX_INSPECTED`.
        images: Image ids whose layer efficiency is read first (in use or not).
        daemon_log: The daemon log file (else ``DOCKSCOPE_DAEMON_LOG``, journald, the usual files).
        env: The client's environment (default ``os.environ``).
        analyze_images: Read the layer efficiency of a few images in use.
        clock: Epoch seconds.
    """
    env = os.environ if env is None else env
    client = session.client
    snapshot = _collect_snapshot(session, focus, inspect_all)
    now = clock()
    log = daemonlog.read_daemon_log(daemon_log, env, local=is_local(client))
    base = ProbeContext(
        snapshot=snapshot,
        daemon_log=log.records,
        daemon_log_source=log.location,
        daemon_log_kind=log.kind,
        daemon_log_problem=log.problem,
        client=client_side(client, env),
        now=now,
    )
    if snapshot.stale:
        return base
    snapshot, sizes, volume_sizes = _df(client, snapshot, now)
    local = is_local(client)
    return dataclasses.replace(
        base,
        snapshot=snapshot,
        container_logs=_read_logs(client, _logged_containers(snapshot, focus)),
        events=_read_events(client, now - EVENTS_WINDOW, now),
        port_bindings=_port_bindings(client, snapshot, focus),
        container_sizes=sizes,
        volume_sizes=volume_sizes,
        log_sizes=_log_sizes(snapshot) if local else {},
        image_efficiency=_image_efficiency(client, snapshot, focus, images) if local and analyze_images else {},
        data_root=_statvfs(snapshot) if local else None,
    )
