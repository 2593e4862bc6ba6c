"""Snapshot building over raw answers recorded from real dockerd 20.10 and 26.1 (the demo host).

The two engines answer with different fields (26.1 / API 1.45 dropped
``VirtualSize`` from the image list, for one); both recordings must build the
same snapshot facts.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dockscope.engine.model import Endpoint
from dockscope.engine.snapshot import RawHost, build_snapshot

DATA = Path(__file__).resolve().parent.parent / "data"
ENGINES = {"20.10": "1.41", "26.1": "1.45"}


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def load(engine):
    def read(name: str):
        return json.loads((DATA / f"recorded-{engine}" / f"{name}.json").read_text())

    return read


@pytest.fixture(scope="module")
def snapshot(load):
    raw = RawHost(
        containers=load("containers"),
        images=load("images"),
        networks=load("networks"),
        volumes=load("volumes"),
        info=load("info"),
        version=load("version"),
        df=load("df"),
        inspects=load("inspects"),
    )
    return build_snapshot(raw, seq=7, taken_at=123.0, endpoint=Endpoint("unix:///x.sock", "test"))


def by_name(snapshot, name):
    return next(c for c in snapshot.containers if c.name == name)


def test_every_listed_object_is_in_the_snapshot(snapshot, load):
    assert len(snapshot.containers) == len(load("containers")) == 10
    assert {i.id for i in snapshot.images} == {i["Id"] for i in load("images")}
    assert {n.name for n in snapshot.networks} == {"bridge", "host", "none", "demo-shop_default"}
    assert {v.name for v in snapshot.volumes} == {"demo-shop_dbdata", "demo-orphaned-data"}
    assert (snapshot.seq, snapshot.taken_at) == (7, 123.0)


def test_container_states_and_inspected_details(snapshot):
    oom = by_name(snapshot, "demo-oom")
    assert (oom.state, oom.exit_code, oom.detail.oom_killed) == ("exited", 137, True)
    assert oom.detail.memory_limit == 16 * 1024 * 1024
    bad = by_name(snapshot, "demo-badcmd")
    assert (bad.state, bad.exit_code) == ("created", 127)
    assert "no such file" in bad.detail.error
    loop = by_name(snapshot, "demo-crashloop")
    assert loop.detail.restart_policy == "always" and loop.detail.restart_count >= 1
    assert by_name(snapshot, "demo-unhealthy").health == "unhealthy"
    assert by_name(snapshot, "demo-unhealthy").detail.health_log[-1].exit_code == 1
    assert by_name(snapshot, "demo-web").health == "healthy"
    assert by_name(snapshot, "demo-paused").state == "paused"
    assert by_name(snapshot, "demo-stopped").exit_code == 0


def test_ports_compose_labels_and_mounts(snapshot):
    web = by_name(snapshot, "demo-web")
    (port,) = web.ports
    assert (port.host_ip, port.private_port, port.protocol) == ("127.0.0.1", 8080, "tcp")
    assert str(port) == f"127.0.0.1:{port.host_port}->8080/tcp"
    db = by_name(snapshot, "demo-shop-db-1")
    assert (db.compose_project, db.compose_service) == ("demo-shop", "db")
    assert db.volume_names == ("demo-shop_dbdata",)
    assert db.network_names == ("demo-shop_default",)


def test_relationships_are_computed_once(snapshot):
    app2 = next(i for i in snapshot.images if "demo/app:2" in i.tags)
    assert set(app2.container_ids) == {c.id for c in snapshot.containers}
    assert next(i for i in snapshot.images if "demo/app:1" in i.tags).container_ids == ()
    shop = next(n for n in snapshot.networks if n.name == "demo-shop_default")
    assert {snapshot.container_by_id[c].compose_service for c in shop.container_ids} == {"web", "api", "db"}
    volumes = snapshot.volume_by_name
    assert volumes["demo-orphaned-data"].orphaned
    assert [snapshot.container_by_id[c].name for c in volumes["demo-shop_dbdata"].container_ids] == ["demo-shop-db-1"]


def test_dangling_image_and_disk_usage(snapshot, load):
    dangling = [i for i in snapshot.images if i.dangling]
    assert len(dangling) == 1 and dangling[0].display_name.startswith("<none>")
    disk = snapshot.disk
    assert disk.layers_size == load("df")["LayersSize"]
    assert 0 < disk.images_reclaimable <= disk.images_size
    assert all(i.shared_size is not None for i in snapshot.images)


def test_daemon_info(snapshot, engine):
    daemon = snapshot.daemon
    assert daemon.server_version.startswith(engine)
    assert daemon.api_version == ENGINES[engine]
    assert daemon.storage_driver == "overlay2" and daemon.supports_d_type is True
    assert daemon.containerd_version and daemon.runc_version
    assert daemon.registry.index_server.startswith("https://")
    assert "127.0.0.0/8" in daemon.registry.insecure


def test_missing_and_newer_api_fields_are_read_defensively():
    raw = RawHost(
        containers=[{"Id": "abc", "Names": None, "Ports": None, "Labels": None, "State": "running"}],
        images=[{"Id": "sha256:1", "RepoTags": None, "Size": 5}],  # API >= 1.44: no VirtualSize
        networks=[{"Id": "n", "Name": "x y", "IPAM": None}],
        volumes=[{"Name": "v", "UsageData": None}],
        info={"DriverStatus": None, "RegistryConfig": None},
        version={},
    )
    snapshot = build_snapshot(raw, seq=1, taken_at=0, endpoint=Endpoint("unix:///x", "test"))
    assert snapshot.containers[0].name == "abc" and snapshot.containers[0].ports == ()
    assert snapshot.images[0].dangling and snapshot.images[0].shared_size is None
    assert snapshot.networks[0].subnets == ()
    assert snapshot.volumes[0].size is None
    assert snapshot.daemon.supports_d_type is None


def test_a_stopped_container_has_no_health(snapshot):
    web = by_name(snapshot, "demo-web")
    stopped = replace(web, state="exited", status="Exited (137) 1 second ago")
    assert web.health == "healthy" and stopped.detail.health_status == "healthy"
    assert stopped.health is None, "inspect keeps the last health status after the container stops"
