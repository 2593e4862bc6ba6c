"""Containers: the pane people live in."""

from __future__ import annotations

import time

import humanize
from rich.text import Text

from dockscope.engine.model import Container, HostSnapshot
from dockscope.panes.base import TablePane, register
from dockscope.ui.text import safe, state_text


def _age(epoch: int, now: float) -> str:
    return humanize.naturaldelta(max(now - epoch, 0)) if epoch else ""


def container_cells(container: Container, now: float) -> tuple[Text, ...]:
    detail = container.detail
    restarts = "" if detail is None else str(detail.restart_count)
    exit_code = container.exit_code
    return (
        safe(container.name, "bold"),
        safe(container.compose_project or ""),
        safe(container.image),
        state_text(container.state, container.health),
        Text(f"{exit_code}" if exit_code is not None else "", style="red" if exit_code else "", end=""),
        Text(restarts, style="red" if restarts not in ("", "0") else "", end=""),
        safe(container.status, "dim"),
        safe(", ".join(str(p) for p in container.ports if p.published)),
    )


@register
class ContainersPane(TablePane):
    """All containers, grouped by compose project."""

    pane_id = "containers"
    title = "Containers"
    key = "c"
    order = 10
    kind = "container"
    columns = (
        ("name", "Name"),
        ("project", "Project"),
        ("image", "Image"),
        ("state", "State"),
        ("exit", "Exit"),
        ("restarts", "Restarts"),
        ("status", "Status"),
        ("ports", "Ports"),
    )

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        now = time.time()
        return {c.id: container_cells(c, now) for c in snapshot.containers}
