"""The snapshot equals what the docker CLI says about the same objects (real daemon)."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from dockscope.engine.events import refresh_targets, stream_events

pytestmark = pytest.mark.daemon


def docker_cli(*args: str) -> list[dict]:
    out = subprocess.run(
        ["docker", "-H", os.environ["DOCKER_HOST"], *args, "--format", "{{json .}}"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    # split on "\n" only: names may hold U+2028, which str.splitlines() also splits on
    return [json.loads(line) for line in out.split("\n") if line.strip()]


@pytest.fixture(scope="module")
def snapshot(demo, make_session_module):
    return make_session_module().poll()


@pytest.fixture(scope="module")
def make_session_module(endpoint):
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import HostSession

    return lambda: HostSession(endpoint, open_client(endpoint, timeout=10))


def test_containers_match_docker_ps(snapshot, run_label, demo):
    selector = f"label={run_label[0]}={run_label[1]}"
    demo_ids = set(demo.containers.values())
    cli = {row["ID"]: row for row in docker_cli("ps", "-a", "--no-trunc", "--filter", selector) if row["ID"] in demo_ids}
    ours = {c.id: c for c in snapshot.containers if c.id in demo_ids}
    assert set(ours) == set(cli) == demo_ids and len(demo_ids) == 10
    for container_id, row in cli.items():
        assert ours[container_id].name == row["Names"]
        assert ours[container_id].image == row["Image"]
        if container_id != demo.containers["crashloop"]:  # flips between restarting and running
            assert ours[container_id].state == row["State"]


def test_images_match_docker_images(snapshot, run_label, demo):
    demo_ids = set(demo.images.values())
    cli = [row for row in docker_cli("images", "--no-trunc", "--filter", f"label={run_label[0]}={run_label[1]}") if row["ID"] in demo_ids]
    ours = [i for i in snapshot.images if i.id in demo_ids]
    assert {i.id for i in ours} == {row["ID"] for row in cli} == demo_ids
    tags = {f"{row['Repository']}:{row['Tag']}" for row in cli if row["Tag"] != "<none>"}
    assert {t for i in ours for t in i.tags} == tags
    assert sum(1 for i in ours if i.dangling) == sum(1 for row in cli if row["Tag"] == "<none>") == 1


def test_networks_and_volumes_match(snapshot, run_label, demo):
    cli_networks = {row["Name"] for row in docker_cli("network", "ls")}
    assert {n.name for n in snapshot.networks} >= {"bridge", "host", "none"}
    assert {n.name for n in snapshot.networks if dict(n.labels).get(run_label[0]) == run_label[1]} <= cli_networks
    selector = f"label={run_label[0]}={run_label[1]}"
    cli_volumes = {row["Name"] for row in docker_cli("volume", "ls", "--filter", selector)}
    assert {v.name for v in snapshot.volumes if dict(v.labels).get(run_label[0]) == run_label[1]} == cli_volumes
    assert set(demo.volumes) <= cli_volumes


def test_relationships_on_the_live_demo(snapshot, demo):
    db = snapshot.container_by_id[demo.containers["shop-db-1"]]
    volume = snapshot.volume_by_name[f"{demo.prefix}shop_dbdata"]
    assert volume.container_ids == (db.id,)
    assert snapshot.volume_by_name[f"{demo.prefix}orphaned-data"].orphaned
    shop = next(n for n in snapshot.networks if n.id == demo.networks["shop"])
    assert len(shop.container_ids) == 3
    app2 = snapshot.image_by_id[demo.images["app2"]]
    assert set(app2.container_ids) == set(demo.containers.values())


def test_inspect_only_what_is_asked(make_session_module, demo):
    session = make_session_module()
    first = session.poll()
    assert [c.name for c in first.containers if c.detail is not None] == []
    second = session.ensure_inspected([demo.containers["oom"]])
    assert second is not None
    oom = second.container_by_id[demo.containers["oom"]]
    assert oom.detail.oom_killed and oom.exit_code == 137, (oom.state, oom.status, oom.exit_code, oom.detail)
    assert second.seq > first.seq
    assert session.ensure_inspected([demo.containers["oom"]]) is None


def test_disk_usage_on_its_own_call(make_session_module, demo):
    session = make_session_module()
    assert session.poll().disk is None
    disk = session.disk_usage().disk
    assert disk is not None and disk.layers_size > 0


def test_events_drive_targeted_refresh(client, make_session_module, base_image, labels):
    import time

    session = make_session_module()
    since = time.time() - 1
    container = client.create_container(base_image, command=["true"], labels=labels)
    client.remove_container(container["Id"])
    events, stream = stream_events(client, since=since)
    seen = []
    try:
        for event in events:
            seen.append(event)
            if event.action == "destroy" and event.actor_id == container["Id"]:
                break
    finally:
        stream.close()
    create = next(e for e in seen if e.action == "create" and e.actor_id == container["Id"])
    assert refresh_targets(create) == ({"containers", "images", "volumes"}, {container["Id"]})
    snapshot = session.refresh(*refresh_targets(create))
    assert container["Id"] not in snapshot.container_by_id  # already destroyed: no error, just gone
    assert not snapshot.errors


def test_a_full_poll_inspects_again_only_what_changed_or_aged(client, endpoint, base_image, labels):
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import INSPECT_MAX_AGE, HostSession

    now = [1000.0]
    session = HostSession(endpoint, open_client(endpoint, timeout=10), clock=lambda: now[0])
    inspected: list[str] = []
    inspect = session.client.inspect_container
    session.client.inspect_container = lambda cid: inspected.append(cid) or inspect(cid)
    quiet, started = (
        client.create_container(base_image, command=["sleep", "60"], labels=labels)["Id"] for _ in range(2)
    )

    def status(cid: str) -> str:
        return next(c for c in session._raw.containers if c["Id"] == cid)["Status"]

    try:
        session.poll()
        session.ensure_inspected([quiet, started])
        inspected.clear()
        session.poll()
        assert inspected == [], "unchanged containers inspected again"
        client.start(started)
        snapshot = session.poll()
        assert inspected == [started], inspected
        assert snapshot.container_by_id[started].detail.started_at
        first_status = status(started)
        inspected.clear()
        time.sleep(2.5)
        session.poll()
        assert status(started) != first_status  # "Up Less than a second" -> "Up 3 seconds"
        assert inspected == [], "an uptime that only grew was inspected again"
        client.restart(started, timeout=0)
        session.poll()
        assert inspected == [started], "a restart (the uptime shrank) was not inspected again"
        inspected.clear()
        now[0] += INSPECT_MAX_AGE + 1
        session.poll(max_inspect_age=INSPECT_MAX_AGE * 5)
        assert inspected == [], "renewed before the age asked for"
        session.poll()
        assert quiet in inspected, "an old inspect was not renewed"
    finally:
        for cid in (quiet, started):
            client.remove_container(cid, force=True)
