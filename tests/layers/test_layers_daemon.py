"""Layer analysis of real images on the sandbox daemon, through both sources."""

from __future__ import annotations

import os
import threading
import types

import pytest

from dockscope.layers.diff import diff_images
from dockscope.layers.model import ChangeKind, FileDelta, Kind
from dockscope.layers.source import (
    AnalysisCancelled,
    ImageNotFound,
    LayersError,
    SourceUnavailable,
    analyze_image,
    is_local,
    local_images,
)

pytestmark = pytest.mark.daemon

BUSYBOX = "/bin/busybox"
BUSYBOX_SIZE = os.path.getsize(BUSYBOX)
SYMLINK_TARGET = len(BUSYBOX)


@pytest.fixture(scope="session")
def others(layers_client, images):
    return local_images(layers_client)


@pytest.fixture(scope="session", params=["overlay2", "stream"])
def v1(request, layers_client, images, others):
    return analyze_image(layers_client, images.v1, source=request.param, others=others)


def test_layers_sizes_and_history(v1, images):
    assert len(v1.layers) == 4
    busybox, links, data, cleanup = v1.layers
    assert busybox.size == BUSYBOX_SIZE
    assert busybox.created_by.endswith("in /bin/busybox ")
    symlinks = [e for e in links.entries if e.kind is Kind.SYMLINK]
    assert symlinks and links.size == SYMLINK_TARGET * len(symlinks)
    assert data.size == 100_000 + 3_000 + 700 + 300 + 50 + 10
    assert cleanup.size == 5_000 + 40
    assert "head -c 100000" in data.created_by
    assert [m.created_by for m in data.metadata] == ["/bin/sh -c #(nop)  ENV STAGE=one"]
    assert [m.created_by.split("#(nop)")[-1].split()[0] for m in cleanup.metadata] == ["CMD", "LABEL"]


def test_wasted_space_is_exact(v1):
    e = v1.efficiency
    written = BUSYBOX_SIZE + v1.layers[1].size + 104_060 + 5_040
    assert e.written_bytes == written
    assert e.wasted_bytes == 104_000
    assert e.final_bytes == written - 104_000
    assert [(w.path, w.wasted_bytes) for w in v1.top_wasted] == [
        ("/data/big", 100_000),
        ("/data/over", 3_000),
        ("/d/a", 700),
        ("/d/sub/b", 300),
    ]


def test_base_image_boundary(v1, images):
    assert v1.base_layers == 2
    assert images.base in v1.layers[1].shared_with
    assert images.base not in v1.layers[2].shared_with
    own = v1.own_efficiency
    assert (own.written_bytes, own.final_bytes, own.wasted_bytes) == (109_100, 5_100, 104_000)


def test_changes_of_the_cleanup_layer(v1):
    changes = {c.path: c for c in v1.changes[3].changes}
    assert changes["/data/big"].change is ChangeKind.REMOVED
    assert changes["/data/over"].change is ChangeKind.MODIFIED
    assert (changes["/data/over"].size, changes["/data/over"].previous_size) == (5_000, 3_000)
    assert changes["/d/a"].change is ChangeKind.REMOVED
    assert changes["/d/sub/b"].change is ChangeKind.REMOVED
    assert changes["/d/c"].change is ChangeKind.ADDED
    assert v1.changes[3].removed_bytes == 101_000
    opaque = [e for e in v1.layers[3].entries if e.kind is Kind.OPAQUE_DIR]
    assert [e.path for e in opaque] == ["/d"]
    whiteouts = [e.path for e in v1.layers[3].entries if e.kind is Kind.WHITEOUT]
    assert whiteouts == ["/data/big"]


def test_hardlinks_count_once(v1):
    links = {e.path: e for e in v1.layers[2].entries if e.path.startswith("/links/")}
    assert (links["/links/x"].kind, links["/links/x"].size) == (Kind.FILE, 10)
    assert (links["/links/y"].kind, links["/links/y"].size) == (Kind.HARDLINK, 0)


def test_both_sources_agree(layers_client, images, others):
    for ref in (images.v1, images.v2, images.base):
        fast = analyze_image(layers_client, ref, source="overlay2", others=others)
        streamed = analyze_image(layers_client, ref, source="stream", others=others)
        assert (fast.source, streamed.source) == ("overlay2", "stream")
        assert fast.layers == streamed.layers
        assert fast.changes == streamed.changes
        assert fast.merged == streamed.merged
        assert fast.wasted == streamed.wasted
        assert fast.efficiency == streamed.efficiency


def test_auto_prefers_overlay2_here(layers_client, images, others):
    assert analyze_image(layers_client, images.v2, others=others).source == "overlay2"


def test_diff_of_two_versions(layers_client, images, others):
    a = analyze_image(layers_client, images.v1, others=others)
    b = analyze_image(layers_client, images.v2, others=others)
    diff = diff_images(a, b)
    assert diff.shared_layers == 2
    assert [(p.index, p.shared, p.delta) for p in diff.layers] == [
        (0, True, 0),
        (1, True, 0),
        (2, False, 23_080 - 104_060),
        (3, False, -5_040),
    ]
    assert [(f.path, f.delta, f.bytes) for f in diff.files] == [
        ("/data/new", FileDelta.ADDED, 20_000),
        ("/data/over", FileDelta.SHRUNK, -2_000),
        ("/d/c", FileDelta.REMOVED, -40),
        ("/data/keep/k", FileDelta.GROWN, 30),
        ("/links/x", FileDelta.REMOVED, -10),
        ("/links/y", FileDelta.REMOVED, 0),
    ]
    assert diff.size_delta == 23_080 - 109_100
    assert diff.summary == "B is 86.0 kB smaller; biggest win: /data/over shrank by 2.0 kB"


def test_progress_is_reported(layers_client, images, others):
    for source in ("overlay2", "stream"):
        seen = []
        analyze_image(layers_client, images.v1, source=source, others=others, progress=seen.append)
        assert seen, source
        last = seen[-1]
        assert last.done == last.total


@pytest.mark.parametrize("source", ["overlay2", "stream"])
def test_cancel(layers_client, images, others, source):
    stop = threading.Event()
    stop.set()
    with pytest.raises(AnalysisCancelled):
        analyze_image(layers_client, images.v1, source=source, others=others, cancel=stop)
    with pytest.raises(AnalysisCancelled):
        analyze_image(layers_client, images.v1, source=source, others=others, cancel=lambda: True)


def test_unknown_image(layers_client):
    with pytest.raises(ImageNotFound):
        analyze_image(layers_client, "dockscope-test-layers/does-not-exist:nope", others={})


def test_overlay2_is_refused_when_the_daemon_is_not_local(layers_client, images, others, monkeypatch):
    # docker-py's base URL for ssh; the inspect still reaches the sandbox socket
    # through the client's unix adapter, only the overlay2 shortcut is refused.
    monkeypatch.setattr(layers_client, "base_url", "http+docker://ssh")
    with pytest.raises(SourceUnavailable, match="not local"):
        analyze_image(layers_client, images.v1, source="overlay2", others=others)


@pytest.mark.parametrize(
    ("base_url", "local"),
    [("http+docker://localhost", True), ("http+docker://ssh", False), ("https://10.0.0.5:2376", False)],
)
def test_is_local(base_url, local):
    assert is_local(types.SimpleNamespace(base_url=base_url)) is local


def test_an_unreadable_layer_directory_falls_back_to_the_stream(layers_client, images, others, monkeypatch):
    from dockscope.layers import source as source_module

    def vanished(*args, **kwargs):
        raise FileNotFoundError("a layer directory vanished")

    monkeypatch.setattr(source_module, "read_overlay_layers", vanished)
    assert analyze_image(layers_client, images.v2, others=others).source == "stream"
    with pytest.raises(SourceUnavailable, match="vanished"):
        analyze_image(layers_client, images.v2, source="overlay2", others=others)


def test_an_image_removed_before_the_export_is_a_clear_error(layers_client, images, others, monkeypatch):
    from dockscope.layers import source as source_module

    real_inspect = source_module.inspect_image

    def inspect_then_point_elsewhere(client, ref):
        inspect = dict(real_inspect(client, ref))
        inspect["Id"] = "sha256:" + "0" * 64  # as if the image went away between inspect and export
        return inspect

    monkeypatch.setattr(source_module, "inspect_image", inspect_then_point_elsewhere)
    with pytest.raises(LayersError, match="did not export"):
        analyze_image(layers_client, images.v2, source="stream", others=others)


@pytest.mark.parametrize("source", ["auto", "stream"])
def test_an_image_without_layers(layers_client, empty_image, source):
    analysis = analyze_image(layers_client, empty_image, source=source, others={})
    assert (analysis.source, analysis.layers, analysis.merged) == ("none", (), ())
    assert analysis.efficiency.score == 1.0
