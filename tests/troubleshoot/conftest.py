"""A context over the demo host (plus one failed pull and one hostile container) for the wizard."""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import RUN_ID

SANDBOX_LOG = os.environ.get("DOCKSCOPE_DAEMON_LOG", "/var/log/dockscope-sandbox/dockerd-20.10.log")
HOSTILE = "[/] [link=file:///etc/passwd]x[/link] \x1b]52;c;cHduZWQ=\x07\x1b[2J"


@pytest.fixture(scope="session")
def hostile_container(client, demo, labels) -> str:
    """A container that prints markup and escape sequences, then exits 1."""
    name = f"{demo.prefix}w-hostile"
    created = client.create_container(
        f"{demo.repo}/app:2", ["sh", "-c", f"printf '{HOSTILE}\\n'; exit 1"], name=name, labels=labels,
        host_config=client.create_host_config(log_config={"Type": "json-file", "Config": {"max-size": "1m"}}),
    )
    client.start(created["Id"])
    deadline = time.monotonic() + 20
    while client.inspect_container(created["Id"])["State"]["Status"] != "exited":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return name


@pytest.fixture(scope="session")
def failed_pull(client) -> str:
    """Pull from a loopback port where nothing listens: the daemon logs the failure."""
    try:
        client.pull(f"127.0.0.1:1/t{RUN_ID}/wizard", tag="1")
    except Exception:  # it is meant to fail
        pass
    return "127.0.0.1:1"


@pytest.fixture(scope="session")
def demo_context(endpoint, demo, failed_pull, hostile_container):
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import HostSession
    from dockscope.probes import gather_context

    session = HostSession(endpoint, open_client(endpoint, timeout=60))
    focus = [demo.containers[k] for k in ("crashloop", "oom", "web", "shop-db-1")]
    images = [demo.images["app2"], demo.images["base"]]
    return gather_context(session, focus=focus, images=images, inspect_all=False, daemon_log=SANDBOX_LOG, env={})
