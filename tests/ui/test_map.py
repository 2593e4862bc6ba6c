"""The live architecture map: counts equal the daemon's, each box opens its pane."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from textual.widgets import ContentSwitcher

from dockscope.panes.map import MapBox

pytestmark = pytest.mark.daemon


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.1)


def box_text(app, box_id: str) -> str:
    return str(app.query_one(f"#{box_id}", MapBox).content)


def daemon_counts(client) -> dict[str, int]:
    containers = client.containers(all=True)
    states = Counter(c["State"] for c in containers)
    return {
        "running": states["running"],
        "paused": states["paused"],
        "images": len(client.images()),
        "networks": len(client.networks()),
        "volumes": len((client.volumes() or {}).get("Volumes") or []),
    }


def map_counts(app) -> dict[str, int]:
    snapshot = app.snapshot
    return {
        "running": sum(1 for c in snapshot.containers if c.state == "running"),
        "paused": sum(1 for c in snapshot.containers if c.state == "paused"),
        "images": len(snapshot.images),
        "networks": len(snapshot.networks),
        "volumes": len(snapshot.volumes),
    }


async def test_map_counts_equal_the_daemon(make_app, demo, client):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        for _ in range(10):  # other tests may add objects meanwhile: retry until both views agree
            expected = daemon_counts(client)
            if map_counts(app) == expected:
                break
            app.action_refresh()
            await asyncio.sleep(0.5)
            await pilot.pause()
        assert map_counts(app) == expected
        counts = map_counts(app)
        assert f"● {counts['running']} running" in box_text(app, "box-containers")
        assert f"❚❚ {counts['paused']} paused" in box_text(app, "box-containers")
        assert f"{counts['images']} images" in box_text(app, "box-images")
        assert f"{counts['networks']} networks" in box_text(app, "box-networks")
        assert f"{counts['volumes']} volumes" in box_text(app, "box-volumes")
        restarting = sum(1 for c in app.snapshot.containers if c.state == "restarting")
        unhealthy = sum(1 for c in app.snapshot.containers if c.health == "unhealthy")
        assert f"↻ {restarting} restarting" in box_text(app, "box-containers")
        assert f"✚ {unhealthy} unhealthy" in box_text(app, "box-containers") and unhealthy >= 1
        client_box = box_text(app, "box-client")
        assert app.session.endpoint.display in client_box.replace("\n", "") or "docker.sock" in client_box
        assert "API 1.4" in client_box and "connected" in client_box
        daemon_box = box_text(app, "box-daemon")
        assert "overlay2" in daemon_box and "containerd" in daemon_box and "cgroup" in daemon_box
        assert "index.docker.io" in box_text(app, "box-registry")


async def test_box_colours_follow_state(make_app, demo):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        assert app.query_one("#box-containers").has_class("bad")  # crashloop, oom, unhealthy
        assert app.query_one("#box-volumes").has_class("warn")  # an orphaned volume
        assert app.query_one("#box-images").has_class("warn")  # a dangling image
        assert app.query_one("#box-client").has_class("ok")


@pytest.mark.parametrize("key,pane", [("c", "containers"), ("i", "images"), ("n", "networks"), ("v", "volumes"), ("l", "daemon_logs")])
async def test_each_key_opens_its_pane_and_m_returns(make_app, demo, key, pane):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press(key)
        assert app.query_one(ContentSwitcher).current == pane
        await pilot.press("m")
        assert app.query_one(ContentSwitcher).current == "map"


async def test_enter_on_a_box_opens_its_pane(make_app, demo):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        app.query_one("#box-volumes").focus()
        await pilot.press("enter")
        assert app.query_one(ContentSwitcher).current == "volumes"


async def test_list_panes_show_the_demo_objects(make_app, demo):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("c")
        table = app.query_one("#containers-table")
        for container_id in demo.containers.values():
            assert table.get_row_index(container_id) >= 0
        names = {str(table.get_cell(container_id, "name")) for container_id in demo.containers.values()}
        assert f"{demo.prefix}web" in names
