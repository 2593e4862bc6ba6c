"""Data that will not survive: writes into a container's writable layer outside any mount.

Whatever a container writes outside its volumes, bind mounts and tmpfs lives
in its writable layer and goes away with ``docker rm`` (or a compose
``up --force-recreate``). Two samples a moment apart of the layer's size
(``/containers/json?size=1`` for that one container) and of its changes
(``/containers/{id}/changes``) tell whether it is writing there now.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from dockscope.engine.model import Container

#: ``/changes`` kinds: 0 modified, 1 added, 2 deleted.
ADDED, MODIFIED = 1, 0
#: Kernel filesystems: never data.
IGNORED_ROOTS = ("/dev", "/proc", "/sys")


@dataclass(frozen=True)
class WriteSample:
    """The writable layer at one moment: its size and the paths it changed."""

    size_rw: int
    changes: tuple[tuple[str, int], ...]
    taken_at: float


@dataclass(frozen=True)
class UnprotectedWrites:
    """A container writing outside its mounts: where, and whether the layer grows."""

    container_id: str
    name: str
    size_before: int
    size_after: int
    places: tuple[tuple[str, int], ...]

    @property
    def growing(self) -> bool:
        return self.size_after > self.size_before

    def summary(self) -> str:
        where = ", ".join(f"{path} ({count} file{'s' if count != 1 else ''})" for path, count in self.places[:4])
        trend = f"grew {self.size_after - self.size_before:,} B" if self.growing else "not growing now"
        return f"{self.name}: writes outside any volume in {where}; writable layer {self.size_after:,} B, {trend}"


def sample(client, container_id: str, clock: Callable[[], float] = time.time) -> WriteSample:
    """Size of the writable layer (for this container only) and its changed paths."""
    listed = client.containers(all=True, size=True, filters={"id": container_id})
    size = int((listed[0].get("SizeRw") or 0) if listed else 0)
    changes = client.diff(container_id) or []
    return WriteSample(size, tuple((str(c.get("Path", "")), int(c.get("Kind", 0))) for c in changes), clock())


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def written_outside(mount_points: Iterable[str], changes: Iterable[tuple[str, int]]) -> tuple[str, ...]:
    """Files added or modified that no mount covers (directories that only hold them are left out)."""
    mounts = [m for m in mount_points if m]
    written = sorted(path for path, kind in changes if kind in (ADDED, MODIFIED))
    leaves = [p for i, p in enumerate(written) if not (i + 1 < len(written) and written[i + 1].startswith(p.rstrip("/") + "/"))]
    return tuple(p for p in leaves if not _under(p, mounts) and not _under(p, IGNORED_ROOTS))


def places(paths: Iterable[str], depth: int = 2) -> tuple[tuple[str, int], ...]:
    """Group paths by their first ``depth`` directories: ("/var/lib", 3) ..., most files first."""
    counts: Counter[str] = Counter()
    for path in paths:
        parts = [p for p in path.split("/") if p]
        counts["/" + "/".join(parts[: min(depth, max(len(parts) - 1, 1))])] += 1
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def assess(container: Container, before: WriteSample, after: WriteSample) -> UnprotectedWrites | None:
    """The report for ``container`` from two samples; None when it writes only into mounts."""
    outside = written_outside((m.destination for m in container.mounts), after.changes)
    if not outside:
        return None
    return UnprotectedWrites(container.id, container.name, before.size_rw, after.size_rw, places(outside))


def check_container(
    client, container: Container, interval: float = 1.0, sleep: Callable[[float], None] = time.sleep
) -> UnprotectedWrites | None:
    """Sample twice ``interval`` seconds apart and assess (call from a worker thread)."""
    before = sample(client, container.id)
    sleep(interval)
    return assess(container, before, sample(client, container.id))


def bind_mounts(containers: Iterable[Container]) -> Mapping[str, tuple[tuple[str, str, bool], ...]]:
    """Container id -> (host source, destination, read-write) of each bind mount."""
    return {
        c.id: tuple((m.source, m.destination, m.rw) for m in c.mounts if m.type == "bind")
        for c in containers
        if any(m.type == "bind" for m in c.mounts)
    }


def check_containers(
    client, containers: Iterable[Container], interval: float = 1.0, sleep: Callable[[float], None] = time.sleep
) -> tuple[UnprotectedWrites, ...]:
    """:func:`check_container` for many at once: one pause between the two rounds of samples."""
    chosen = list(containers)
    before = {c.id: s for c in chosen if (s := _sample_if_present(client, c.id)) is not None}
    sleep(interval)
    reports = []
    for container in chosen:
        after = _sample_if_present(client, container.id) if container.id in before else None
        if after is not None:
            reports.append(assess(container, before[container.id], after))
    return tuple(sorted((r for r in reports if r is not None), key=lambda r: (not r.growing, r.name)))


def _sample_if_present(client, container_id: str) -> WriteSample | None:
    """A sample, or None when the container went away meanwhile."""
    from dockscope.engine.session import is_not_found

    try:
        return sample(client, container_id)
    except Exception as error:
        if is_not_found(error):
            return None
        raise
