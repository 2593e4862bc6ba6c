"""Containers of every state, made for real on the sandbox daemon.

Every container is named ``t<run>-c-<key>``, carries the run label (removed
at the end of the session by ``run_label``) and a bounded json-file log.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.conftest import RUN_ID

LOG_CONFIG = {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}
PREFIX = f"t{RUN_ID}-c-"


def wait_for(check: Callable[[], object], timeout: float = 30.0, what: str = "condition", interval: float = 0.2):
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def make_container(client, labels, base_image):
    """Factory: create (and by default start) a labelled container on the busybox image; returns its id."""

    def factory(key: str, command, *, start: bool = True, image: str | None = None, healthcheck=None, ports=None, extra_labels=None, tty: bool = False, env=None, **host) -> str:
        host.setdefault("log_config", LOG_CONFIG)
        host.setdefault("mem_limit", "64m")
        created = client.create_container(
            image or base_image,
            command=command,
            name=f"{PREFIX}{key}",
            labels={**labels, **(extra_labels or {})},
            healthcheck=healthcheck,
            ports=ports,
            tty=tty,
            environment=env,
            host_config=client.create_host_config(**host),
        )
        if start:
            client.start(created["Id"])
        return created["Id"]

    return factory


@pytest.fixture(scope="session")
def state(client):
    """``State`` of a container from inspect."""

    def read(container_id: str) -> dict:
        return client.inspect_container(container_id)["State"]

    return read
