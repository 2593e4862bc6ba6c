"""Networks: drivers, subnets, who is attached (with IPv4 and aliases), and "can A reach B?".

Aliases are not in the container list; the pane inspects the members of the
selected network in a worker to show them. ``a`` opens the reachability
dialog: pick two containers, get the answer from their configuration.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Select, Static

from dockscope.engine.model import HostSnapshot, Network
from dockscope.engine.reachability import Aliases, Reachability, aliases_from_inspect, can_reach
from dockscope.panes.base import TablePane, register
from dockscope.ui.text import safe

VERDICT_STYLES = {"yes": "bold green", "partly": "bold yellow", "no": "bold red"}


def network_name(name: str) -> str:
    """Quote a name that has spaces (or nothing) so it reads as one name."""
    return repr(name) if (not name or any(c.isspace() for c in name)) else name


def network_cells(network: Network, snapshot: HostSnapshot) -> tuple[Text, ...]:
    members = []
    for container_id in network.container_ids:
        container = snapshot.container_by_id.get(container_id)
        if container is None:
            continue
        ip = next((a.ipv4 for a in container.networks if a.network_name == network.name and a.ipv4), "")
        members.append(f"{container.name} {ip}".strip())
    return (
        safe(network_name(network.name), "bold", limit=40),
        safe(network.driver),
        safe(network.scope),
        safe(", ".join(s.subnet for s in network.subnets)),
        safe(", ".join(s.gateway for s in network.subnets if s.gateway)),
        Text("internal" if network.internal else "", style="yellow", end=""),
        safe("; ".join(members) or ("unused" if network.unused else ""), "" if members else "yellow"),
    )


def network_detail(network: Network, snapshot: HostSnapshot, aliases: Aliases) -> Text:
    """The members of a network: name, state, IPv4 and aliases (once inspected)."""
    text = Text(end="")
    text.append_text(safe(network_name(network.name), "bold", limit=128))
    text.append(f"  {network.driver}/{network.scope}  {network.short_id}", style="dim")
    if network.internal:
        text.append("  internal: no route out", style="yellow")
    if not network.container_ids:
        text.append("\n  " + ("built in" if network.builtin else "unused: no container is attached"), style="dim" if network.builtin else "yellow")
    for container_id in network.container_ids:
        container = snapshot.container_by_id.get(container_id)
        if container is None:
            continue
        attachment = next((a for a in container.networks if a.network_name == network.name), None)
        names = aliases.get(container_id, {}).get(network.name, attachment.aliases if attachment else ())
        names = tuple(a for a in names if not container.id.startswith(a))
        text.append("\n  ")
        text.append_text(safe(container.name, "bold"))
        text.append(f" [{container.state}]", style="green" if container.state == "running" else "dim")
        text.append_text(safe(f"  {attachment.ipv4 if attachment and attachment.ipv4 else 'no address'}"))
        if names:
            text.append("  aliases: ", style="dim")
            text.append_text(safe(", ".join(names)))
    return text


def unused_summary(snapshot: HostSnapshot) -> Text:
    """How many networks no container uses, and how to remove them."""
    unused = [n for n in snapshot.networks if n.unused]
    if not unused:
        return Text(f"{len(snapshot.networks)} networks, none unused", style="dim", end="")
    text = Text(f"{len(unused)} unused network{'s' if len(unused) > 1 else ''}: ", style="yellow", end="")
    names = [safe(network_name(n.name), limit=32) for n in unused[:4]]
    text.append_text(Text(", ", end="").join(names))
    if len(unused) > 4:
        text.append(" …")
    text.append("  (docker network prune removes them)", style="dim")
    return text


def reach_text(answer: Reachability) -> Text:
    """The answer to "can A reach B?" with its reasons and the command that would connect them."""
    text = Text(end="")
    text.append_text(safe(f"Can {answer.source} reach {answer.target}? ", "bold"))
    text.append(answer.verdict.upper(), style=VERDICT_STYLES[answer.verdict])
    for reason in answer.reasons:
        text.append("\n  • ")
        text.append_text(safe(reason, limit=400))
    if answer.fix:
        text.append("\n  fix: ", style="bold")
        text.append_text(safe(answer.fix, "cyan", limit=600))
    return text


class ReachScreen(ModalScreen[None]):
    """Pick two containers and read whether the first can reach the second."""

    DEFAULT_CSS = """
    ReachScreen { align: center middle; }
    ReachScreen > Vertical { width: 90; max-width: 98%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1; }
    ReachScreen Select { width: 1fr; }
    ReachScreen #reach-answer { height: auto; margin-top: 1; }
    """

    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, snapshot: HostSnapshot, source: str | None, target: str | None, aliases: Aliases) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.aliases = dict(aliases)
        self.initial = (source, target)
        self.answer: Reachability | None = None

    def compose(self) -> ComposeResult:
        options = [(safe(f"{c.name}  [{c.state}]"), c.id) for c in self.snapshot.containers]
        source, target = self.initial
        with Vertical():
            yield Label(Text("Can A reach B? (from configuration: no packet is sent)", style="bold"))
            yield Select(options, prompt="A: container that connects", value=source or Select.NULL, id="reach-a")
            yield Select(options, prompt="B: container to reach", value=target or Select.NULL, id="reach-b")
            yield Static(id="reach-answer")

    def on_mount(self) -> None:
        self._answer()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._answer()

    def choose(self, source: str, target: str) -> None:
        """Pick both containers (what the two selects do)."""
        self.query_one("#reach-a", Select).value = source
        self.query_one("#reach-b", Select).value = target
        self._answer()

    def _answer(self) -> None:
        a = self.query_one("#reach-a", Select).value
        b = self.query_one("#reach-b", Select).value
        if not isinstance(a, str) or not isinstance(b, str):
            self.query_one("#reach-answer", Static).update(Text("pick two containers", style="dim"))
            return
        self.answer = can_reach(self.snapshot, a, b, self.aliases)
        self.query_one("#reach-answer", Static).update(reach_text(self.answer))
        if b not in self.aliases:
            self._inspect_aliases(b)

    @work(thread=True, exit_on_error=False, group="reach-aliases")
    def _inspect_aliases(self, container_id: str) -> None:
        found = aliases_from_inspect(self.app.session.client.inspect_container(container_id))
        self.app.call_from_thread(self._got_aliases, container_id, found)

    def _got_aliases(self, container_id: str, found: dict[str, tuple[str, ...]]) -> None:
        self.aliases[container_id] = found
        self._answer()


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

    DEFAULT_CSS = """
    NetworksPane #network-detail { height: auto; max-height: 12; border-top: solid $panel; padding: 0 1; }
    """

    BINDINGS = [Binding("a", "reach", "Can A reach B?")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: HostSnapshot | None = None
        self.aliases: dict[str, dict[str, tuple[str, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(id="network-detail")

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        return {n.id: network_cells(n, snapshot) for n in snapshot.networks}

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot
        super().show_snapshot(snapshot)
        self._show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        super().on_data_table_row_highlighted(event)
        self._show_detail()

    @property
    def selected(self) -> Network | None:
        key = self.table.current_key
        return self.snapshot.network_by_id.get(key) if self.snapshot and key else None

    def _show_detail(self) -> None:
        network = self.selected
        detail = self.query_one("#network-detail", Static)
        if network is None or self.snapshot is None:
            detail.update(Text("no network selected", style="dim"))
            return
        detail.update(self._detail_text(network))
        missing = [c for c in network.container_ids if c not in self.aliases]
        if missing:
            self._inspect_members(tuple(missing))

    @work(thread=True, exit_on_error=False, exclusive=True, group="network-aliases")
    def _inspect_members(self, container_ids: tuple[str, ...]) -> None:
        from dockscope.engine.session import is_not_found

        found = {}
        for container_id in container_ids:
            try:
                found[container_id] = aliases_from_inspect(self.app.session.client.inspect_container(container_id))
            except Exception as error:
                if not is_not_found(error):
                    raise
        self.app.call_from_thread(self._got_aliases, found)

    def _got_aliases(self, found: dict[str, dict[str, tuple[str, ...]]]) -> None:
        self.aliases.update(found)
        network = self.selected
        if network is not None and self.snapshot is not None:
            self.query_one("#network-detail", Static).update(self._detail_text(network))

    def _detail_text(self, network: Network) -> Text:
        text = unused_summary(self.snapshot)
        text.append("\n")
        text.append_text(network_detail(network, self.snapshot, self.aliases))
        return text

    def action_reach(self) -> None:
        """Open "can A reach B?" with the selected network's first two members (or the selected container)."""
        if self.snapshot is None:
            return
        network = self.selected
        members = [c for c in (network.container_ids if network else ()) if c in self.snapshot.container_by_id]
        selection = self.app.selection
        source = members[0] if members else (selection.key if selection and selection.kind == "container" else None)
        target = members[1] if len(members) > 1 else None
        self.app.push_screen(ReachScreen(self.snapshot, source, target, self.aliases))
