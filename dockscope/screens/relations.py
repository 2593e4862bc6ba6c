"""The tree around the selected object (like k9s xray), and the way to follow a link.

Root: the selected container, image, network or volume. Below it, what it is
related to (:func:`dockscope.engine.relations.related`) and, one level further,
what those relate to. An image node has a "layers" child that runs the layer
analysis of :mod:`dockscope.layers` when expanded; Enter on it opens the full
layers screen above this one. Enter on an object dismisses the screen with
where to go, ``(pane id, Selection)``; Escape closes it.
"""

from __future__ import annotations

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, Tree
from textual.widgets.tree import TreeNode

from dockscope.engine.model import HostSnapshot
from dockscope.engine.relations import related
from dockscope.ui.messages import Selection
from dockscope.ui.text import safe

#: Where each kind of object is listed.
PANE_FOR_KIND = {"container": "containers", "image": "images", "network": "networks", "volume": "volumes"}
#: Group titles per relation, in the order shown.
GROUPS = {"image": "image", "network": "networks", "volume": "volumes", "used by": "containers", "attached": "containers", "mounted by": "containers"}
#: Where to go: (pane id, selection).
Destination = tuple[str, Selection]


def describe(snapshot: HostSnapshot, kind: str, key: str) -> Text:
    """One line naming an object, with its state or size."""
    text = Text(f"{kind} ", style="dim", end="")
    if kind == "container" and key in snapshot.container_by_id:
        container = snapshot.container_by_id[key]
        text.append_text(safe(container.name, "bold", limit=80))
        text.append(f" [{container.state}]", style="green" if container.state == "running" else "dim")
    elif kind == "image" and key in snapshot.image_by_id:
        image = snapshot.image_by_id[key]
        text.append_text(safe(image.display_name, "bold", limit=80))
        text.append(f" {humanize.naturalsize(image.size, gnu=True)}", style="dim")
    elif kind == "network" and key in snapshot.network_by_id:
        network = snapshot.network_by_id[key]
        text.append_text(safe(network.name, "bold", limit=80))
        subnets = ", ".join(s.subnet for s in network.subnets)
        text.append_text(safe(f" {network.driver} {subnets}" + (" internal" if network.internal else ""), "dim"))
    else:
        text.append_text(safe(key, "bold", limit=80))
    return text


class RelationsScreen(ModalScreen[Destination | None]):
    """Related objects of the selection, two levels deep; Enter goes there."""

    DEFAULT_CSS = """
    RelationsScreen { align: center middle; }
    RelationsScreen > Vertical { width: 100; max-width: 98%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1; }
    RelationsScreen Tree { height: 1fr; }
    RelationsScreen #relations-hint { height: 1; color: $text-muted; }
    """

    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, snapshot: HostSnapshot, selection: Selection, *, layers_pane: str | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.selection = selection
        self.layers_pane = layers_pane
        self._layers_loaded: set[str] = set()

    def compose(self) -> ComposeResult:
        root = describe(self.snapshot, self.selection.kind, self.selection.key)
        with Vertical():
            yield Label(Text("Relations (Enter: go there, Escape: back)", style="bold"))
            yield Tree(root, data=self.selection, id="relations-tree")
            yield Static(id="relations-hint")

    @property
    def tree(self) -> Tree:
        return self.query_one(Tree)

    def on_mount(self) -> None:
        tree = self.tree
        self._fill(tree.root, self.selection, depth=2, exclude=set())
        tree.root.expand()
        tree.focus()

    def _fill(self, node: TreeNode, selection: Selection, depth: int, exclude: set[tuple[str, str]]) -> None:
        """Add the relations of ``selection`` under ``node``, ``depth`` levels deep, skipping ``exclude``."""
        links = [l for l in related(self.snapshot, selection.kind, selection.key) if (l.kind, l.key) not in exclude]
        seen = exclude | {(selection.kind, selection.key)}
        groups: dict[str, TreeNode] = {}
        for link in links:
            title = GROUPS.get(link.relation, link.relation)
            group = groups.get(title)
            if group is None:
                group = groups[title] = node.add(Text(title, style="cyan", end=""), expand=depth > 1)
            label, data = describe(self.snapshot, link.kind, link.key), Selection(link.kind, link.key)
            label.append_text(self._mounted_at(selection, data))
            if depth > 1:
                self._fill(group.add(label, data=data, expand=True), data, depth - 1, seen)
            else:
                group.add_leaf(label, data=data)
        if selection.kind == "image":
            node.add(Text("layers", style="cyan", end=""), data=("layers", selection.key), allow_expand=True)
        if selection.kind == "container" and depth > 1:
            self._add_binds(node, selection.key)

    def _mounted_at(self, one: Selection, other: Selection) -> Text:
        """" at /data" between a container and a volume it mounts (empty otherwise)."""
        pair = {one.kind: one.key, other.kind: other.key}
        container = self.snapshot.container_by_id.get(pair.get("container", ""))
        if container is None or "volume" not in pair:
            return Text("", end="")
        where = [m.destination for m in container.mounts if m.name == pair["volume"]]
        return safe(f" at {', '.join(where)}", "dim") if where else Text("", end="")

    def _add_binds(self, node: TreeNode, container_id: str) -> None:
        container = self.snapshot.container_by_id.get(container_id)
        binds = [m for m in container.mounts if m.type == "bind"] if container else []
        if binds:
            group = node.add(Text("bind mounts", style="cyan", end=""))
            for mount in binds:
                group.add_leaf(safe(f"{mount.source} -> {mount.destination}" + ("" if mount.rw else " (ro)")))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if isinstance(data, tuple) and data[0] == "layers" and data[1] not in self._layers_loaded:
            self._layers_loaded.add(data[1])
            event.node.add_leaf(Text("analysing…", style="dim"))
            self._analyse(event.node, data[1])

    @work(thread=True, exit_on_error=False, group="relations-layers")
    def _analyse(self, node: TreeNode, image_id: str) -> None:
        from dockscope.layers.source import analyze_image

        try:
            analysis = analyze_image(self.app.session.client, image_id)
        except Exception as error:  # no overlay access and no stream: say so in the tree
            self.app.call_from_thread(self._layers_failed, node, str(error))
            return
        self.app.call_from_thread(self._layers_ready, node, analysis)

    def _layers_ready(self, node: TreeNode, analysis) -> None:
        node.remove_children()
        for layer in analysis.layers:
            line = Text(f"#{layer.index} {humanize.naturalsize(layer.size, gnu=True):>6} ", style="dim", end="")
            line.append_text(safe(layer.created_by or layer.diff_id[:19], limit=90))
            node.add_leaf(line, data=("layers", analysis.image_id))
        wasted = analysis.efficiency.wasted_bytes
        node.add_leaf(Text(f"efficiency {analysis.efficiency.score:.0%}, wasted {humanize.naturalsize(wasted, gnu=True)}", style="yellow" if wasted else "green"))

    def _layers_failed(self, node: TreeNode, message: str) -> None:
        node.remove_children()
        node.add_leaf(safe(f"layers unavailable: {message}", "yellow", limit=200))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        destination = self.destination(event.node.data)
        if destination is not None:
            self.dismiss(destination)
        elif isinstance(event.node.data, tuple):
            self._open_layers(event.node.data[1])

    def _open_layers(self, image_id: str) -> None:
        """The full layer view on top of this tree (Escape comes back here); else the inline analysis."""
        try:
            from dockscope.screens.layers import LayersScreen
        except ImportError:
            self.query_one("#relations-hint", Static).update(Text("the layer analysis is shown in this tree", style="dim"))
            return
        image = self.snapshot.image_by_id.get(image_id)
        self.app.push_screen(LayersScreen(image_id, image.display_name if image else ""))

    def destination(self, data: object) -> Destination | None:
        """Where a node leads: an object's pane, the layers pane, or nowhere."""
        if isinstance(data, Selection) and data.kind in PANE_FOR_KIND:
            return PANE_FOR_KIND[data.kind], data
        if isinstance(data, tuple) and data[0] == "layers" and self.layers_pane:
            return self.layers_pane, Selection("image", data[1])
        return None

    def action_close(self) -> None:
        self.dismiss(None)
