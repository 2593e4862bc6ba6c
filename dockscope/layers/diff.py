"""Compare two analysed images: layers aligned, final filesystems compared.

Pure: takes two :class:`ImageAnalysis` values. A file whose size, kind and
mode are equal in both counts as unchanged (contents are never read, so a
same-size edit does not show).
"""

from __future__ import annotations

from itertools import zip_longest

from dockscope.layers.model import DIR_KINDS, FileDelta, FileDifference, ImageAnalysis, ImageDiff, LayerPair
from dockscope.layers.sizes import format_size


def align_layers(a: ImageAnalysis, b: ImageAnalysis) -> tuple[int, tuple[LayerPair, ...]]:
    """How many bottom layers the two share (same chain id), and the layers paired by position."""
    shared = 0
    while shared < min(len(a.layers), len(b.layers)) and a.layers[shared].chain_id == b.layers[shared].chain_id:
        shared += 1
    pairs = tuple(
        LayerPair(index=i, a=la, b=lb, shared=i < shared)
        for i, (la, lb) in enumerate(zip_longest(a.layers, b.layers))
    )
    return shared, pairs


def _files(analysis: ImageAnalysis) -> dict[str, tuple[int, str, int]]:
    return {m.path: (m.size, m.kind.value, m.mode) for m in analysis.merged if m.kind not in DIR_KINDS}


def file_differences(a: ImageAnalysis, b: ImageAnalysis) -> tuple[FileDifference, ...]:
    """Paths of the final filesystems that differ, largest absolute change first."""
    files_a, files_b = _files(a), _files(b)
    out: list[FileDifference] = []
    for path in files_a.keys() | files_b.keys():
        old, new = files_a.get(path), files_b.get(path)
        if old is None:
            out.append(FileDifference(path, FileDelta.ADDED, -1, new[0]))
        elif new is None:
            out.append(FileDifference(path, FileDelta.REMOVED, old[0], -1))
        elif new[0] > old[0]:
            out.append(FileDifference(path, FileDelta.GROWN, old[0], new[0]))
        elif new[0] < old[0]:
            out.append(FileDifference(path, FileDelta.SHRUNK, old[0], new[0]))
        elif new != old:
            out.append(FileDifference(path, FileDelta.CHANGED, old[0], new[0]))
    out.sort(key=lambda d: (-abs(d.bytes), d.path))
    return tuple(out)


def _describe(change: FileDifference) -> str:
    if change.delta is FileDelta.ADDED:
        return f"{change.path} added ({format_size(change.size_b)})"
    if change.delta is FileDelta.REMOVED:
        return f"{change.path} removed"
    verb = "grew" if change.delta is FileDelta.GROWN else "shrank"
    return f"{change.path} {verb} by {format_size(abs(change.bytes))}"


def summary_line(size_delta: int, files: tuple[FileDifference, ...]) -> str:
    """``"B is 8.2 MB smaller; biggest win: /srv/cache/blob removed"``."""
    if size_delta == 0:
        head = "A and B are the same size"
        return f"{head}; largest change: {_describe(files[0])}" if files else f"{head}; no file differs"
    smaller = size_delta < 0
    head = f"B is {format_size(abs(size_delta))} {'smaller' if smaller else 'larger'}"
    best = (min if smaller else max)(files, key=lambda d: (d.bytes, d.path), default=None)
    if best is not None and (best.bytes < 0 if smaller else best.bytes > 0):
        return f"{head}; {'biggest win' if smaller else 'biggest growth'}: {_describe(best)}"
    return f"{head}; the difference is in overwritten or deleted copies, not in the final files"


def diff_images(a: ImageAnalysis, b: ImageAnalysis) -> ImageDiff:
    """Compare image A (before) with image B (after).

    ``size_delta`` is B's written bytes minus A's (what ``docker images``
    shows as the size, all copies included).
    """
    shared, pairs = align_layers(a, b)
    files = file_differences(a, b)
    delta = b.efficiency.written_bytes - a.efficiency.written_bytes
    return ImageDiff(
        a=a,
        b=b,
        shared_layers=shared,
        layers=pairs,
        files=files,
        size_delta=delta,
        summary=summary_line(delta, files),
    )
