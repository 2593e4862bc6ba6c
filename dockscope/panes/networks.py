"""Networks: drivers, subnets and who is attached."""

from __future__ import annotations

from rich.text import Text

from dockscope.engine.model import HostSnapshot, Network
from dockscope.panes.base import TablePane, register
from dockscope.ui.text import safe


def network_name(name: str) -> str:
    """Quote a name that has spaces (or nothing) so it reads as one name."""
    return repr(name) if (not name or any(c.isspace() for c in name)) else name


def network_cells(network: Network, snapshot: HostSnapshot) -> tuple[Text, ...]:
    members = []
    for container_id in network.container_ids:
        container = snapshot.container_by_id.get(container_id)
        if container is None:
            continue
        ip = next((a.ipv4 for a in container.networks if a.network_id == network.id and a.ipv4), "")
        members.append(f"{container.name} {ip}".strip())
    return (
        safe(network_name(network.name), "bold"),
        safe(network.driver),
        safe(network.scope),
        safe(", ".join(s.subnet for s in network.subnets)),
        safe(", ".join(s.gateway for s in network.subnets if s.gateway)),
        Text("internal" if network.internal else "", style="yellow", end=""),
        safe("; ".join(members) or ("unused" if network.unused else ""), "" if members else "yellow"),
    )


@register
class NetworksPane(TablePane):
    """Networks and their members."""

    pane_id = "networks"
    title = "Networks"
    key = "n"
    order = 30
    kind = "network"
    columns = (
        ("name", "Name"),
        ("driver", "Driver"),
        ("scope", "Scope"),
        ("subnet", "Subnet"),
        ("gateway", "Gateway"),
        ("internal", "Internal"),
        ("containers", "Containers"),
    )

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        return {n.id: network_cells(n, snapshot) for n in snapshot.networks}
