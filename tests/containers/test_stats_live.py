"""Stats against the real daemon: the same numbers as ``docker stats --no-stream``, bounded requests."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest

from dockscope.engine.stats import MAX_CONCURRENT, StatsCollector, fetch_raw, sample_from
from tests.containers.conftest import wait_for

pytestmark = pytest.mark.daemon

MIB = 1024 * 1024
UNITS = {"B": 1, "KiB": 1024, "MiB": MIB, "GiB": 1024 * MIB, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def docker_cli_stats(docker_host: str, container_id: str) -> dict:
    cli = shutil.which("docker") or "/usr/bin/docker"
    result = subprocess.run(
        [cli, "-H", docker_host, "stats", "--no-stream", "--format", "{{json .}}", container_id],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> float:
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * UNITS[unit]
    raise ValueError(text)


@pytest.fixture(scope="module")
def busy(make_container, state):
    """A container burning half a CPU and holding about 20 MiB."""
    cid = make_container(
        "busy", ["sh", "-c", "x=$(head -c 20000000 /dev/zero | tr '\\000' a); while :; do :; done"],
        nano_cpus=500_000_000, mem_limit="96m",
    )
    wait_for(lambda: state(cid)["Running"], what="running")
    return cid


def test_numbers_match_docker_stats_no_stream(client, busy, docker_host) -> None:
    """The CLI's figures from the very answer it read (caught by a proxy): the same arithmetic.

    Two separate requests are two windows the daemon measured; under load one
    window can read far above the --cpus 0.5 cap (CI on 20.10 saw 70-102 % from
    both the CLI and us), so only the same answer can show the same numbers.
    """
    from tests.support.proxy import RecordingProxy

    wait_for(lambda: (fetch_raw(client, busy, one_shot=False)["memory_stats"].get("usage") or 0) > 15 * MIB, what="the memory to fill")
    with RecordingProxy(docker_host, keep_answers=True) as proxy:
        cli = docker_cli_stats(proxy.url, busy)
        asked = [r for r in proxy.requests if r.endpoint.endswith("/stats")]
        assert len(asked) == 1, proxy.requests
        status, body = proxy.answer_to(asked[0])
    assert status == 200
    ours = sample_from(busy, json.loads(body))
    assert ours.cpu_percent is not None and ours.cpu_percent > 1  # it burns CPU: a real delta, not 0 == 0
    assert ours.cpu_percent == pytest.approx(float(cli["CPUPerc"].rstrip("%")), abs=0.006)
    cli_used, cli_limit = (parse_size(part.strip()) for part in cli["MemUsage"].split("/"))
    assert ours.memory_limit == cli_limit == 96 * MIB
    assert ours.memory_used == pytest.approx(cli_used, rel=0.001)  # the CLI prints 4 significant digits
    assert ours.memory_percent == pytest.approx(float(cli["MemPerc"].rstrip("%")), abs=0.006)


def test_one_shot_collector_gives_cpu_from_the_second_sample(endpoint, busy) -> None:
    from dockscope.engine.connect import open_client

    samples = []
    arrived = threading.Event()

    def on_sample(sample) -> None:
        samples.append(sample)
        arrived.set()

    collector = StatsCollector(lambda: open_client(endpoint, timeout=10), on_sample)
    try:
        for round_ in range(2):
            if round_:
                # the pane asks every 2 s; dockerd 26.1 answers a quicker repeat with the same sample
                time.sleep(1.5)
            arrived.clear()
            collector.request([busy])
            assert arrived.wait(10)
            wait_for(lambda: busy not in collector._in_flight, timeout=5, what="the request to finish")
    finally:
        collector.close()
    assert samples[0].cpu_percent is None  # one-shot: no precpu, no previous sample yet
    assert 5 < samples[1].cpu_percent <= 100  # half a CPU cap: well above idle, never above one core
    assert len(collector.history(busy)) == 2


def test_collector_never_runs_more_than_four_requests(endpoint, make_container, state) -> None:
    from dockscope.engine.connect import open_client

    ids = [make_container(f"many{i}", ["sleep", "600"]) for i in range(6)]
    wait_for(lambda: all(state(c)["Running"] for c in ids), what="all running")
    seen: set[str] = set()
    done = threading.Event()

    def on_sample(sample) -> None:
        seen.add(sample.container_id)
        if seen >= set(ids):
            done.set()

    collector = StatsCollector(lambda: open_client(endpoint, timeout=10), on_sample)
    try:
        assert collector.request(ids) == 6
        # ids still in flight are not asked twice (a fast daemon may already have answered some)
        assert collector.request(ids) < len(ids)
        assert done.wait(30)
    finally:
        collector.close()
    assert 1 <= collector.peak_running <= MAX_CONCURRENT
    assert all(collector.latest(c).memory_used for c in ids)


def test_collector_asks_the_selected_first_then_the_stalest(endpoint, make_container, state) -> None:
    from dockscope.engine.connect import open_client

    ids = [make_container(f"order{i}", ["sleep", "600"]) for i in range(5)]
    wait_for(lambda: all(state(c)["Running"] for c in ids), what="all running")
    order: list[str] = []  # samples, as they arrive
    # Ids as the pool threads take them from the queue: the order this test is about.
    # (When each request is sent, and more so when it is answered, depends on the
    # load: a thread still making its client let the other send three first.)
    asked: list[str] = []
    collector = StatsCollector(lambda: open_client(endpoint, timeout=10), lambda sample: order.append(sample.container_id))
    fetch_one = collector._fetch_one
    collector._fetch_one = lambda container_id: asked.append(container_id) or fetch_one(container_id)
    try:
        collector.request(ids, first=ids[4])
        wait_for(lambda: len(order) == 5, timeout=30, what="a sample of each")
        # The selected row first, then the top rows.
        assert set(asked[:2]) == {ids[4], ids[0]}, asked
        order.clear()
        asked.clear()
        # No selection now: the stalest first, so rows sampled late in one round lead the next.
        stalest = sorted(ids, key=lambda c: collector.latest(c).read_at)
        collector.request(ids)
        wait_for(lambda: len(order) == 5, timeout=30, what="a second sample of each")
        assert set(asked[:2]) == set(stalest[:2]), (asked, stalest)
        # A new request replaces what still waits: a row scrolled away is not fetched.
        order.clear()
        collector.request(ids)
        collector.request(ids[:1])
        wait_for(lambda: not collector._in_flight and not collector._pending, timeout=30, what="the queue to empty")
        assert len(order) <= 3, order  # at most the two already running and the one asked for
    finally:
        collector.close()
