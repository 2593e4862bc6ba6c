"""Honest shared/unique/reclaimable bytes from layer chains, on each engine scripts/test runs (20.10, 26.1).

The known images (see conftest): a = base + 10,000 bytes, b = base + 20,000
bytes then a layer of 0 bytes deleting them (with ENV lines of 0 bytes that
are not layers). The base's size is the daemon's ``Size`` of the base image
(its own total, not the disputed ``SharedSize``).
"""

from __future__ import annotations

import pytest

from dockscope.engine.connect import open_client
from dockscope.engine.endpoint import resolve_endpoint
from dockscope.engine.image_usage import FROM_DAEMON, FROM_LAYERS, UNKNOWN, LayerChain, account, layer_sizes, read_chain
from dockscope.engine.model import Endpoint
from dockscope.engine.session import HostSession
from dockscope.engine.snapshot import RawHost, build_snapshot


def _chain(client, image_id: str) -> LayerChain:
    return read_chain(image_id, client.inspect_image(image_id), client.history(image_id))


@pytest.fixture
def engine(client, known, docker_host):
    """(client, known images, DOCKER_HOST) on the sandbox engine under test."""
    return client, known, docker_host


def test_layer_sizes_exact_on_both_engines(engine):
    client, known, _ = engine
    base = _chain(client, known.base)
    base_size = client.inspect_image(known.base)["Size"]
    assert base.sizes is not None and sum(base.sizes) == base_size and len(base.sizes) == 2
    a, b = _chain(client, known.a), _chain(client, known.b)
    assert a.sizes == base.sizes + (10000,)
    assert b.sizes == base.sizes + (20000, 0), "a RUN rm of 0 bytes is a layer, the ENV lines are not"
    assert a.chain[:2] == base.chain == b.chain[:2] and a.chain[2] != b.chain[2]


def test_account_shared_unique_and_reclaimable_exact(engine):
    client, known, _ = engine
    base_size = client.inspect_image(known.base)["Size"]
    chains = {i: _chain(client, i) for i in (known.base, known.a, known.b)}
    sizes = {i: client.inspect_image(i)["Size"] for i in chains}
    result = account(((i, sizes[i], None) for i in chains), chains, in_use=[known.a])
    assert result.images[known.a] == type(result.images[known.a])(base_size, 10000, FROM_LAYERS)
    assert result.images[known.b].shared == base_size and result.images[known.b].unique == 20000
    assert result.images[known.base].shared == base_size and result.images[known.base].unique == 0
    assert result.total == base_size + 30000
    assert result.reclaimable == 20000, "only b's own layers: base is held by a, which a container uses"


def test_session_snapshot_carries_honest_figures(engine, own_labels):
    _, known, host = engine
    endpoint = resolve_endpoint(host=host, env={})
    session = HostSession(endpoint, open_client(endpoint, timeout=60))
    session.poll()
    snapshot = session.disk_usage()
    base_size = snapshot.image_by_id[known.base].size
    a, b = snapshot.image_by_id[known.a], snapshot.image_by_id[known.b]
    assert (a.shared_size, a.unique_size, a.usage_source) == (base_size, 10000, FROM_LAYERS)
    assert (b.shared_size, b.unique_size, b.usage_source) == (base_size, 20000, FROM_LAYERS)
    read_before = set(session._raw.image_chains)
    reads: list[str] = []
    original = session.client.inspect_image
    session.client.inspect_image = lambda image_id, *args: reads.append(image_id) or original(image_id, *args)
    session.disk_usage()
    assert known.a in read_before and not read_before & set(reads), "images are immutable: never read again"


def test_our_unique_bytes_whatever_df_says(client, known):
    """dockerd 26.1's df says every byte of an image in use is shared (SharedSize == Size);
    20.10's is right here. Our figure is the same, exact one on both."""
    df = {i["Id"]: i for i in client.df()["Images"]}
    if client.version()["Version"].startswith("26.1"):
        assert df[known.a]["SharedSize"] == df[known.a]["Size"], "the 26.1 quirk this module corrects"
    else:
        assert df[known.a]["Size"] - df[known.a]["SharedSize"] == 10000
    chains = {i: _chain(client, i) for i in (known.base, known.a)}
    result = account(((i, df[i]["Size"], df[i]["SharedSize"]) for i in chains), chains, [known.a])
    assert result.images[known.a].unique == 10000


def test_layer_sizes_ambiguous_is_none():
    history = [  # newest first, as the API gives it
        {"CreatedBy": "/bin/sh -c rm /x", "Size": 0},
        {"CreatedBy": "/bin/sh -c touch /y", "Size": 0},
        {"CreatedBy": "/bin/sh -c #(nop) COPY file:1 in /", "Size": 100},
    ]
    assert layer_sizes(["d1", "d2"], history, 100) is None, "which of two 0-byte steps is the layer is a guess"
    assert layer_sizes(["d1", "d2", "d3"], history, 100) == (100, 0, 0)
    assert layer_sizes(["d1"], history, 100) == (100,)
    assert layer_sizes(["d1"], history, 99) is None, "sizes must add up to the image's size"


def _raw(chains: dict[str, LayerChain], shared_lie: bool = True) -> RawHost:
    images = [{"Id": "sha256:a", "RepoTags": ["a:1"], "Size": 150, "Created": 1}, {"Id": "sha256:b", "RepoTags": ["b:1"], "Size": 130, "Created": 1}]
    df = {
        "LayersSize": 180,
        "Images": [dict(i, SharedSize=i["Size"] if shared_lie else 100, Containers=1 if i["Id"] == "sha256:a" else 0) for i in images],
    }
    containers = [{"Id": "c1", "Names": ["/c1"], "Image": "a:1", "ImageID": "sha256:a", "State": "exited", "Labels": {}}]
    return RawHost(containers=containers, images=images, df=df, image_chains=chains)


def test_snapshot_replaces_the_daemon_figures():
    chains = {
        "sha256:a": LayerChain("sha256:a", ("c0", "ca"), (100, 50)),
        "sha256:b": LayerChain("sha256:b", ("c0", "cb"), (100, 30)),
    }
    snapshot = build_snapshot(_raw(chains), seq=1, taken_at=0, endpoint=Endpoint("unix:///x", "test"))
    a, b = snapshot.image_by_id["sha256:a"], snapshot.image_by_id["sha256:b"]
    assert (a.shared_size, a.unique_size, a.usage_source) == (100, 50, FROM_LAYERS)
    assert (b.shared_size, b.unique_size) == (100, 30)
    assert snapshot.disk.images_reclaimable == 30 and snapshot.disk.images_reclaimable_source == FROM_LAYERS
    unfixed = build_snapshot(_raw({}), seq=1, taken_at=0, endpoint=Endpoint("unix:///x", "test"))
    assert unfixed.disk.images_reclaimable == 180, "docker system df's figure: 100 % reclaimable"


def test_unmappable_image_falls_back_flagged():
    chains = {
        "sha256:a": LayerChain("sha256:a", ("c0", "ca"), None),
        "sha256:b": LayerChain("sha256:b", ("c0", "cb"), (100, 30)),
    }
    snapshot = build_snapshot(_raw(chains, shared_lie=False), seq=1, taken_at=0, endpoint=Endpoint("unix:///x", "test"))
    a = snapshot.image_by_id["sha256:a"]
    assert (a.shared_size, a.usage_source) == (100, FROM_DAEMON), "ca's size is unknown: the daemon's number, flagged"
    assert snapshot.disk.images_reclaimable_source == "daemon"
    missing = account([("sha256:a", 150, None)], {}, [])
    assert missing.images["sha256:a"].source == UNKNOWN and missing.reclaimable is None
