"""The app holds at most four sockets to the daemon in normal use (issue 7).

dockscope runs in-process against the sandbox daemon through
:class:`RecordingProxy`; a sampler thread reads the proxy's count of open
connections every few milliseconds. Every pane is visited (the daemon log's
events tab too), then the app stays on the containers pane with our running
containers on screen until each has had several stats samples.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest

from dockscope.app import DockscopeApp
from dockscope.engine.connect import open_client
from dockscope.engine.endpoint import resolve_endpoint
from dockscope.engine.session import HostSession
from dockscope.engine.stats import IDLE_CLOSE_SECONDS, MAX_CONCURRENT, StatsCollector
from dockscope.panes.containers import ContainersPane
from tests.conftest import RUN_ID
from tests.support.proxy import RecordingProxy

pytestmark = pytest.mark.daemon

SOCKET_BUDGET = 4
RUNNING = 6
PREFIX = f"t{RUN_ID}-sockbudget-"


class PeakSampler:
    """Reads ``proxy.open_connections`` in a thread; keeps the highest value seen."""

    def __init__(self, proxy: RecordingProxy, every: float = 0.002) -> None:
        self.proxy = proxy
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proxy.open_connections)
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def connection_uses(proxy: RecordingProxy) -> str:
    """What each connection was used for (for the failure message)."""
    uses: dict[int, set[str]] = defaultdict(set)
    for request in proxy.requests:
        parts = request.endpoint.split("/")
        uses[request.connection].add("/".join("<id>" if len(p) == 64 else p for p in parts))
    return "; ".join(f"#{number}: {', '.join(sorted(paths))}" for number, paths in sorted(uses.items()))


async def until(pilot, condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        await pilot.pause(0.05)


@pytest.fixture
def running(client, labels, base_image):
    """A few running containers of ours for the containers pane to sample."""
    ids = []
    try:
        for number in range(RUNNING):
            created = client.create_container(
                base_image, command=["sleep", "600"], name=f"{PREFIX}{number}", labels=labels,
                host_config=client.create_host_config(mem_limit="16m", log_config={"Type": "json-file", "Config": {"max-size": "1m"}}),
            )
            ids.append(created["Id"])
            client.start(created["Id"])
        yield ids
    finally:
        for container_id in ids:
            client.remove_container(container_id, force=True)


def wait(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.02)


def test_a_client_keeps_one_socket_after_negotiating(docker_host) -> None:
    """The ``/version`` asked while connecting must not keep a socket of its own."""
    with RecordingProxy(docker_host) as proxy:
        client = open_client(resolve_endpoint(host=proxy.url, env={}), timeout=10)
        client.info()
        client.containers()
        assert proxy.connections_opened >= 1
        wait(lambda: proxy.open_connections <= 1, "idle sockets closed", timeout=5)
        client.close()


def test_stats_collector_uses_at_most_two_sockets_and_lets_them_go_when_idle(docker_host, running) -> None:
    with RecordingProxy(docker_host) as proxy:
        endpoint = resolve_endpoint(host=proxy.url, env={})
        session = HostSession(endpoint, open_client(endpoint, timeout=10))  # negotiates, as the app's session does
        session.client.close()
        wait(lambda: proxy.open_connections == 0, "the session's socket closed", timeout=5)
        negotiated = len(proxy.requests)
        # The app's factory: the session's API version, so no worker asks /version on a socket of its own.
        collector = StatsCollector(lambda: session.open_client(timeout=10), lambda _sample: None)
        with PeakSampler(proxy) as sampler:
            try:
                collector.request(running)
                wait(lambda: all(collector.latest(cid) is not None for cid in running), "a sample of each container")
                assert MAX_CONCURRENT <= 2
                assert sampler.peak <= MAX_CONCURRENT, f"{sampler.peak} sockets for {len(running)} one-shot requests: {connection_uses(proxy)}"
                wait(lambda: proxy.open_connections == 0, "idle sockets closed (the pane is hidden)", timeout=IDLE_CLOSE_SECONDS + 5)
                collector.request(running[:1])
                wait(lambda: len(collector.history(running[0])) == 2, "a sample after the idle close")
            finally:
                collector.close()
        assert sampler.peak <= MAX_CONCURRENT
        asked = [request.endpoint for request in proxy.requests[negotiated:]]
        assert "/version" not in asked, f"a stats worker negotiated the version again: {connection_uses(proxy)}"


async def test_every_pane_then_stats_within_four_sockets(docker_host, running) -> None:
    with RecordingProxy(docker_host) as proxy, PeakSampler(proxy) as sampler:
        endpoint = resolve_endpoint(host=proxy.url, env={})
        app = DockscopeApp(HostSession(endpoint, open_client(endpoint, timeout=15)), start_pane="map")
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and set(running) <= set(app.snapshot.container_by_id), "a snapshot with our containers")
            for key in ("m", "i", "n", "v", "l", "t", "c"):
                await pilot.press(key)
                await pilot.pause(0.5)
            pane = app.query_one(ContainersPane)
            pane.apply_filter(PREFIX)
            await until(pilot, lambda: pane.table.row_count == RUNNING, "our rows")

            def sampled(times: int) -> bool:
                stats = pane._stats
                return stats is not None and all(len(stats.history(cid)) >= times for cid in running)

            await until(pilot, lambda: sampled(1), "a first stats sample for each of our rows")
            await until(pilot, lambda: sampled(3), "two more rounds of stats samples")
        assert sampler.peak <= SOCKET_BUDGET, f"{sampler.peak} sockets open at once ({proxy.connections_opened} opened): {connection_uses(proxy)}"
