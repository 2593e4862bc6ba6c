"""Container resource usage, reckoned exactly like the docker CLI.

``docker stats`` computes (cli/command/container/stats_helpers.go):

* CPU % = (cpu total_usage delta / system_cpu_usage delta) * online CPUs * 100,
  where the deltas are between ``cpu_stats`` and ``precpu_stats`` and online
  CPUs falls back to the length of ``percpu_usage``;
* memory used = usage - ``total_inactive_file`` (cgroup v1) or
  usage - ``inactive_file`` (cgroup v2), when that value is below usage;
  memory % = used / limit * 100.

A one-shot sample (``one-shot=true``, API >= 1.41) comes with an empty
``precpu_stats``; the previous sample we took of the same container then
stands in for it, so CPU % is known from the second sample on. It is not
instant: dockerd answers at the next pass of its stats collector, which runs
once a second, so each request takes about 1 s and a connection yields about
one sample a second (a round of 45 took 23.5 s at two at a time, 12.4 s at
four, on dockerd 20.10). Without one-shot the daemon waits for two passes.

:class:`StatsCollector` fetches samples for a set of containers with a small
thread pool (never more than :data:`MAX_CONCURRENT` requests at once) and never
opens a stats stream. Nothing here imports textual or rich.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

#: Requests in flight at once, whatever the number of rows on screen: also the
#: most sockets the collector holds (the app's budget is four: session, events, stats).
MAX_CONCURRENT = 2
#: Seconds without a request after which the collector closes its idle sockets
#: (the pane asks every 2 s while it is shown: so once it is hidden).
IDLE_CLOSE_SECONDS = 3.0
#: Samples kept per container for the sparklines.
HISTORY = 60

Raw = Mapping[str, Any]


@dataclass(frozen=True)
class StatsSample:
    """One container's usage at one moment; ``None`` where it cannot be known yet."""

    container_id: str
    read_at: float
    cpu_percent: float | None
    memory_used: int | None
    memory_limit: int | None

    @property
    def memory_percent(self) -> float | None:
        if not self.memory_used or not self.memory_limit:
            return None
        return self.memory_used / self.memory_limit * 100.0


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def online_cpus(cpu_stats: Raw) -> int:
    """``online_cpus``, or the number of per-CPU counters on old kernels (as the CLI does)."""
    online = _int(cpu_stats.get("online_cpus"))
    if online:
        return online
    return len((cpu_stats.get("cpu_usage") or {}).get("percpu_usage") or ())


def cpu_percent(cpu_stats: Raw, previous: Raw | None) -> float | None:
    """CPU % between two ``cpu_stats`` blocks; None when there is no usable previous one."""
    if not previous or not previous.get("system_cpu_usage"):
        return None
    cpu_delta = _int((cpu_stats.get("cpu_usage") or {}).get("total_usage")) - _int((previous.get("cpu_usage") or {}).get("total_usage"))
    system_delta = _int(cpu_stats.get("system_cpu_usage")) - _int(previous.get("system_cpu_usage"))
    if system_delta <= 0 or cpu_delta <= 0:
        return 0.0
    return cpu_delta / system_delta * online_cpus(cpu_stats) * 100.0


def memory_used(memory_stats: Raw) -> int | None:
    """Usage minus the inactive file cache (v1 ``total_inactive_file``, v2 ``inactive_file``)."""
    if "usage" not in memory_stats:
        return None
    usage = _int(memory_stats.get("usage"))
    stats = memory_stats.get("stats") or {}
    if "total_inactive_file" in stats and _int(stats["total_inactive_file"]) < usage:
        return usage - _int(stats["total_inactive_file"])
    inactive = _int(stats.get("inactive_file"))
    if inactive < usage:
        return usage - inactive
    return usage


def sample_from(container_id: str, raw: Raw, previous_cpu: Raw | None = None, read_at: float | None = None) -> StatsSample:
    """Turn one ``/containers/{id}/stats`` answer into a :class:`StatsSample`.

    Args:
        container_id: The container the answer is about.
        raw: The decoded answer.
        previous_cpu: ``cpu_stats`` of our previous sample, used when the
            answer's own ``precpu_stats`` is empty (one-shot).
        read_at: When it was read (defaults to now).
    """
    cpu_stats = raw.get("cpu_stats") or {}
    precpu = raw.get("precpu_stats") or {}
    previous = precpu if precpu.get("system_cpu_usage") else previous_cpu
    memory = raw.get("memory_stats") or {}
    limit = _int(memory.get("limit")) or None
    return StatsSample(
        container_id=container_id,
        read_at=time.time() if read_at is None else read_at,
        cpu_percent=cpu_percent(cpu_stats, previous),
        memory_used=memory_used(memory),
        memory_limit=limit,
    )


def supports_one_shot(api_version: str) -> bool:
    """``one-shot`` arrived with API 1.41."""
    try:
        major, minor = (int(part) for part in api_version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (1, 41)


def fetch_raw(client, container_id: str, one_shot: bool) -> Raw:
    """One stats answer, never a stream."""
    if one_shot:
        return client.stats(container_id, stream=False, one_shot=True)
    return client.stats(container_id, stream=False)


class StatsCollector:
    """Fetch stats samples for chosen containers with bounded concurrency.

    :meth:`request` is cheap and may be called from the UI thread: it queues
    the ids not already in flight for a pool of :data:`MAX_CONCURRENT` threads.
    Each finished sample is kept (a short history per container for the
    sparklines) and handed to ``on_sample`` from the pool thread.
    """

    def __init__(self, client_factory: Callable[[], Any], on_sample: Callable[[StatsSample], None], *, max_workers: int = MAX_CONCURRENT) -> None:
        self._client_factory = client_factory
        self._local = threading.local()
        self._clients: list[Any] = []
        self._on_sample = on_sample
        self._max_workers = min(max_workers, MAX_CONCURRENT)
        self._pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="stats")
        #: Ids waiting for a pool thread, in the order they are fetched.
        self._pending: deque[str] = deque()
        self._workers = 0
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._last_cpu: dict[str, Raw] = {}
        self._history: dict[str, deque[StatsSample]] = {}
        self._closed = False
        self._last_request = 0.0
        self._idle_timer: threading.Timer | None = None
        self.last_error = ""
        self._running = 0
        #: Most requests ever running at once (never above MAX_CONCURRENT).
        self.peak_running = 0

    def _get_client(self):
        """This pool thread's own client, made on its first request.

        One per thread, each keeping one socket: the collector holds at most
        :data:`MAX_CONCURRENT` sockets. Made outside ``_lock``: the factory
        negotiates the API version over the network, and the UI thread takes
        ``_lock`` in :meth:`request`.
        """
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
            with self._lock:
                self._clients.append(client)
                closed = self._closed
            if closed:  # close() ran while this client was being made
                client.close()
        return client

    def request(self, container_ids: Iterable[str], first: str | None = None) -> int:
        """Ask for a sample of each container; returns how many now wait for one.

        What still waited from an earlier request is replaced. ``first`` (the
        selected row, whose sparklines move) goes before the others, then the
        stalest: the daemon answers a one-shot request at its next 1 s pass, so
        two connections give about two samples a second, and a screen of 45 rows
        is gone through in turn rather than always from its top.
        """
        with self._lock:
            if self._closed:
                return 0
            wanted = [c for c in dict.fromkeys(container_ids) if c not in self._in_flight]
            wanted.sort(key=lambda c: (c != first, self._sampled_at(c)))
            self._pending = deque(wanted)
            self._last_request = time.monotonic()
            start = max(min(self._max_workers, len(wanted)) - self._workers, 0)
            self._workers += start
        for _ in range(start):
            self._pool.submit(self._work)
        return len(wanted)

    def _sampled_at(self, container_id: str) -> float:
        """Under ``_lock``: when the last sample was read (0: never)."""
        history = self._history.get(container_id)
        return history[-1].read_at if history else 0.0

    def _work(self) -> None:
        """A pool thread: fetch what waits until nothing does."""
        while True:
            with self._lock:
                if self._closed or not self._pending:
                    self._workers -= 1
                    return
                container_id = self._pending.popleft()
                self._in_flight.add(container_id)
            self._fetch_one(container_id)

    def _fetch_one(self, container_id: str) -> None:
        with self._lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        try:
            client = self._get_client()
            raw = fetch_raw(client, container_id, supports_one_shot(str(getattr(client, "api_version", ""))))
            sample = sample_from(container_id, raw, self._last_cpu.get(container_id))
            with self._lock:
                self._last_cpu[container_id] = raw.get("cpu_stats") or {}
                self._history.setdefault(container_id, deque(maxlen=HISTORY)).append(sample)
        except Exception as error:  # a container that stopped or vanished: no sample this time
            self.last_error = f"stats {container_id[:12]}: {error}"
            return
        finally:
            with self._lock:
                self._in_flight.discard(container_id)
                self._running -= 1
                if not self._in_flight and not self._pending:
                    self._arm_idle_close(IDLE_CLOSE_SECONDS)
        if not self._closed:
            self._on_sample(sample)

    def _arm_idle_close(self, delay: float) -> None:
        """Under ``_lock``: close the idle sockets in ``delay`` s unless requests come meanwhile."""
        if self._idle_timer is None and not self._closed:
            self._idle_timer = threading.Timer(delay, self._close_if_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            self._idle_timer = None
            idle_for = time.monotonic() - self._last_request
            if self._in_flight:
                return  # the last of them arms the timer again
            if idle_for < IDLE_CLOSE_SECONDS:
                self._arm_idle_close(IDLE_CLOSE_SECONDS - idle_for)
                return
            clients = list(self._clients)
        for client in clients:
            client.close()  # drops the idle sockets; the client opens one again when next used

    def latest(self, container_id: str) -> StatsSample | None:
        with self._lock:
            history = self._history.get(container_id)
            return history[-1] if history else None

    def history(self, container_id: str) -> tuple[StatsSample, ...]:
        with self._lock:
            return tuple(self._history.get(container_id, ()))

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the samples of containers not in ``keep`` (gone from the host)."""
        alive = set(keep)
        with self._lock:
            for key in [k for k in self._history if k not in alive]:
                del self._history[key]
                self._last_cpu.pop(key, None)

    def close(self) -> None:
        """Stop: pending requests are dropped, running ones finish unseen; idle sockets are closed."""
        with self._lock:
            self._closed = True
            if self._idle_timer is not None:
                self._idle_timer.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()
