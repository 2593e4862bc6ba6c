"""The save-stream reader over archives built here in both layouts.

The sandbox daemon (20.10) writes the legacy layout, which the daemon tests
cover; the OCI layout of dockerd 25+ is built by hand here, with what makes it
different: blobs by digest, a gzip layer, ``<id>/layer.tar`` symlinks to blobs,
and the manifest only in ``index.json``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest

from dockscope.layers.model import FileEntry, Kind
from dockscope.layers.stream import ChunkReader, Prefetcher, StreamFormatError, read_layer_tar, read_stream_layers


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "", mode: int = 0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def _tar(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            _add(tar, *member)
    return buffer.getvalue()


LAYER0 = _tar(
    [
        ("etc/", b"", tarfile.DIRTYPE, "", 0o755),
        ("etc/big", b"x" * 5000),
        ("etc/d/", b"", tarfile.DIRTYPE, "", 0o755),
        ("etc/d/a", b"a" * 7),
        ("bin/", b"", tarfile.DIRTYPE, "", 0o755),
        ("bin/sh", b"", tarfile.SYMTYPE, "/bin/busybox", 0o777),
        ("bin/hard", b"", tarfile.LNKTYPE, "etc/big"),
        ("l" + "o" * 150, b"y" * 3),  # a long name: PAX header
    ]
)
LAYER1 = _tar(
    [
        ("etc/", b"", tarfile.DIRTYPE, "", 0o755),
        ("etc/.wh.big",),
        ("etc/d/", b"", tarfile.DIRTYPE, "", 0o700),
        ("etc/d/.wh..wh..opq",),
        ("etc/d/b", b"b" * 2),
    ]
)
EXPECTED0 = (
    FileEntry("/bin", 0, Kind.DIR, 0o755),
    FileEntry("/bin/hard", 0, Kind.HARDLINK, 0o644),
    FileEntry("/bin/sh", 12, Kind.SYMLINK, 0o777),
    FileEntry("/etc", 0, Kind.DIR, 0o755),
    FileEntry("/etc/big", 5000, Kind.FILE, 0o644),
    FileEntry("/etc/d", 0, Kind.DIR, 0o755),
    FileEntry("/etc/d/a", 7, Kind.FILE, 0o644),
    FileEntry("/l" + "o" * 150, 3, Kind.FILE, 0o644),
)
EXPECTED1 = (
    FileEntry("/etc", 0, Kind.DIR, 0o755),
    FileEntry("/etc/big", 0, Kind.WHITEOUT, 0),
    FileEntry("/etc/d", 0, Kind.OPAQUE_DIR, 0o700),
    FileEntry("/etc/d/b", 2, Kind.FILE, 0o644),
)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _blob_name(digest: str) -> str:
    return "blobs/sha256/" + digest.split(":")[1]


def oci_archive(with_legacy_manifest: bool) -> tuple[bytes, list[str]]:
    """An OCI layout save: layer 1 gzip-compressed, config, manifest, index."""
    gz1 = gzip.compress(LAYER1)
    diff_ids = [_digest(LAYER0), _digest(LAYER1)]
    config = json.dumps(
        {"rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": [{"created_by": "a"}, {"created_by": "b"}]}
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "config": {"digest": _digest(config)},
            "layers": [{"digest": _digest(LAYER0)}, {"digest": _digest(gz1)}],
        }
    ).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": _digest(manifest)}]}).encode()
    members = [
        ("blobs/", b"", tarfile.DIRTYPE),
        (_blob_name(_digest(gz1)), gz1),
        (_blob_name(_digest(config)), config),
        (_blob_name(_digest(LAYER0)), LAYER0),
        (_blob_name(_digest(manifest)), manifest),
        ("abc123/layer.tar", b"", tarfile.SYMTYPE, "../" + _blob_name(_digest(LAYER0))),
        ("index.json", index),
        ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
    ]
    if with_legacy_manifest:
        legacy = [{"Config": _blob_name(_digest(config)), "Layers": ["abc123/layer.tar", _blob_name(_digest(gz1))]}]
        members.append(("manifest.json", json.dumps(legacy).encode()))
    return _tar(members), diff_ids


def chunks(data: bytes, size: int = 777):
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("with_legacy_manifest", [True, False])
def test_oci_layout(with_legacy_manifest):
    data, diff_ids = oci_archive(with_legacy_manifest)
    config, layers = read_stream_layers(chunks(data))
    assert [layer.diff_id for layer in layers] == diff_ids
    assert layers[0].entries == EXPECTED0
    assert layers[1].entries == EXPECTED1
    assert [h["created_by"] for h in config["history"]] == ["a", "b"]


def test_legacy_layout_with_manifest_last():
    config = json.dumps({"rootfs": {"diff_ids": ["sha256:l0", "sha256:l1"]}}).encode()
    data = _tar(
        [
            ("ffff/layer.tar", LAYER1),
            ("0000/layer.tar", LAYER0),
            ("cfg.json", config),
            ("manifest.json", json.dumps([{"Config": "cfg.json", "Layers": ["0000/layer.tar", "ffff/layer.tar"]}]).encode()),
        ]
    )
    _, layers = read_stream_layers(chunks(data, 4096))
    assert [(layer.diff_id, layer.entries) for layer in layers] == [("sha256:l0", EXPECTED0), ("sha256:l1", EXPECTED1)]


def test_missing_manifest_is_a_format_error():
    with pytest.raises(StreamFormatError):
        read_stream_layers(chunks(_tar([("x/layer.tar", LAYER0)])))


def test_empty_layer_tar():
    assert read_layer_tar(io.BufferedReader(io.BytesIO(bytes(1024)))) == ()


def test_chunk_reader_counts_and_reads_across_chunks():
    seen = []
    reader = ChunkReader([b"abc", b"", b"defg"], seen.append)
    assert reader.read(2) == b"ab"
    assert reader.read(10) == b"c"
    assert reader.read() == b"defg"
    assert seen == [3, 0, 4]


def test_cancel_stops_the_read():
    data, _ = oci_archive(True)

    class Stop(Exception):
        pass

    def check():
        raise Stop

    with pytest.raises(Stop):
        read_stream_layers(chunks(data), on_bytes=lambda n: check())


def test_prefetcher_passes_chunks_and_errors_through():
    assert list(Prefetcher(iter([b"a", b"b", b"c"]), depth=1)) == [b"a", b"b", b"c"]

    def failing():
        yield b"a"
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        list(Prefetcher(failing()))


def test_prefetcher_close_stops_reading_and_closes_the_source():
    closed = []

    def endless():
        try:
            while True:
                yield b"x" * 10
        finally:
            closed.append(True)

    prefetcher = Prefetcher(endless(), depth=2)
    assert next(iter(prefetcher)) == b"x" * 10
    prefetcher.close()
    assert closed == [True]
