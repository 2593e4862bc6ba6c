"""The event feed on the real daemon: a container's start and stop, and the gap refilled after a drop."""

from __future__ import annotations

import threading
import time

from dockscope.daemonlog import EventFeed
from dockscope.engine.connect import open_client
from tests.conftest import RUN_ID


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_feed_sees_start_and_stop_and_refills_the_gap(client, endpoint, labels, base_image):
    seen = []
    gate = threading.Event()
    gate.set()

    def gated_client():
        gate.wait()
        return open_client(endpoint, timeout=None)

    feed = EventFeed(gated_client, seen.append, backlog_seconds=0)
    worker = threading.Thread(target=feed.run, daemon=True)
    worker.start()
    container = client.create_container(
        base_image, command=["sleep", "60"], name=f"t{RUN_ID}-evfeed", labels=labels,
        host_config=client.create_host_config(mem_limit="32m"),
    )["Id"]
    try:
        _wait(lambda: feed.connections == 1)
        assert feed.following
        client.start(container)
        client.stop(container, timeout=0)

        def actions() -> list[str]:
            return [e.action for e in seen if e.actor_id == container]

        _wait(lambda: {"start", "die"} <= set(actions()))
        gate.clear()
        feed.drop_connection()
        _wait(lambda: not feed.following)
        client.start(container)
        time.sleep(0.2)
        gate.set()
        _wait(lambda: actions().count("start") == 2)
        assert feed.connections == 2
        assert len(seen) == len({(e.time_nano, e.type, e.action, e.actor_id) for e in seen}), "no event delivered twice"
    finally:
        feed.stop()
        client.remove_container(container, force=True)
        worker.join(timeout=5)
