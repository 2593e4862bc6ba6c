"""Image layer analysis, free of any UI: model, sources, wasted space, diff.

The UI calls :func:`analyze_image` from a worker thread (with a progress
callback and a cancel event) and :func:`diff_images` on two results; the
trees come from :func:`merged_tree` and :func:`layer_tree`. The headless
commands live in :mod:`dockscope.layers.cli`. Nothing here imports textual or
rich.
"""

from dockscope.layers.analysis import build_tree, layer_tree, merged_tree
from dockscope.layers.diff import diff_images
from dockscope.layers.model import (
    ChangeKind,
    Efficiency,
    FileChange,
    FileDelta,
    FileDifference,
    FileEntry,
    HistoryEntry,
    ImageAnalysis,
    ImageDiff,
    Kind,
    Layer,
    LayerChanges,
    LayerPair,
    MergedEntry,
    TreeNode,
    WastedCopy,
    WastedFile,
)
from dockscope.layers.sizes import format_size, parse_size
from dockscope.layers.source import (
    AnalysisCancelled,
    ImageNotFound,
    LayersError,
    Progress,
    SourceUnavailable,
    analyze_image,
    local_images,
)

__all__ = [
    "AnalysisCancelled",
    "ChangeKind",
    "Efficiency",
    "FileChange",
    "FileDelta",
    "FileDifference",
    "FileEntry",
    "HistoryEntry",
    "ImageAnalysis",
    "ImageDiff",
    "ImageNotFound",
    "Kind",
    "Layer",
    "LayerChanges",
    "LayerPair",
    "LayersError",
    "MergedEntry",
    "Progress",
    "SourceUnavailable",
    "TreeNode",
    "WastedCopy",
    "WastedFile",
    "analyze_image",
    "build_tree",
    "diff_images",
    "format_size",
    "layer_tree",
    "local_images",
    "merged_tree",
    "parse_size",
]
