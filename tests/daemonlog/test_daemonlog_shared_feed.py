"""One ``/events`` stream for the whole app, through the recording proxy on the sandbox daemon.

The daemon-log pane's events table shows the backlog (events from before the
app started) and live events; the app refreshes on live events but not on the
backlog; after the stream breaks, the gap is refilled with ``since`` for both.
"""

from __future__ import annotations

import time

from dockscope.app import DockscopeApp
from dockscope.engine.connect import open_client
from dockscope.engine.endpoint import resolve_endpoint
from dockscope.engine.events import DockerEvent, EventFeed
from dockscope.engine.session import HostSession
from dockscope.panes.daemon_logs import DaemonLogsPane
from tests.conftest import RUN_ID
from tests.support.proxy import RecordingProxy

PREFIX = f"t{RUN_ID}-shared-"


async def until(pilot, condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        await pilot.pause(0.05)


def rows(pane: DaemonLogsPane) -> set[tuple[str, str]]:
    """(object, action) of each row of the events table."""
    table = pane.events_table
    return {(str(table.get_row_at(i)[2]), str(table.get_row_at(i)[3])) for i in range(table.row_count)}


def make(client, labels, base_image, key: str) -> str:
    return client.create_container(
        base_image, command=["true"], name=f"{PREFIX}{key}", labels=labels, host_config=client.create_host_config(mem_limit="16m")
    )["Id"]


async def test_one_stream_shows_backlog_and_live_events_refreshes_the_app_and_refills_a_gap(docker_host, client, labels, base_image) -> None:
    before = make(client, labels, base_image, "before")
    client.remove_container(before, force=True)
    made: list[str] = []
    try:
        with RecordingProxy(docker_host) as proxy:
            endpoint = resolve_endpoint(host=proxy.url, env={})
            # no safety-net poll during the test: only events can bring a new container in
            app = DockscopeApp(HostSession(endpoint, open_client(endpoint, timeout=15)), start_pane="daemon_logs", poll_seconds=600)
            async with app.run_test(size=(120, 30)) as pilot:
                pane = app.query_one(DaemonLogsPane)
                await until(pilot, lambda: (f"{PREFIX}before", "destroy") in rows(pane), "the backlog in the events table")
                assert (f"{PREFIX}before", "create") in rows(pane)
                await until(pilot, lambda: app.snapshot is not None, "the first poll")

                made.append(make(client, labels, base_image, "live"))
                await until(pilot, lambda: made[0] in app.snapshot.container_by_id, "the app refreshed on the create event")
                await until(pilot, lambda: (f"{PREFIX}live", "create") in rows(pane), "the live event in the table")

                proxy.kill()
                await until(pilot, lambda: app.snapshot.stale, "the broken stream noticed")
                made.append(make(client, labels, base_image, "gap"))
                proxy.restart()
                await until(pilot, lambda: (f"{PREFIX}gap", "create") in rows(pane), "the gap refilled in the table")
                await until(pilot, lambda: made[1] in app.snapshot.container_by_id, "the container made during the gap shown")
                feed = app.events_feed
                assert feed is not None and feed.connections == 2
                assert pane._feed is feed, "the pane follows the app's feed"
                table = pane.events_table
                shown = [(str(table.get_row_at(i)[2]), str(table.get_row_at(i)[3])) for i in range(table.row_count)]
                for key in ("before", "live", "gap"):
                    assert shown.count((f"{PREFIX}{key}", "create")) == 1, f"{key}: shown once, never again after the reconnect"
            streams = [r for r in proxy.requests if r.endpoint == "/events"]
            assert len(streams) == 2, f"one stream for the whole app, reopened once: {[r.path for r in streams]}"
            assert not any(before in r.path for r in proxy.requests), "the backlog asked the app to inspect a container"
    finally:
        for container_id in made:
            client.remove_container(container_id, force=True)


def _event(number: int) -> DockerEvent:
    return DockerEvent("container", "start", f"id{number}", f"c{number}", 1_700_000_000_000_000_000 + number, ())


def test_a_late_subscriber_gets_the_history_then_each_event_once_and_a_failing_one_hurts_no_other() -> None:
    feed = EventFeed(lambda: None, history=3)
    early: list[DockerEvent] = []
    feed.subscribe(early.append)

    def broken(_event: DockerEvent) -> None:
        raise RuntimeError("subscriber bug")

    feed.subscribe(broken)
    for number in range(5):
        feed._deliver(_event(number))
    feed._deliver(_event(4))  # the boundary second after a reconnect comes again
    late: list[DockerEvent] = []
    assert [e.actor_id for e in feed.subscribe(late.append)] == ["id2", "id3", "id4"]
    feed._deliver(_event(5))
    feed.unsubscribe(early.append)
    feed._deliver(_event(6))
    assert [e.actor_id for e in early] == [f"id{n}" for n in range(6)]
    assert [e.actor_id for e in late] == ["id5", "id6"]
    assert "subscriber bug" in feed.last_error
    assert feed.since() == _event(6).time_nano // 1_000_000_000
