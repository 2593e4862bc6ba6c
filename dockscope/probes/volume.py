"""Volume probes: orphaned and anonymous volumes, data written to the container layer."""

from __future__ import annotations

from collections.abc import Iterator

from dockscope.probes.common import container_object, q, size
from dockscope.probes.model import Evidence, Hit, ProbeContext, probe

#: Orphaned anonymous volumes from which they count as piling up.
ANONYMOUS_PILEUP = 3
#: Bytes in a container's writable layer from which data probably belongs in a volume.
LAYER_DATA_BYTES = 10 * 1000 * 1000
BIG_VOLUME_BYTES = 100 * 1000 * 1000
MAX_LISTED = 10


def _volume_size(context: ProbeContext, name: str) -> int | None:
    return context.volume_sizes.get(name)


@probe("volume.orphaned", "volume", "Named volumes no container uses")
def orphaned(context: ProbeContext) -> Iterator[Hit]:
    for volume in context.snapshot.volumes:
        if not volume.orphaned or volume.anonymous:
            continue
        held = _volume_size(context, volume.name)
        yield Hit(
            "warning" if (held or 0) >= BIG_VOLUME_BYTES else "info",
            f"volume {volume.name} is used by no container and holds {size(held)}",
            (Evidence(f"volume {volume.name}", "users", "0"), Evidence(f"volume {volume.name}", "UsageData.Size", size(held)),
             Evidence(f"volume {volume.name}", "CreatedAt", volume.created)),
            confirm=f"docker volume inspect {q(volume.name)}",
            fix=f"docker volume rm {q(volume.name)}",
            object=volume.name,
        )


@probe("volume.anonymous_pileup", "volume", "Anonymous volumes piling up")
def anonymous_pileup(context: ProbeContext) -> Iterator[Hit]:
    loose = [v for v in context.snapshot.volumes if v.anonymous and v.orphaned]
    if len(loose) < ANONYMOUS_PILEUP:
        return
    total = sum(_volume_size(context, v.name) or 0 for v in loose)
    yield Hit(
        "warning",
        f"{len(loose)} anonymous volumes are left behind by removed containers ({size(total)}): "
        "remove containers with 'docker rm -v' or name the volumes",
        tuple(Evidence(f"volume {v.name}", "users", f"0, {size(_volume_size(context, v.name))}") for v in loose[:MAX_LISTED]),
        confirm="docker volume ls --filter dangling=true",
        fix="docker volume rm " + " ".join(q(v.name) for v in loose[:MAX_LISTED]),
    )


@probe("volume.data_in_container_layer", "volume", "Data written to the container layer instead of a volume")
def data_in_container_layer(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        written = context.container_sizes.get(container.id, 0)
        if written < LAYER_DATA_BYTES:
            continue
        mounts = ", ".join(f"{m.type} {m.destination}" for m in container.mounts) or "none"
        yield Hit(
            "warning",
            f"{container.name} wrote {size(written)} into its container layer: it is lost when the container is "
            "removed and slower than a volume",
            (Evidence(container_object(container), "SizeRw", size(written)), Evidence(container_object(container), "Mounts", mounts)),
            confirm=f"docker diff {q(container.name)}",
            fix="mount a volume on the directory it writes to: docker run -v NAME:/path/to/data ...",
            object=container.name,
            containers=(container.name,),
        )
