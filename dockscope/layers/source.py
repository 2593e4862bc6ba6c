"""Analyse an image of a daemon: pick a source, read the layers, build the analysis.

This is the one blocking entry point the UI (from a worker thread) and the
headless commands call. ``client`` is a ``docker.APIClient``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import docker.errors

from dockscope.layers.analysis import analyze, layer_size
from dockscope.layers.history import attach_history, chain_ids, history_from_api, history_from_config, layer_sharing
from dockscope.layers.model import HistoryEntry, ImageAnalysis, Layer, RawLayer
from dockscope.layers.overlay import (
    OverlayUnavailable,
    diff_ids_of,
    layer_dirs,
    read_image_config,
    read_overlay_layers,
)
from dockscope.layers.stream import Prefetcher, StreamFormatError, read_stream_layers

SOURCES = ("auto", "overlay2", "stream")


class LayersError(Exception):
    """An analysis that cannot be done; the message is for the user."""


class ImageNotFound(LayersError):
    """No such image on the daemon."""


class SourceUnavailable(LayersError):
    """The requested source cannot read this image here."""


class AnalysisCancelled(LayersError):
    """The caller cancelled the analysis."""


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an analysis is: ``done`` of ``total`` units (layers or bytes)."""

    stage: str
    done: int
    total: int | None
    unit: str


ProgressCallback = Callable[[Progress], None]
Cancel = threading.Event | Callable[[], bool] | None


def _checker(cancel: Cancel) -> Callable[[], None]:
    def check() -> None:
        if cancel is None:
            return
        stop = cancel.is_set() if isinstance(cancel, threading.Event) else cancel()
        if stop:
            raise AnalysisCancelled("analysis cancelled")

    return check


def inspect_image(client, ref: str) -> dict:
    """``docker image inspect``; :class:`ImageNotFound` for an unknown image."""
    try:
        return client.inspect_image(ref)
    except docker.errors.ImageNotFound as error:
        raise ImageNotFound(f"no such image: {ref}") from error
    except docker.errors.APIError as error:
        if error.status_code in (400, 404):
            raise ImageNotFound(f"no such image: {ref} ({error.explanation})") from error
        raise


def is_local(client) -> bool:
    """Whether the client talks to a daemon over a unix socket (so its paths are ours).

    docker-py names a unix socket ``http+docker://localhost``; ssh, tcp and
    named pipes get other base URLs.
    """
    return getattr(client, "base_url", "") == "http+docker://localhost"


def overlay_reason(client, inspect: Mapping) -> str:
    """Why the overlay2 path cannot be used ("" when it can)."""
    if not is_local(client):
        return "the daemon is not local"
    try:
        layer_dirs(inspect)
    except OverlayUnavailable as error:
        return str(error)
    return ""


def local_images(client) -> dict[str, tuple[str, list[str]]]:
    """Local images for layer sharing: id -> (name, diff ids)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for summary in client.images():
        try:
            inspect = client.inspect_image(summary["Id"])
        except docker.errors.NotFound:
            continue
        tags = [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"]
        name = tags[0] if tags else summary["Id"].split(":", 1)[-1][:12]
        found[summary["Id"]] = (name, diff_ids_of(inspect))
    return found


def analyze_image(
    client,
    ref: str,
    *,
    source: str = "auto",
    progress: ProgressCallback | None = None,
    cancel: Cancel = None,
    others: Mapping[str, tuple[str, Sequence[str]]] | None = None,
) -> ImageAnalysis:
    """Analyse one image of the daemon.

    Args:
        client: A ``docker.APIClient``.
        ref: Tag, id or digest.
        source: ``auto`` (overlay2 when possible, else stream), ``overlay2`` or ``stream``.
        progress: Called now and then with a :class:`Progress`.
        cancel: A ``threading.Event`` or a callable; when set/true the analysis
            stops with :class:`AnalysisCancelled`.
        others: Local images (id -> (name, diff ids)) for layer sharing, as
            :func:`local_images` returns them; fetched when None. The image
            itself is skipped.

    Raises:
        ImageNotFound, SourceUnavailable, AnalysisCancelled, LayersError.
    """
    if source not in SOURCES:
        raise LayersError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    report = progress or (lambda p: None)
    check = _checker(cancel)
    inspect = inspect_image(client, ref)
    reason = overlay_reason(client, inspect) if source != "stream" else "stream requested"
    if source == "overlay2" and reason:
        raise SourceUnavailable(f"overlay2 source unavailable: {reason}")
    raws = None
    if not diff_ids_of(inspect):  # only metadata: nothing to read (and the daemon will not export it)
        used, config, raws = "none", None, []
    elif not reason:
        try:
            used, config, raws = "overlay2", _overlay_config(client, inspect), _read_overlay(inspect, report, check)
        except OSError as error:  # a directory vanished or is not ours to read
            if source == "overlay2":
                raise SourceUnavailable(f"overlay2 source failed: {error}") from error
    if raws is None:
        used, config, raws = "stream", *_read_stream(client, inspect, report, check)
    check()
    history = _history(client, inspect, config, raws)
    if others is None:
        others = local_images(client)
    named = {name: diffs for image_id, (name, diffs) in others.items() if image_id != inspect["Id"]}
    return _build(ref, inspect, used, raws, history, named)


def _read_overlay(inspect: Mapping, report: ProgressCallback, check) -> list[RawLayer]:
    def on_layer(done: int, total: int) -> None:
        check()
        report(Progress("reading layer directories", done, total, "layers"))

    return read_overlay_layers(inspect, on_layer, check)


def _overlay_config(client, inspect: Mapping) -> Mapping | None:
    try:
        root = client.info().get("DockerRootDir") or ""
    except docker.errors.APIError:
        return None
    return read_image_config(root, inspect["Id"]) if root else None


def _read_stream(client, inspect: Mapping, report: ProgressCallback, check) -> tuple[Mapping, list[RawLayer]]:
    total = int(inspect.get("Size") or 0) or None
    seen = [0]
    last = [0.0]

    def on_bytes(count: int) -> None:
        check()
        seen[0] += count
        now = time.monotonic()
        if now - last[0] > 0.1:
            last[0] = now
            done = min(seen[0], total) if total else seen[0]
            report(Progress("reading the image stream", done, total, "bytes"))

    chunks = None
    try:  # docker-py checks the status when the stream is first read, in the read-ahead thread
        chunks = Prefetcher(client.get_image(inspect["Id"]))
        config, raws = read_stream_layers(chunks, diff_ids_of(inspect), on_bytes, check)
    except docker.errors.APIError as error:
        raise LayersError(f"the daemon did not export the image: {error.explanation or error}") from error
    except StreamFormatError as error:
        raise LayersError(f"cannot read the image stream: {error}") from error
    finally:
        if chunks is not None:
            chunks.close()
    report(Progress("reading the image stream", seen[0], seen[0], "bytes"))
    return config, raws


def _history(client, inspect: Mapping, config: Mapping | None, raws: Sequence[RawLayer]) -> tuple[HistoryEntry, ...]:
    if config and config.get("history"):
        return history_from_config(config)
    try:
        items = client.history(inspect["Id"])
    except docker.errors.APIError:
        return ()
    return history_from_api(items, [layer_size(r.entries) for r in raws])


def _build(
    ref: str,
    inspect: Mapping,
    source: str,
    raws: Sequence[RawLayer],
    history: Sequence[HistoryEntry],
    others: Mapping[str, Sequence[str]],
) -> ImageAnalysis:
    diff_ids = [r.diff_id for r in raws]
    chains = chain_ids(diff_ids)
    sharing = layer_sharing(diff_ids, others)
    lines = attach_history(history, len(raws))
    layers = [
        Layer(
            index=i,
            diff_id=raw.diff_id,
            chain_id=chains[i],
            size=layer_size(raw.entries),
            created_by=line.created_by if line else "",
            created=line.created if line else "",
            comment=line.comment if line else "",
            metadata=metadata,
            entries=raw.entries,
            shared_with=sharing.per_layer[i],
        )
        for i, (raw, (line, metadata)) in enumerate(zip(raws, lines))
    ]
    return analyze(
        ref=ref,
        image_id=inspect["Id"],
        tags=[t for t in inspect.get("RepoTags") or [] if t != "<none>:<none>"],
        source=source,
        layers=layers,
        base_layers=sharing.base_layers,
        base_image=sharing.base_image,
    )
