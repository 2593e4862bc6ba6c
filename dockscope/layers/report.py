"""Plain-text and JSON renderings of analyses and diffs (for the headless commands).

Every string that comes from an image (paths, ``created_by``, tags) goes
through :func:`safe` before it is printed; JSON output relies on
``json.dumps`` escaping control characters.
"""

from __future__ import annotations

from dockscope.layers.model import (
    ChangeKind,
    Efficiency,
    FileDifference,
    ImageAnalysis,
    ImageDiff,
    Layer,
    LayerPair,
)
from dockscope.layers.sizes import format_size

try:
    from dockscope.textsafe import clean as _clean
except ImportError:  # textsafe is written in parallel; keep a minimal stand-in until then
    _clean = None


def safe(text: object) -> str:
    """``text`` with every control character made visible (C0, DEL, C1, ESC)."""
    if _clean is not None:
        return _clean(text, limit=None)
    return "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in str(text or "")
    )


def short_step(created_by: str, width: int = 60) -> str:
    """A build step shortened for a table: shell prefix dropped, cut to ``width``."""
    text = created_by.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").strip()
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_id(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


def _efficiency_line(label: str, e: Efficiency) -> str:
    return (
        f"{label}: written {format_size(e.written_bytes)}, final {format_size(e.final_bytes)}, "
        f"wasted {format_size(e.wasted_bytes)}; efficiency {e.score:.2%}"
    )


def _layer_row(layer: Layer, base_layers: int) -> str:
    shared = ", ".join(layer.shared_with[:2]) + (" …" if len(layer.shared_with) > 2 else "")
    mark = "b" if layer.index < base_layers else " "
    return (
        f"{layer.index:>3}{mark} {format_size(layer.size):>10}  {_short_id(layer.diff_id)}  "
        f"{safe(shared)[:24]:<24}  {safe(short_step(layer.created_by))}"
    )


def analysis_text(analysis: ImageAnalysis, top: int = 10) -> list[str]:
    """The ``dockscope layers`` report as lines."""
    name = ", ".join(analysis.tags) or analysis.ref
    lines = [f"Image {safe(name)}  {_short_id(analysis.image_id)}  (read from {analysis.source})"]
    if analysis.base_layers:
        lines.append(f"Base image: {safe(analysis.base_image)} (layers 0-{analysis.base_layers - 1}, marked b)")
    lines += ["", f"{'#':>4} {'SIZE':>10}  {'DIFF ID':<12}  {'SHARED WITH':<24}  CREATED BY"]
    lines += [_layer_row(layer, analysis.base_layers) for layer in analysis.layers]
    lines += ["", _efficiency_line("All layers", analysis.efficiency)]
    if analysis.base_layers:
        lines.append(_efficiency_line("Above the base image", analysis.own_efficiency))
        lines.append(f"Base-image bytes hidden by the layers above it: {format_size(analysis.base_bytes_hidden)}")
    if analysis.top_wasted:
        lines += ["", "Top wasted files:"]
        for item in analysis.top_wasted[:top]:
            copies = f"{item.copies} cop{'y' if item.copies == 1 else 'ies'}"
            where = ",".join(str(i) for i in item.layers)
            lines.append(f"{format_size(item.wasted_bytes):>10}  {copies:<9} layer {where:<6} {safe(item.path)}")
    return lines


def _efficiency_json(e: Efficiency) -> dict:
    return {"written_bytes": e.written_bytes, "final_bytes": e.final_bytes, "wasted_bytes": e.wasted_bytes, "efficiency": e.score}


def _layer_json(layer: Layer, changes) -> dict:
    return {
        "index": layer.index,
        "diff_id": layer.diff_id,
        "chain_id": layer.chain_id,
        "size": layer.size,
        "created_by": layer.created_by,
        "created": layer.created,
        "comment": layer.comment,
        "metadata": [m.created_by for m in layer.metadata],
        "shared_with": list(layer.shared_with),
        "entries": len(layer.entries),
        "added": {"count": len(changes.of(ChangeKind.ADDED)), "bytes": changes.added_bytes},
        "modified": {"count": len(changes.of(ChangeKind.MODIFIED)), "bytes": changes.modified_bytes},
        "removed": {"count": len(changes.of(ChangeKind.REMOVED)), "bytes": changes.removed_bytes},
    }


def _changes_json(changes) -> list[dict]:
    return [
        {"path": c.path, "change": c.change.value, "kind": c.kind.value, "size": c.size, "previous_size": c.previous_size}
        for c in changes.changes
    ]


def analysis_json(analysis: ImageAnalysis, top: int = 50, files: bool = False) -> dict:
    """The ``dockscope layers --json`` document; ``files`` adds every change of every layer."""
    document = {
        "ref": analysis.ref,
        "image_id": analysis.image_id,
        "tags": list(analysis.tags),
        "source": analysis.source,
        "layers": [_layer_json(layer, changes) for layer, changes in zip(analysis.layers, analysis.changes)],
        "efficiency": _efficiency_json(analysis.efficiency),
        "base_image": analysis.base_image or None,
        "base_layers": analysis.base_layers,
        "efficiency_without_base": _efficiency_json(analysis.own_efficiency),
        "base_bytes_hidden": analysis.base_bytes_hidden,
        "top_wasted": [
            {"path": f.path, "wasted_bytes": f.wasted_bytes, "copies": f.copies, "layers": list(f.layers)}
            for f in analysis.top_wasted[:top]
        ],
    }
    if files:
        for layer_document, changes in zip(document["layers"], analysis.changes):
            layer_document["changes"] = _changes_json(changes)
    return document


def _pair_row(pair: LayerPair) -> str:
    size_a = format_size(pair.a.size) if pair.a else "-"
    size_b = format_size(pair.b.size) if pair.b else "-"
    delta = "" if pair.shared else f"{'+' if pair.delta > 0 else ''}{format_size(pair.delta)}"
    step = pair.b.created_by if pair.b else pair.a.created_by
    return f"{pair.index:>3}{'=' if pair.shared else ' '} {size_a:>10} {size_b:>10} {delta:>11}  {safe(short_step(step, 50))}"


def _file_row(change: FileDifference) -> str:
    sign = "+" if change.bytes > 0 else ""
    return f"{sign + format_size(change.bytes):>11}  {change.delta.value:<8} {safe(change.path)}"


def diff_text(diff: ImageDiff, limit: int = 30) -> list[str]:
    """The ``dockscope diff`` report as lines, ending with the summary line."""
    lines = [
        f"A: {safe(diff.a.ref)}  {_short_id(diff.a.image_id)}  {format_size(diff.a.efficiency.written_bytes)}",
        f"B: {safe(diff.b.ref)}  {_short_id(diff.b.image_id)}  {format_size(diff.b.efficiency.written_bytes)}",
        "",
        f"Layers: {diff.shared_layers} shared (=), then {len(diff.layers) - diff.shared_layers} differ",
        f"{'#':>4} {'A SIZE':>10} {'B SIZE':>10} {'DELTA':>11}  CREATED BY (B, else A)",
    ]
    lines += [_pair_row(pair) for pair in diff.layers]
    lines += ["", f"Files: {len(diff.files)} differ in the final filesystems" + (f" (largest {limit} shown)" if len(diff.files) > limit else "")]
    lines += [_file_row(change) for change in diff.files[:limit]]
    lines += ["", safe(diff.summary)]
    return lines


def _pair_json(pair: LayerPair) -> dict:
    def side(layer: Layer | None) -> dict | None:
        if layer is None:
            return None
        return {"diff_id": layer.diff_id, "size": layer.size, "created_by": layer.created_by}

    return {"index": pair.index, "shared": pair.shared, "a": side(pair.a), "b": side(pair.b), "delta": pair.delta}


def diff_json(diff: ImageDiff) -> dict:
    """The ``dockscope diff --json`` document."""
    return {
        "a": {"ref": diff.a.ref, "image_id": diff.a.image_id, "size": diff.a.efficiency.written_bytes},
        "b": {"ref": diff.b.ref, "image_id": diff.b.image_id, "size": diff.b.efficiency.written_bytes},
        "size_delta": diff.size_delta,
        "shared_layers": diff.shared_layers,
        "layers": [_pair_json(pair) for pair in diff.layers],
        "files": [
            {"path": f.path, "change": f.delta.value, "size_a": f.size_a, "size_b": f.size_b, "delta": f.bytes}
            for f in diff.files
        ],
        "summary": diff.summary,
    }
