"""Images: tags, sizes and the containers that use them."""

from __future__ import annotations

import time

import humanize
from rich.text import Text

from dockscope.engine.model import HostSnapshot, Image
from dockscope.panes.base import TablePane, register
from dockscope.ui.text import safe


def image_cells(image: Image, snapshot: HostSnapshot, now: float) -> tuple[Text, ...]:
    users = [snapshot.container_by_id[c].name for c in image.container_ids if c in snapshot.container_by_id]
    shared = image.shared_size
    return (
        safe(", ".join(image.tags) or "<none>", "yellow" if image.dangling else "bold"),
        safe(image.short_id, "dim"),
        safe(humanize.naturaldelta(max(now - image.created, 0)) + " ago" if image.created else ""),
        safe(humanize.naturalsize(image.size)),
        safe("…" if shared is None else humanize.naturalsize(shared)),
        safe(", ".join(users)),
    )


@register
class ImagesPane(TablePane):
    """Local images."""

    pane_id = "images"
    title = "Images"
    key = "i"
    order = 20
    kind = "image"
    columns = (
        ("tags", "Tags"),
        ("id", "Id"),
        ("created", "Created"),
        ("size", "Size"),
        ("shared", "Shared"),
        ("containers", "Containers"),
    )

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        now = time.time()
        return {i.id: image_cells(i, snapshot, now) for i in snapshot.images}

    def sort_values(self, snapshot: HostSnapshot) -> dict[str, tuple]:
        return {
            i.id: (i.display_name, i.short_id, -i.created, i.size, i.shared_size, len(i.container_ids))
            for i in snapshot.images
        }
