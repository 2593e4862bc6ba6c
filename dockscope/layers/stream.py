"""The portable source: read a ``docker save`` stream, headers only.

The archive comes from ``GET /images/{name}/get`` and is read once, front to
back, as a stream: :mod:`dockscope.layers.tarheaders` walks the archive's
members and, inside each layer tar, reads the headers only, skipping file
contents as they pass (it does what ``tarfile``'s ``r|`` mode does, with a
third of the copying and parsing; the streamed path runs next to the daemon
writing the stream, so its CPU matters). Nothing is written to disk and no
file content is kept. A thread reads ahead a few chunks so the daemon never
waits on the parser. Two layouts exist:

* legacy (dockerd < 25): ``<v1 id>/layer.tar``, ``<image id>.json`` and a
  ``manifest.json`` that comes *last*, so layers are kept by member name
  until it tells their order;
* OCI (dockerd 25+): ``blobs/sha256/<digest>`` for layers, configs and
  manifests, with ``index.json``, ``oci-layout`` and a compatible
  ``manifest.json``; ``<id>/layer.tar`` may be symlinks to blobs.

Whiteouts are ``.wh.<name>`` entries, an opaque directory holds ``.wh..wh..opq``.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from dockscope.layers.model import FileEntry, Kind, RawLayer
from dockscope.layers.tarheaders import Header, TarFormatError, iter_headers, iter_members

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

#: Buffer over one member of the archive (a layer tar): header reads come from it.
MEMBER_BUFFER = 256 * 1024
#: Non-tar members up to this size are parsed as JSON documents.
MAX_DOCUMENT = 16 * 1024 * 1024


class StreamFormatError(Exception):
    """The archive is not an image archive dockscope can read."""


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks, counting what passes."""

    def __init__(self, chunks: Iterable[bytes], on_chunk: Callable[[int], None] = lambda n: None) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._chunk = memoryview(b"")
        self._position = 0
        self._on_chunk = on_chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._position >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._chunk, self._position = memoryview(chunk), 0
            self._on_chunk(len(chunk))
        count = min(len(buffer), len(self._chunk) - self._position)
        buffer[:count] = self._chunk[self._position : self._position + count]
        self._position += count
        return count


#: Chunks read ahead of the parser (2 MB each with docker-py's default).
PREFETCH_DEPTH = 8

_END = object()


class Prefetcher:
    """Iterates ``chunks`` in a thread, up to ``depth`` chunks ahead of the consumer.

    While the parser works on one chunk the daemon keeps writing the next ones
    instead of waiting on a full socket buffer. Memory stays bounded by
    ``depth`` chunks. :meth:`close` stops the thread (and closes ``chunks``).
    """

    def __init__(self, chunks: Iterable[bytes], depth: int = PREFETCH_DEPTH) -> None:
        self._chunks = chunks
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="layers-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    break
            else:
                self._put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            self._put(error)
        finally:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop reading; the thread ends after the chunk it is waiting for."""
        self._stop.set()
        self._thread.join(timeout=1.0)


def _normal(name: str) -> str:
    """``./usr/bin/`` -> ``usr/bin``."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


_KINDS = {"5": Kind.DIR, "2": Kind.SYMLINK, "1": Kind.HARDLINK, "0": Kind.FILE, "\0": Kind.FILE, "7": Kind.FILE, "S": Kind.FILE}


def _entry(header: Header, path: str) -> FileEntry:
    kind = _KINDS.get(header.type, Kind.OTHER)
    if kind is Kind.FILE:
        return FileEntry(path, header.size, kind, header.mode)
    if kind is Kind.SYMLINK:
        return FileEntry(path, len(header.linkname.encode("utf-8", "surrogateescape")), kind, header.mode)
    return FileEntry(path, 0, kind, header.mode)


def _uncompressed(fileobj):
    head = fileobj.peek(4)[:4]
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fileobj, mode="rb")
    if head == b"\x28\xb5\x2f\xfd":
        raise StreamFormatError("zstd-compressed layers are not supported")
    return fileobj


def read_layer_tar(fileobj, check: Callable[[], None] = lambda: None) -> tuple[FileEntry, ...]:
    """Entries of one layer tar (gzip or not), sorted by path; contents skipped.

    ``fileobj`` needs ``read``, ``readinto`` and ``peek`` (an ``io.BufferedReader``).
    """
    by_path: dict[str, FileEntry] = {}
    opaque: list[str] = []
    try:
        for count, header in enumerate(iter_headers(_uncompressed(fileobj)), 1):
            _add_entry(by_path, opaque, header)
            if count % 2048 == 0:
                check()
    except (TarFormatError, OSError, EOFError) as error:
        raise StreamFormatError(f"cannot read a layer: {error}") from error
    for path in opaque:
        mode = by_path[path].mode if path in by_path else 0o755
        by_path[path] = FileEntry(path, 0, Kind.OPAQUE_DIR, mode)
    return tuple(by_path[p] for p in sorted(by_path))


def _add_entry(by_path: dict[str, FileEntry], opaque: list[str], header: Header) -> None:
    name = _normal(header.name)
    if not name:
        return
    parent, _, base = name.rpartition("/")
    prefix = f"/{parent}" if parent else ""
    if base == OPAQUE_MARKER:
        opaque.append(prefix)
    elif base.startswith(WHITEOUT_PREFIX):
        path = f"{prefix}/{base[len(WHITEOUT_PREFIX):]}"
        by_path[path] = FileEntry(path, 0, Kind.WHITEOUT, 0)
    else:
        by_path[f"/{name}"] = _entry(header, f"/{name}")


def _looks_like_tar(head: bytes) -> bool:
    return len(head) >= 512 and (head[257:262] == b"ustar" or head[:512] == bytes(512))


def _looks_compressed(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b" or head[:4] == b"\x28\xb5\x2f\xfd"


@dataclass
class SaveArchive:
    """What one pass over a save archive keeps: layer entries, links, JSON documents."""

    layers: dict[str, tuple[FileEntry, ...]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    documents: dict[str, object] = field(default_factory=dict)

    def resolve(self, name: str) -> str:
        seen = set()
        while name in self.aliases and name not in seen:
            seen.add(name)
            name = self.aliases[name]
        return name


def read_archive(fileobj, check: Callable[[], None] = lambda: None) -> SaveArchive:
    """One pass over a save archive."""
    archive = SaveArchive()
    try:
        for header, member in iter_members(fileobj):
            check()
            name = _normal(header.name)
            if header.type == "2":
                archive.aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), header.linkname))
            elif header.type == "1":
                archive.aliases[name] = _normal(header.linkname)
            elif header.type in ("0", "\0", "7"):
                _read_member(io.BufferedReader(member, buffer_size=MEMBER_BUFFER), header.size, name, archive, check)
    except TarFormatError as error:
        raise StreamFormatError(f"not an image archive: {error}") from error
    return archive


def _read_member(handle: io.BufferedReader, size: int, name: str, archive: SaveArchive, check) -> None:
    head = handle.peek(512)[:512]
    if name.endswith("/layer.tar") or _looks_like_tar(head) or _looks_compressed(head):
        archive.layers[name] = read_layer_tar(handle, check)
    elif size <= MAX_DOCUMENT and (name.endswith(".json") or name.startswith("blobs/")):
        try:
            archive.documents[name] = json.loads(handle.read())
        except ValueError:
            pass


def _blob(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _manifest(archive: SaveArchive) -> tuple[dict, list[str]]:
    """The image config and its layer member names, bottom first."""
    legacy = archive.documents.get("manifest.json")
    if isinstance(legacy, list) and legacy:
        entry = legacy[0]
        config = archive.documents.get(archive.resolve(_normal(entry.get("Config", ""))), {})
        return config, [archive.resolve(_normal(layer)) for layer in entry.get("Layers") or []]
    index = archive.documents.get("index.json")
    while isinstance(index, dict) and index.get("manifests"):
        index = archive.documents.get(_blob(index["manifests"][0]["digest"]))
    if not isinstance(index, dict) or "layers" not in index:
        raise StreamFormatError("no manifest.json and no OCI manifest in the archive")
    config = archive.documents.get(_blob(index["config"]["digest"]), {})
    return config, [_blob(layer["digest"]) for layer in index["layers"]]


def layers_from_archive(archive: SaveArchive, diff_ids: list[str] | None = None) -> tuple[dict, list[RawLayer]]:
    """Put the archive's layers in order; returns the image config and the layers.

    ``diff_ids`` (from inspect) is used when the config does not list them.
    """
    config, names = _manifest(archive)
    missing = [n for n in names if n not in archive.layers]
    if missing:
        raise StreamFormatError(f"layer {missing[0]} is named by the manifest but not in the archive")
    ids = list((config.get("rootfs") or {}).get("diff_ids") or diff_ids or [])
    if len(ids) != len(names):
        raise StreamFormatError(f"{len(names)} layers in the archive for {len(ids)} diff ids")
    return config, [RawLayer(diff_id, archive.layers[name]) for diff_id, name in zip(ids, names)]


def read_stream_layers(
    chunks: Iterable[bytes],
    diff_ids: list[str] | None = None,
    on_bytes: Callable[[int], None] = lambda n: None,
    check: Callable[[], None] = lambda: None,
) -> tuple[Mapping, list[RawLayer]]:
    """Read a save stream given as byte chunks; returns the image config and the layers."""
    reader = ChunkReader(chunks, on_bytes)
    return layers_from_archive(read_archive(reader, check), diff_ids)
