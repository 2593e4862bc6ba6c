"""The layers of one image and the files in them.

The analysis runs in a thread worker through :func:`dockscope.layers.analyze_image`
(overlay2 directories when readable, else the streamed export), with its
progress shown; Escape cancels it and goes back. Then:

* a table of the layers: position (``base`` marks the layers of the base
  image), diff id, size with a text bar, created time, the build step
  (shortened; Enter shows it in full), the other local images sharing the
  layer (by chain id);
* under it, for the layer under the cursor, what it adds, modifies and
  removes (whiteouts, opaque directories) as a tree with per-directory
  totals (``f``); the merged filesystem (``m``); the wasted copies largest
  first (``w``); and the efficiency with and without the base image.

Everything shown comes from the image: paths and build steps go through
:func:`dockscope.ui.text.safe`.
"""

from __future__ import annotations

import threading

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Static, Tree
from textual.widgets.tree import TreeNode as UiNode

from dockscope.layers import (
    ChangeKind,
    ImageAnalysis,
    Layer,
    LayerChanges,
    Progress,
    TreeNode,
    build_tree,
    merged_tree,
)
from dockscope.ui.footer import Footer
from dockscope.ui.text import safe, safe_block

#: Cells of the widest bar in the size column.
BAR_WIDTH = 12
#: Children of one tree node shown before "… n more".
TREE_FANOUT = 500


def size(value: int) -> str:
    return humanize.naturalsize(value)


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> Text:
    """A text bar, at least one cell for a non-empty layer."""
    cells = 0 if not largest else round(width * value / largest)
    cells = max(cells, 1 if value else 0)
    return Text("█" * cells + " " * (width - cells), style="cyan", end="")


def short_step(created_by: str) -> str:
    """The build step without the ``/bin/sh -c #(nop)`` noise."""
    step = created_by.strip()
    for prefix in ("/bin/sh -c #(nop) ", "/bin/sh -c "):
        if step.startswith(prefix):
            step = step[len(prefix):].strip()
            break
    return step


def layer_cells(layer: Layer, analysis: ImageAnalysis, largest: int) -> tuple[Text, ...]:
    in_base = layer.index < analysis.base_layers
    position = Text(f"{layer.index}", style="bold", end="")
    if in_base:
        position.append(" base", style="dim")
    size_cell = Text(f"{size(layer.size):>9} ", end="")
    size_cell.append_text(bar(layer.size, largest))
    return (
        position,
        safe(layer.diff_id.removeprefix("sha256:")[:12], "dim"),
        size_cell,
        safe(layer.created[:16].replace("T", " "), "dim"),
        safe(short_step(layer.created_by) or "(unknown step)", "dim" if in_base else "", limit=60),
        safe(", ".join(layer.shared_with) or "-", "dim", limit=60),
    )


def summary_text(analysis: ImageAnalysis) -> Text:
    """Efficiency (all layers and own layers), wasted bytes, base image, source."""
    eff, own = analysis.efficiency, analysis.own_efficiency
    text = Text(f"{len(analysis.layers)} layers, {size(eff.written_bytes)} written, {size(eff.final_bytes)} final; ", end="")
    text.append(f"wasted {size(eff.wasted_bytes)}, efficiency {eff.score:.1%}", style="yellow" if eff.wasted_bytes else "green")
    if analysis.base_layers:
        text.append("\n")
        text.append("base image ", style="dim")
        text.append_text(safe(analysis.base_image, "bold", limit=60))
        text.append(f" = layers 0-{analysis.base_layers - 1}; own layers: wasted {size(own.wasted_bytes)}, efficiency {own.score:.1%}")
        if analysis.base_bytes_hidden:
            text.append(f", hiding {size(analysis.base_bytes_hidden)} of the base", style="dim")
    text.append(f"  [read via {analysis.source}]", style="dim")
    return text


def node_label(node: TreeNode, style: str = "") -> Text:
    label = safe(node.name or "/", style or ("bold" if node.children else ""), limit=120)
    label.append(f"  {size(node.size)}", style="cyan")
    if node.children:
        label.append(f"  ({node.files} files)", style="dim")
    return label


def add_children(ui_node: UiNode, node: TreeNode, style: str = "") -> None:
    """Add one level (lazily: deeper levels come when a node is expanded).

    A directory that is the only child is opened at once, so a lone deep path
    (``/srv/cache/blob``) shows without a key press per level.
    """
    for child in node.children[:TREE_FANOUT]:
        if child.children:
            added = ui_node.add(node_label(child, style), data=(child, style), allow_expand=True)
            if len(node.children) == 1:
                add_children(added, child, style)
                added.expand()
        else:
            ui_node.add_leaf(node_label(child, style), data=(child, style))
    if len(node.children) > TREE_FANOUT:
        ui_node.add_leaf(Text(f"… {len(node.children) - TREE_FANOUT} more", style="dim"))


def change_trees(changes: LayerChanges) -> list[tuple[str, str, TreeNode]]:
    """(title, style, tree) for what a layer adds, modifies and removes; removals weigh what they hide."""
    out = []
    for kind, style in ((ChangeKind.ADDED, "green"), (ChangeKind.MODIFIED, "yellow"), (ChangeKind.REMOVED, "red")):
        found = changes.of(kind)
        if not found:
            continue
        weight = (lambda c: c.previous_size) if kind is ChangeKind.REMOVED else (lambda c: c.size)
        tree = build_tree((c.path, c.kind, weight(c)) for c in found)
        title = f"{kind.value} ({len(found)} paths, {size(tree.size)})"
        out.append((title, style, tree))
    return out


class LayersScreen(Screen):
    """One image's layers, their files, the merged filesystem and the wasted space."""

    DEFAULT_CSS = """
    LayersScreen #layers-title { height: auto; padding: 0 1; background: $panel; }
    LayersScreen #layers-progress { height: auto; padding: 0 1; }
    LayersScreen #layers-table { height: auto; max-height: 45%; min-height: 4; }
    LayersScreen #layers-step { height: auto; max-height: 8; padding: 0 1; display: none; border-top: solid $panel; }
    LayersScreen #layers-step.shown { display: block; }
    LayersScreen ContentSwitcher { height: 1fr; border-top: solid $panel; }
    LayersScreen Tree, LayersScreen #layers-wasted { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back (cancels)"),
        Binding("f", "show('layer-files')", "Layer files"),
        Binding("m", "show('merged-files')", "Merged fs"),
        Binding("w", "show('layers-wasted')", "Wasted"),
        Binding("tab", "focus_next", "Switch focus", show=False),
    ]

    def __init__(self, image_id: str, name: str = "") -> None:
        super().__init__()
        self.image_id = image_id
        self.image_name = name or image_id[7:19]
        self.analysis: ImageAnalysis | None = None
        self.error = ""
        self.cancel = threading.Event()
        self._shown_layer: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="layers-title")
            yield Static(Text("analysing…", style="dim"), id="layers-progress")
            table = DataTable(id="layers-table", cursor_type="row")
            yield table
            yield Static(id="layers-step")
            with ContentSwitcher(initial="layer-files"):
                yield Tree(Text("files of the layer"), id="layer-files")
                yield Tree(Text("merged filesystem"), id="merged-files")
                yield DataTable(id="layers-wasted", cursor_type="row")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#layers-table", DataTable)

    def on_mount(self) -> None:
        title = Text("Layers of ", style="bold", end="")
        title.append_text(safe(self.image_name, "bold", limit=100))
        self.query_one("#layers-title", Static).update(title)
        for key, label in (("pos", "#"), ("diff", "Diff id"), ("size", "Size"), ("created", "Created"), ("step", "Created by"), ("shared", "Shared with")):
            self.table.add_column(label, key=key)
        wasted = self.query_one("#layers-wasted", DataTable)
        for key, label in (("path", "Wasted file"), ("bytes", "Wasted"), ("copies", "Copies"), ("layers", "Written in layers")):
            wasted.add_column(label, key=key)
        self.table.focus()
        self._analyse()

    # ------------------------------------------------------------ analysis
    @work(thread=True, exit_on_error=False, group="layers-analysis")
    def _analyse(self) -> None:
        from dockscope.layers import analyze_image

        try:
            analysis = analyze_image(self.app.session.client, self.image_id, progress=self._progress_from_thread, cancel=self.cancel)
        except Exception as error:  # not found, no source, cancelled: said on the screen
            if not self.cancel.is_set():
                self.app.call_from_thread(self._failed, str(error))
            return
        if not self.cancel.is_set():
            self.app.call_from_thread(self.show_analysis, analysis)

    def _progress_from_thread(self, progress: Progress) -> None:
        if not self.cancel.is_set():
            self.app.call_from_thread(self._show_progress, progress)

    def _show_progress(self, progress: Progress) -> None:
        done = progress.done if progress.unit != "bytes" else size(progress.done)
        total = "" if progress.total is None else f" of {progress.total if progress.unit != 'bytes' else size(progress.total)}"
        line = Text(f"{progress.stage}: {done}{total} {progress.unit if progress.unit != 'bytes' else ''}  (Escape cancels)", style="dim", end="")
        if progress.total:
            line.append("\n")
            line.append_text(bar(progress.done, progress.total, 40))
        self.query_one("#layers-progress", Static).update(line)

    def _failed(self, message: str) -> None:
        self.error = message
        self.query_one("#layers-progress", Static).update(safe_block(f"layer analysis failed: {message}", "bold red"))

    def show_analysis(self, analysis: ImageAnalysis) -> None:
        """Fill the table, the summary, the merged tree and the wasted list."""
        self.analysis = analysis
        self.query_one("#layers-progress", Static).update(summary_text(analysis))
        largest = max((layer.size for layer in analysis.layers), default=0)
        for layer in analysis.layers:
            self.table.add_row(*layer_cells(layer, analysis, largest), key=str(layer.index))
        self._fill_merged(analysis)
        self._fill_wasted(analysis)
        if analysis.layers:
            self.table.move_cursor(row=len(analysis.layers) - 1)
            self.show_layer(len(analysis.layers) - 1)

    def _fill_merged(self, analysis: ImageAnalysis) -> None:
        tree = self.query_one("#merged-files", Tree)
        root = merged_tree(analysis)
        tree.root.set_label(Text(f"merged filesystem  {size(root.size)}  ({root.files} files)", style="bold"))
        tree.root.data = (root, "")
        add_children(tree.root, root)
        tree.root.expand()

    def _fill_wasted(self, analysis: ImageAnalysis) -> None:
        table = self.query_one("#layers-wasted", DataTable)
        for index, item in enumerate(analysis.top_wasted[:500]):
            table.add_row(
                safe(item.path, limit=80),
                Text(size(item.wasted_bytes), style="yellow"),
                Text(str(item.copies)),
                Text(", ".join(map(str, item.layers)), style="dim"),
                key=str(index),
            )
        if not analysis.top_wasted:
            table.add_row(Text("no wasted copy", style="green"), Text(""), Text(""), Text(""))

    def show_layer(self, index: int) -> None:
        """The files the layer adds, modifies and removes, as trees with totals."""
        if self.analysis is None or index == self._shown_layer or not 0 <= index < len(self.analysis.layers):
            return
        self._shown_layer = index
        changes = self.analysis.changes[index]
        tree = self.query_one("#layer-files", Tree)
        tree.clear()
        tree.root.set_label(
            Text(f"layer {index}: +{size(changes.added_bytes)} added, ~{size(changes.modified_bytes)} modified, "
                 f"-{size(changes.removed_bytes)} removed", style="bold")
        )
        for title, style, node in change_trees(changes):
            group = tree.root.add(Text(title, style=f"bold {style}"), data=(node, style), expand=True)
            add_children(group, node, style)
        if not changes.changes:
            tree.root.add_leaf(Text("no file changes (metadata only)", style="dim"))
        tree.root.expand()
        self._show_step(self.analysis.layers[index], full=False)

    def _show_step(self, layer: Layer, *, full: bool) -> None:
        box = self.query_one("#layers-step", Static)
        box.set_class(full, "shown")
        if full:
            text = Text(f"layer {layer.index} ", style="bold", end="")
            text.append(layer.diff_id, style="dim")
            text.append("\n")
            text.append_text(safe_block(layer.created_by or "(unknown step)"))
            for meta in layer.metadata:
                text.append("\n")
                text.append_text(safe(meta.created_by, "dim", limit=300))
            box.update(text)

    # -------------------------------------------------------------- events
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "layers-table" and event.row_key.value is not None:
            self.show_layer(int(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a layer: its full build step (Enter again hides it)."""
        if event.data_table.id != "layers-table" or self.analysis is None or event.row_key.value is None:
            return
        event.stop()
        layer = self.analysis.layers[int(event.row_key.value)]
        self._show_step(layer, full=not self.query_one("#layers-step").has_class("shown"))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if isinstance(data, tuple) and not event.node.children:
            node, style = data
            add_children(event.node, node, style)

    def action_show(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        self.query_one(f"#{view}").focus()

    def action_back(self) -> None:
        """Cancel a running analysis and go back."""
        self.cancel.set()
        self.dismiss()
