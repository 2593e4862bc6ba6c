"""Volumes: who uses them and what is left over."""

from __future__ import annotations

import humanize
from rich.text import Text

from dockscope.engine.model import HostSnapshot, Volume
from dockscope.panes.base import TablePane, register
from dockscope.ui.text import safe


def volume_cells(volume: Volume, snapshot: HostSnapshot) -> tuple[Text, ...]:
    users = [snapshot.container_by_id[c].name for c in volume.container_ids if c in snapshot.container_by_id]
    return (
        safe(volume.name, "bold"),
        safe(volume.driver),
        safe("anonymous" if volume.anonymous else "named"),
        safe("…" if volume.size is None else humanize.naturalsize(volume.size)),
        safe(", ".join(users) or "unused", "" if users else "yellow"),
        safe(volume.mountpoint, "dim"),
    )


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
        ("containers", "Containers"),
        ("mountpoint", "Mountpoint"),
    )

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        return {v.name: volume_cells(v, snapshot) for v in snapshot.volumes}
