"""Containers created and removed at 20 Hz while the app watches: rows come and go cleanly.

404 (a container gone between the list and the inspect) and 409 (removal in
progress) are normal here and must not show as errors.
"""

from __future__ import annotations

import threading
import time

import pytest
from docker.errors import APIError

from tests.conftest import RUN_ID

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

RATE_HZ = 20
CHURN_SECONDS = 15.0
#: How long each churned container lives before it is removed.
LIFETIME = 0.6
LANES = 4


class Churn:
    """Create a container every 1/RATE_HZ s from LANES threads; another removes each after LIFETIME.

    One create takes 50-150 ms on a busy 2-core machine, so one thread alone
    cannot keep 20 Hz; the lanes take turns.
    """

    def __init__(self, endpoint, image: str, labels: dict[str, str]) -> None:
        from dockscope.engine.connect import open_client

        self._clients = [open_client(endpoint, timeout=30) for _ in range(LANES + 1)]
        self.image, self.labels = image, labels
        self.created: list[tuple[float, str]] = []
        self.removed: set[str] = set()
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._creators = [threading.Thread(target=self._create, args=(self._clients[lane], lane), daemon=True) for lane in range(LANES)]
        self._threads = self._creators + [threading.Thread(target=self._remove, args=(self._clients[LANES],), daemon=True)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _create(self, client, lane: int) -> None:
        period, number = LANES / RATE_HZ, lane
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                created = client.create_container(
                    self.image, command=["true"], name=f"t{RUN_ID}-churn-{number}", labels=self.labels,
                    host_config=client.create_host_config(network_mode="none"),
                )
                with self._lock:
                    self.created.append((time.monotonic(), created["Id"]))
            except APIError as error:
                self.failures.append(f"create: {error}")
            number += LANES
            next_at += period
            time.sleep(max(next_at - time.monotonic(), 0))

    def _remove(self, client) -> None:
        while True:
            with self._lock:
                due = [c for t, c in self.created if c not in self.removed and (time.monotonic() - t >= LIFETIME or self._stop.is_set())]
            for container in due:
                try:
                    client.remove_container(container, force=True)
                except APIError as error:
                    if error.status_code not in (404, 409):
                        self.failures.append(f"remove: {error}")
                self.removed.add(container)
            if self._stop.is_set() and not due and not any(t.is_alive() for t in self._creators):
                return
            time.sleep(0.02)

    @property
    def ids(self) -> set[str]:
        with self._lock:
            return {c for _, c in self.created}


def table_keys(app) -> set[str]:
    pane = app.query_one("#containers")
    return {str(key.value) for key in pane.table.rows}


async def test_rows_follow_20hz_churn_without_errors(make_app, endpoint, base_image, labels) -> None:
    app = make_app(start_pane="containers")
    churn = Churn(endpoint, base_image, labels)
    seen: set[str] = set()
    problems: list[str] = []
    async with app.run_test(size=(200, 50)) as pilot:
        deadline = time.monotonic() + 20
        while app.snapshot is None and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert app.snapshot is not None
        churn.start()
        try:
            end = time.monotonic() + CHURN_SECONDS
            while time.monotonic() < end:
                await pilot.pause(0.1)
                seen |= table_keys(app) & churn.ids
                problems += _problems(app)
        finally:
            churn.stop()
        ids = churn.ids
        deadline = time.monotonic() + 15
        while table_keys(app) & ids and time.monotonic() < deadline:
            await pilot.pause(0.2)
            problems += _problems(app)
        left = table_keys(app) & ids
        await pilot.press("i")
        await pilot.press("c")
        assert app.is_running
    assert not churn.failures, churn.failures[:3]
    assert len(ids) >= RATE_HZ * CHURN_SECONDS * 0.5, f"only {len(ids)} containers in {CHURN_SECONDS:g} s: the daemon did not keep up"
    assert seen, "no churned container ever showed as a row"
    assert not left, f"{len(left)} removed containers still shown as rows"
    assert not problems, sorted(set(problems))[:5]


def _problems(app) -> list[str]:
    """Error banners, error toasts and a disconnected state seen right now."""
    found = []
    banner = app.query_one("#stale")
    if banner.has_class("shown"):
        found.append(f"banner: {banner.render()}")
    for notification in app._notifications:
        if notification.severity == "error":
            found.append(f"toast: {notification.message}")
    if app.snapshot is not None and app.snapshot.stale:
        found.append("disconnected")
    return found
