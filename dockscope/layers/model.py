"""Immutable model of an image's layers, its files and what they cost.

Everything here is a frozen dataclass of tuples, built by the pure functions in
:mod:`dockscope.layers.analysis` and :mod:`dockscope.layers.diff`. Nothing here
knows where the entries came from (overlay2 directories or a ``docker save``
stream): both sources produce the same :class:`RawLayer` values.

Paths are absolute (``/bin/busybox``), never end with ``/`` and come from the
image: show them through ``textsafe.clean``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(str, enum.Enum):
    """What one entry in a layer is."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    #: A hard link to a file written earlier in the same layer; costs no bytes.
    HARDLINK = "hardlink"
    #: Deletes the path (and everything under it) from the layers below.
    WHITEOUT = "whiteout"
    #: A directory that hides everything the layers below had under it.
    OPAQUE_DIR = "opaque-dir"
    #: Device nodes, fifos, sockets.
    OTHER = "other"


#: Kinds whose ``size`` counts as bytes written to the image.
SIZED_KINDS = frozenset({Kind.FILE, Kind.SYMLINK, Kind.OTHER})
#: Kinds that are directories once merged.
DIR_KINDS = frozenset({Kind.DIR, Kind.OPAQUE_DIR})


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One entry of one layer, as the layer's tar or diff directory has it.

    ``size`` is the byte count of a file, the target length of a symlink (as
    ``stat`` and the daemon count it) and 0 for everything else.
    """

    path: str
    size: int
    kind: Kind
    mode: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the image's build history."""

    created_by: str
    created: str = ""
    comment: str = ""
    empty_layer: bool = False


@dataclass(frozen=True, slots=True)
class RawLayer:
    """What a source reads for one layer: its diff id and its entries, sorted by path."""

    diff_id: str
    entries: tuple[FileEntry, ...]


@dataclass(frozen=True, slots=True)
class Layer:
    """One filesystem layer of an image.

    Attributes:
        index: Position, 0 is the bottom layer.
        diff_id: Digest of the uncompressed layer tar (``RootFS.Layers[index]``).
        chain_id: Identifies this layer *and everything below it*; equal chain
            ids in two images mean the same stack of layers is shared.
        size: Bytes this layer writes (files and symlinks, every copy).
        created_by: The build step that made the layer ("" when unknown).
        created: Its timestamp as the image records it (RFC 3339, "" when unknown).
        comment: The history comment.
        metadata: The ``empty_layer`` history lines (ENV, LABEL, CMD ...) that
            follow this layer's step, before the next layer; the first layer
            also gets those that precede it.
        entries: The layer's entries, sorted by path.
        shared_with: Other local images (their tags, or ids) whose layer chain
            contains this layer's chain id.
    """

    index: int
    diff_id: str
    chain_id: str
    size: int
    created_by: str
    created: str
    comment: str
    metadata: tuple[HistoryEntry, ...]
    entries: tuple[FileEntry, ...]
    shared_with: tuple[str, ...] = ()


class ChangeKind(str, enum.Enum):
    """How a layer changes a path of the filesystem below it."""

    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One path a layer adds, modifies or removes.

    ``size`` is the new copy's size (0 for a removal); ``previous_size`` the size
    of the copy it replaces or removes (0 for an addition).
    """

    path: str
    change: ChangeKind
    kind: Kind
    size: int
    previous_size: int


@dataclass(frozen=True, slots=True)
class LayerChanges:
    """What one layer does to the filesystem below it, with byte totals."""

    index: int
    changes: tuple[FileChange, ...]
    added_bytes: int
    modified_bytes: int
    removed_bytes: int

    def of(self, change: ChangeKind) -> tuple[FileChange, ...]:
        """The changes of one kind."""
        return tuple(c for c in self.changes if c.change is change)


@dataclass(frozen=True, slots=True)
class MergedEntry:
    """One path of the final filesystem, with the layer that wrote it last."""

    path: str
    size: int
    kind: Kind
    mode: int
    layer: int


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A directory tree with totals; children sorted largest first.

    ``size`` is the node's own size for a file and the sum of everything under
    it for a directory; ``files`` counts the non-directory entries under it.
    """

    name: str
    path: str
    kind: Kind
    size: int
    files: int
    children: tuple[TreeNode, ...] = ()


@dataclass(frozen=True, slots=True)
class WastedCopy:
    """One copy of a file that a later layer overwrote or deleted."""

    path: str
    size: int
    written_in: int
    hidden_by: int


@dataclass(frozen=True, slots=True)
class WastedFile:
    """All the wasted copies of one path."""

    path: str
    wasted_bytes: int
    copies: int
    layers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Efficiency:
    """Wasted space and efficiency over a set of layers.

    ``written_bytes`` is every copy written by those layers, ``final_bytes`` the
    part of it still visible at the top, ``wasted_bytes`` the copies a later
    layer overwrote or deleted (each copy once). ``written = final + wasted``.
    """

    written_bytes: int
    final_bytes: int
    wasted_bytes: int

    @property
    def score(self) -> float:
        """final / written; 1.0 for an image that writes nothing."""
        return self.final_bytes / self.written_bytes if self.written_bytes else 1.0


@dataclass(frozen=True, slots=True)
class ImageAnalysis:
    """Everything the layers view and the headless commands show for one image.

    Attributes:
        ref: What the user asked for (a tag or id).
        image_id: The image's id.
        tags: Its repo tags.
        source: ``"overlay2"``, ``"stream"``, or ``"none"`` for an image
            without layers.
        layers: Bottom first.
        changes: Per layer, what it adds, modifies and removes.
        merged: The final filesystem, sorted by path.
        wasted: Every wasted copy.
        top_wasted: Wasted bytes grouped by path, largest first.
        efficiency: Over all layers.
        base_layers: How many bottom layers belong to a base image (another
            local image whose whole layer chain is a prefix of this one), 0 if none.
        base_image: That base image's name ("" if none).
        own_efficiency: Over the layers above the base image only.
        base_bytes_hidden: Bytes of base-image files that this image's own
            layers overwrite or delete (wasted, but not removable by editing
            only the layers above the base).
    """

    ref: str
    image_id: str
    tags: tuple[str, ...]
    source: str
    layers: tuple[Layer, ...]
    changes: tuple[LayerChanges, ...]
    merged: tuple[MergedEntry, ...]
    wasted: tuple[WastedCopy, ...]
    top_wasted: tuple[WastedFile, ...]
    efficiency: Efficiency
    base_layers: int
    base_image: str
    own_efficiency: Efficiency
    base_bytes_hidden: int

    @property
    def size(self) -> int:
        """Bytes of the final filesystem."""
        return self.efficiency.final_bytes


@dataclass(frozen=True, slots=True)
class LayerPair:
    """Two layers at the same position in two images (either may be missing)."""

    index: int
    a: Layer | None
    b: Layer | None
    shared: bool

    @property
    def delta(self) -> int:
        """Size of B's layer minus A's."""
        return (self.b.size if self.b else 0) - (self.a.size if self.a else 0)


class FileDelta(str, enum.Enum):
    """How a path of the final filesystem differs from A to B."""

    ADDED = "added"
    REMOVED = "removed"
    GROWN = "grown"
    SHRUNK = "shrunk"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FileDifference:
    """One path whose final state differs between A and B (-1: absent)."""

    path: str
    delta: FileDelta
    size_a: int
    size_b: int

    @property
    def bytes(self) -> int:
        """B minus A, absent counting as 0."""
        return max(self.size_b, 0) - max(self.size_a, 0)


@dataclass(frozen=True, slots=True)
class ImageDiff:
    """Two images compared: layers aligned, final filesystems compared.

    ``files`` holds added, removed, grown and shrunk paths (and ``changed``
    ones: same size, different kind or mode), largest absolute change first.
    """

    a: ImageAnalysis
    b: ImageAnalysis
    shared_layers: int
    layers: tuple[LayerPair, ...]
    files: tuple[FileDifference, ...]
    size_delta: int
    summary: str
