"""Honest disk accounting of images from their layer chains: pure.

The daemon's ``SharedSize`` (``/system/df``) cannot be trusted: dockerd 26.1
reports ``SharedSize == Size`` for every image, so an image in use would show
"unique 0 B" and ``docker system df`` calls every byte reclaimable. Here the
shared and unique bytes of each image, and the bytes that removing every
image no container uses would free, are reckoned from the layers themselves:

* each image's layer chain: ``RootFS.Layers`` of its inspect turned into
  chain ids (:func:`dockscope.layers.history.chain_ids`); equal chain ids in
  two images are the same stored layer;
* each layer's size: the image history's ``Size`` column mapped onto the
  layers (see :func:`layer_sizes`), checked against the image's ``Size``.

An image whose sizes cannot be mapped without guessing keeps the daemon's
numbers, flagged ``"daemon"``; one not read yet is ``"unknown"`` ("…").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Where an image's shared/unique figures come from.
FROM_LAYERS = "layers"
FROM_DAEMON = "daemon"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class LayerChain:
    """What an image is made of, read once per image id (images are immutable).

    Attributes:
        image_id: The image.
        chain: Chain ids of its layers, bottom first.
        sizes: Bytes of each layer, or None when the history could not be
            mapped onto the layers without guessing.
    """

    image_id: str
    chain: tuple[str, ...]
    sizes: tuple[int, ...] | None


@dataclass(frozen=True)
class ImageUsage:
    """Shared and unique bytes of one image; ``source`` says how they were found."""

    shared: int | None
    unique: int | None
    source: str


@dataclass(frozen=True)
class Accounting:
    """Per image usage and the reclaimable bytes of images no container uses."""

    images: Mapping[str, ImageUsage]
    reclaimable: int | None
    total: int | None


def layer_sizes(diff_ids: Sequence[str], history: Sequence[Mapping], image_size: int) -> tuple[int, ...] | None:
    """Each layer's size from ``GET /images/{id}/history`` (newest first), or None if ambiguous.

    A history line with a size is a layer. A line of size 0 may be a layer (a
    ``RUN rm`` that only writes whiteouts) or metadata (``ENV``, ``LABEL``).
    When the lines with a size are exactly as many as the layers, they are the
    layers; when those plus the zero-size steps that are not metadata are as
    many, all of them are. Anything else is a guess, so None. The sum must
    also equal the image's size.
    """
    from dockscope.layers.history import history_from_api  # the layers package is slow to import

    count = len(diff_ids)
    items = list(history)
    flagged = history_from_api(items, [0] * len(items))
    oldest_first = [int(item.get("Size") or 0) for item in items[::-1]]
    sized = [size for size in oldest_first if size > 0]
    candidates = [size for size, entry in zip(oldest_first, flagged) if size > 0 or not entry.empty_layer]
    if len(sized) == count:
        sizes = tuple(sized)
    elif len(candidates) == count:
        sizes = tuple(candidates)
    else:
        return None
    return sizes if sum(sizes) == image_size else None


def read_chain(image_id: str, inspect: Mapping, history: Sequence[Mapping]) -> LayerChain:
    """A :class:`LayerChain` from an image's inspect and history answers."""
    from dockscope.layers.history import chain_ids

    diff_ids = [str(d) for d in ((inspect.get("RootFS") or {}).get("Layers") or ())]
    size = int(inspect.get("Size") or 0)
    return LayerChain(image_id, chain_ids(diff_ids), layer_sizes(diff_ids, history, size))


def _chain_sizes(chains: Iterable[LayerChain]) -> dict[str, int]:
    """Size of every chain id that some image knows (a chain id has one size everywhere)."""
    known: dict[str, int] = {}
    for chain in chains:
        if chain.sizes is not None:
            known.update(zip(chain.chain, chain.sizes))
    return known


def account(
    images: Iterable[tuple[str, int, int | None]],
    chains: Mapping[str, LayerChain],
    in_use: Iterable[str],
) -> Accounting:
    """Shared/unique bytes per image and reclaimable bytes, from layer chains.

    Args:
        images: ``(id, size, daemon shared size or None)`` of every local image.
        chains: What is known of each image's layers (missing: not read yet).
        in_use: Ids of images some container (running or not) uses.

    A layer is shared when another local image's chain holds the same chain
    id. Reclaimable: bytes of the distinct layers that no in-use image holds.
    The total and reclaimable figures are None until every image is read and
    every layer's size is known.
    """
    images = list(images)
    known = [chains[i] for i, _, _ in images if i in chains]
    sizes = _chain_sizes(known)
    holders = Counter(cid for chain in known for cid in set(chain.chain))
    usage = {image_id: _usage(chains.get(image_id), size, daemon, sizes, holders) for image_id, size, daemon in images}
    every = {cid for chain in known for cid in chain.chain}
    if len(known) < len(images) or any(cid not in sizes for cid in every):
        return Accounting(usage, None, None)
    used = {cid for image_id in set(in_use) if image_id in chains for cid in chains[image_id].chain}
    total = sum(sizes[cid] for cid in every)
    return Accounting(usage, sum(sizes[cid] for cid in every - used), total)


def _usage(chain: LayerChain | None, size: int, daemon: int | None, sizes: Mapping[str, int], holders: Counter) -> ImageUsage:
    if chain is None:
        return ImageUsage(None, None, UNKNOWN)
    mine = list(dict.fromkeys(chain.chain))
    if any(cid not in sizes for cid in mine) or sum(sizes[cid] for cid in mine) != size:
        if daemon is None:
            return ImageUsage(None, None, UNKNOWN)
        return ImageUsage(daemon, max(size - daemon, 0), FROM_DAEMON)
    shared = sum(sizes[cid] for cid in mine if holders[cid] > 1)
    return ImageUsage(shared, size - shared, FROM_LAYERS)
