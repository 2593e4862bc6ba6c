"""Pure analysis: stack the layers, find the wasted copies, build the trees.

Wasted space, as dockscope defines it:

* every copy of a file (or symlink) that some layer writes counts once in
  ``written``;
* a copy is *wasted* when a later layer overwrites it (writes the same path,
  or replaces a directory holding it) or deletes it (a whiteout, or an opaque
  directory above it); its own size is counted, once;
* ``final`` is the bytes still visible at the top, so ``written = final + wasted``
  and ``efficiency = final / written``.

The variant "without the base image" does the same sums over the layers above
the base image only; base-image bytes that those layers hide are reported
apart (``base_bytes_hidden``), since editing your own Dockerfile steps cannot
remove them from the base.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from dockscope.layers.model import (
    DIR_KINDS,
    SIZED_KINDS,
    ChangeKind,
    Efficiency,
    FileChange,
    FileEntry,
    ImageAnalysis,
    Kind,
    Layer,
    LayerChanges,
    MergedEntry,
    TreeNode,
    WastedCopy,
    WastedFile,
)

#: How many paths ``top_wasted`` keeps.
TOP_WASTED = 50


@dataclass(slots=True)
class _Node:
    """A path of the filesystem while the layers are being stacked."""

    entry: FileEntry
    layer: int
    children: dict[str, _Node] | None = None

    @property
    def is_dir(self) -> bool:
        return self.children is not None

    @property
    def cost(self) -> int:
        return self.entry.size if self.entry.kind in SIZED_KINDS else 0


@dataclass(slots=True)
class _Stack:
    """The merged filesystem so far, plus what each layer did to it."""

    root: _Node = field(default_factory=lambda: _Node(FileEntry("/", 0, Kind.DIR, 0o755), -1, {}))
    wasted: list[WastedCopy] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)

    def parent_of(self, path: str, layer: int) -> tuple[_Node, str]:
        """The directory node holding ``path`` (made on the way if missing) and its name."""
        parts = path.strip("/").split("/")
        node = self.root
        walked = ""
        for part in parts[:-1]:
            walked += "/" + part
            child = node.children.get(part)
            if child is None or not child.is_dir:
                if child is not None:
                    self._discard(child, layer)
                child = _Node(FileEntry(walked, 0, Kind.DIR, 0o755), layer, {})
                node.children[part] = child
            node = child
        return node, parts[-1]

    @staticmethod
    def _subtree(node: _Node) -> Iterator[_Node]:
        pending = [node]
        while pending:
            current = pending.pop()
            if current.is_dir:
                pending.extend(current.children.values())
            yield current

    def _hide(self, node: _Node, layer: int) -> int:
        """Record the copy at ``node`` (if any) as wasted, hidden by ``layer``; return its bytes."""
        if node.cost:
            self.wasted.append(WastedCopy(node.entry.path, node.cost, node.layer, layer))
        return node.cost

    def _discard(self, node: _Node, layer: int) -> int:
        """Hide every copy under ``node`` (itself included); return their bytes."""
        return sum(self._hide(current, layer) for current in self._subtree(node))

    def _remove(self, parent: _Node, name: str, layer: int) -> None:
        """Delete ``name`` and everything under it, one REMOVED change per path."""
        for current in self._subtree(parent.children.pop(name)):
            removed = self._hide(current, layer)
            self.changes.append(FileChange(current.entry.path, ChangeKind.REMOVED, current.entry.kind, 0, removed))

    def find(self, path: str) -> tuple[_Node | None, str]:
        """The existing directory node holding ``path`` (None if missing) and its name."""
        parts = path.strip("/").split("/")
        node: _Node | None = self.root
        for part in parts[:-1]:
            node = node.children.get(part)
            if node is None or not node.is_dir:
                return None, parts[-1]
        return node, parts[-1]

    def whiteout(self, entry: FileEntry, layer: int) -> None:
        parent, name = self.find(entry.path)
        if parent is not None and name in parent.children:
            self._remove(parent, name, layer)

    def make_opaque(self, entry: FileEntry, layer: int) -> None:
        parent, name = self.find(entry.path)
        node = parent.children.get(name) if parent is not None else None
        if node is not None and node.is_dir:
            for child in list(node.children):
                self._remove(node, child, layer)

    def write(self, entry: FileEntry, layer: int) -> None:
        parent, name = self.parent_of(entry.path, layer)
        old = parent.children.get(name)
        is_dir = entry.kind in DIR_KINDS
        if old is not None and old.is_dir and is_dir:
            old.entry = FileEntry(entry.path, 0, Kind.DIR, entry.mode)
            old.layer = layer
            return
        size = entry.size if entry.kind in SIZED_KINDS else 0
        if old is None:
            self.changes.append(FileChange(entry.path, ChangeKind.ADDED, entry.kind, size, 0))
        else:
            previous = self._discard(old, layer)
            self.changes.append(FileChange(entry.path, ChangeKind.MODIFIED, entry.kind, size, previous))
        merged_entry = FileEntry(entry.path, entry.size, Kind.DIR, entry.mode) if is_dir else entry
        parent.children[name] = _Node(merged_entry, layer, {} if is_dir else None)


def apply_layer(stack: _Stack, entries: Sequence[FileEntry], layer: int) -> LayerChanges:
    """Stack one layer: deletions act on the layers below, then the writes land."""
    stack.changes = []
    for entry in entries:
        if entry.kind is Kind.WHITEOUT:
            stack.whiteout(entry, layer)
        elif entry.kind is Kind.OPAQUE_DIR:
            stack.make_opaque(entry, layer)
    for entry in entries:
        if entry.kind is not Kind.WHITEOUT:
            stack.write(entry, layer)
    changes = tuple(sorted(stack.changes, key=lambda c: c.path))
    return LayerChanges(
        index=layer,
        changes=changes,
        added_bytes=sum(c.size for c in changes if c.change is ChangeKind.ADDED),
        modified_bytes=sum(c.size for c in changes if c.change is ChangeKind.MODIFIED),
        removed_bytes=sum(c.previous_size for c in changes if c.change is ChangeKind.REMOVED),
    )


def _merged(stack: _Stack) -> tuple[MergedEntry, ...]:
    out: list[MergedEntry] = []
    pending = list(stack.root.children.values())
    while pending:
        node = pending.pop()
        entry = node.entry
        out.append(MergedEntry(entry.path, entry.size, entry.kind, entry.mode, node.layer))
        if node.is_dir:
            pending.extend(node.children.values())
    out.sort(key=lambda m: m.path)
    return tuple(out)


def layer_size(entries: Iterable[FileEntry]) -> int:
    """Bytes a layer writes: its files and symlinks (hard links are free)."""
    return sum(e.size for e in entries if e.kind in SIZED_KINDS)


def top_wasted(wasted: Iterable[WastedCopy], limit: int = TOP_WASTED) -> tuple[WastedFile, ...]:
    """Group wasted copies by path, largest total first."""
    by_path: dict[str, list[WastedCopy]] = defaultdict(list)
    for copy in wasted:
        by_path[copy.path].append(copy)
    files = [
        WastedFile(path, sum(c.size for c in copies), len(copies), tuple(sorted({c.written_in for c in copies})))
        for path, copies in by_path.items()
    ]
    files.sort(key=lambda f: (-f.wasted_bytes, f.path))
    return tuple(files[:limit])


def efficiency_over(
    layers: Sequence[Layer], merged: Sequence[MergedEntry], wasted: Sequence[WastedCopy], first: int = 0
) -> Efficiency:
    """Written, final and wasted bytes counting only layers ``first`` and above."""
    written = sum(layer.size for layer in layers[first:])
    final = sum(m.size for m in merged if m.layer >= first and m.kind in SIZED_KINDS)
    lost = sum(c.size for c in wasted if c.written_in >= first)
    return Efficiency(written_bytes=written, final_bytes=final, wasted_bytes=lost)


def stack_layers(layers: Sequence[Layer]) -> tuple[tuple[LayerChanges, ...], tuple[MergedEntry, ...], tuple[WastedCopy, ...]]:
    """Apply every layer in order; return per-layer changes, the merged filesystem, the wasted copies."""
    stack = _Stack()
    changes = tuple(apply_layer(stack, layer.entries, layer.index) for layer in layers)
    return changes, _merged(stack), tuple(stack.wasted)


def analyze(
    *,
    ref: str,
    image_id: str,
    tags: Sequence[str],
    source: str,
    layers: Sequence[Layer],
    base_layers: int = 0,
    base_image: str = "",
) -> ImageAnalysis:
    """Build the full analysis of an image from its layers (bottom first)."""
    changes, merged, wasted = stack_layers(layers)
    return ImageAnalysis(
        ref=ref,
        image_id=image_id,
        tags=tuple(tags),
        source=source,
        layers=tuple(layers),
        changes=changes,
        merged=merged,
        wasted=wasted,
        top_wasted=top_wasted(wasted),
        efficiency=efficiency_over(layers, merged, wasted),
        base_layers=base_layers,
        base_image=base_image,
        own_efficiency=efficiency_over(layers, merged, wasted, base_layers),
        base_bytes_hidden=sum(c.size for c in wasted if c.written_in < base_layers <= c.hidden_by),
    )


def build_tree(entries: Iterable[tuple[str, Kind, int]]) -> TreeNode:
    """A directory tree with totals from ``(path, kind, size)`` triples.

    Works for the merged filesystem (``analysis.merged``) and for one layer
    (``layer.entries``, whiteouts included with size 0). Children are sorted
    largest first, then by name.
    """
    root: dict = {}
    kinds: dict[str, Kind] = {"": Kind.DIR}
    sizes: dict[str, int] = {}
    for path, kind, size in entries:
        node = root
        parts = path.strip("/").split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], {})
        kinds[path.rstrip("/")] = kind
        sizes[path.rstrip("/")] = size if kind in SIZED_KINDS else 0
    return _freeze(root, "", "/", kinds, sizes)


def _freeze(children: dict, path: str, name: str, kinds: dict[str, Kind], sizes: dict[str, int]) -> TreeNode:
    """Turn the nested dicts into TreeNodes, bottom-up, without recursion."""
    done: dict[str, TreeNode] = {}
    pending: list[tuple[str, str, dict, bool]] = [(path, name, children, False)]
    while pending:
        here, label, kids, expanded = pending.pop()
        if not expanded:
            pending.append((here, label, kids, True))
            pending.extend((f"{here}/{k}", k, v, False) for k, v in kids.items())
            continue
        nodes = sorted((done.pop(f"{here}/{k}") for k in kids), key=lambda n: (-n.size, n.name))
        kind = kinds.get(here, Kind.DIR)
        is_dir = kind in DIR_KINDS or bool(nodes)
        own = 0 if is_dir else sizes.get(here, 0)
        done[here] = TreeNode(
            name=label,
            path=here or "/",
            kind=kind,
            size=own + sum(n.size for n in nodes),
            files=(0 if is_dir else 1) + sum(n.files for n in nodes),
            children=tuple(nodes),
        )
    return done[path]


def merged_tree(analysis: ImageAnalysis) -> TreeNode:
    """The final filesystem as a tree with totals."""
    return build_tree((m.path, m.kind, m.size) for m in analysis.merged)


def layer_tree(layer: Layer) -> TreeNode:
    """One layer's entries as a tree with totals."""
    return build_tree((e.path, e.kind, e.size) for e in layer.entries)
