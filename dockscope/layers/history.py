"""Pure helpers: layer chain ids, sharing between images, history to layers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from dockscope.layers.model import HistoryEntry


def chain_ids(diff_ids: Sequence[str]) -> tuple[str, ...]:
    """OCI chain ids: the first is the first diff id, each next one hashes ``parent + " " + diff``."""
    chain: list[str] = []
    for diff_id in diff_ids:
        if not chain:
            chain.append(diff_id)
        else:
            digest = hashlib.sha256(f"{chain[-1]} {diff_id}".encode()).hexdigest()
            chain.append(f"sha256:{digest}")
    return tuple(chain)


@dataclass(frozen=True, slots=True)
class Sharing:
    """Which other images share each layer, and where the base image ends.

    Attributes:
        per_layer: For each layer, the other images whose chain contains it.
        base_layers: Layers that belong to the largest other image whose whole
            chain is a proper prefix of this one (0 when there is none; tagged
            images win a tie).
        base_image: That image's name.
    """

    per_layer: tuple[tuple[str, ...], ...]
    base_layers: int
    base_image: str


def layer_sharing(diff_ids: Sequence[str], others: Mapping[str, Sequence[str]]) -> Sharing:
    """Compare one image's layer chain with other images' (name -> their diff ids)."""
    mine = chain_ids(diff_ids)
    per_layer: list[list[str]] = [[] for _ in mine]
    base_layers, base_image = 0, ""
    tagged_first = sorted(others.items(), key=lambda item: (":" not in item[0], item[0]))
    for name, their_diffs in tagged_first:
        theirs = chain_ids(their_diffs)
        common = 0
        while common < min(len(mine), len(theirs)) and mine[common] == theirs[common]:
            per_layer[common].append(name)
            common += 1
        if common == len(theirs) < len(mine) and common > base_layers:
            base_layers, base_image = common, name
    return Sharing(tuple(tuple(names) for names in per_layer), base_layers, base_image)


def attach_history(
    history: Sequence[HistoryEntry], layer_count: int
) -> list[tuple[HistoryEntry | None, tuple[HistoryEntry, ...]]]:
    """Give each layer its history line and the ``empty_layer`` lines after it.

    ``history`` is oldest first. Lines before the first layer's line go with the
    first layer. When the history has fewer non-empty lines than layers, the
    last layers get ``None``.
    """
    attached: list[tuple[HistoryEntry | None, list[HistoryEntry]]] = []
    leading: list[HistoryEntry] = []
    for entry in history:
        if entry.empty_layer:
            (attached[-1][1] if attached else leading).append(entry)
        elif len(attached) < layer_count:
            attached.append((entry, []))
        elif attached:
            attached[-1][1].append(entry)
    while len(attached) < layer_count:
        attached.append((None, []))
    if attached:
        attached[0] = (attached[0][0], leading + attached[0][1])
    return [(entry, tuple(meta)) for entry, meta in attached]


def history_from_config(config: Mapping) -> tuple[HistoryEntry, ...]:
    """The ``history`` of an image config (``empty_layer`` flags included)."""
    return tuple(
        HistoryEntry(
            created_by=str(item.get("created_by") or ""),
            created=str(item.get("created") or ""),
            comment=str(item.get("comment") or ""),
            empty_layer=bool(item.get("empty_layer")),
        )
        for item in config.get("history") or ()
    )


_METADATA_STEP = re.compile(
    r"^(?:/bin/sh -c #\(nop\)\s*)?(?:ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|VOLUME|USER|WORKDIR|ARG|ONBUILD|"
    r"STOPSIGNAL|HEALTHCHECK|SHELL|MAINTAINER)\b"
)


def history_from_api(items: Iterable[Mapping], layer_sizes: Sequence[int]) -> tuple[HistoryEntry, ...]:
    """Rebuild ``empty_layer`` flags from ``GET /images/{id}/history`` (newest first).

    That endpoint drops the flag. A line is taken as a layer when it has a size,
    or when it is not a metadata step (ENV, LABEL, ...) and the layer it would
    match is empty; used only when the image config cannot be read.
    """
    oldest_first = list(items)[::-1]
    entries: list[HistoryEntry] = []
    layer = 0
    for item in oldest_first:
        created_by = str(item.get("CreatedBy") or "")
        size = int(item.get("Size") or 0)
        is_layer = layer < len(layer_sizes) and (
            size > 0 or (layer_sizes[layer] == 0 and not _METADATA_STEP.match(created_by))
        )
        layer += is_layer
        entries.append(
            HistoryEntry(
                created_by=created_by,
                created=_epoch_to_text(item.get("Created")),
                comment=str(item.get("Comment") or ""),
                empty_layer=not is_layer,
            )
        )
    return tuple(entries)


def _epoch_to_text(value: object) -> str:
    if not isinstance(value, (int, float)) or value <= 0:
        return ""
    return datetime.fromtimestamp(value, tz=timezone.utc).isoformat().replace("+00:00", "Z")
