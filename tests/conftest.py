"""Shared fixtures: the real sandbox daemon, run labels, the demo host, an app factory.

Every object a test creates carries ``dockscope.test=<run id>`` and is removed
at the end of the session (see ``run_label``). Tests never stand a mock in for
the daemon; they talk to the sandbox dockerd started by ``scripts/sandbox``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = os.environ.get("DOCKSCOPE_TEST_RUN") or uuid.uuid4().hex[:8]
TEST_LABEL_KEY = "dockscope.test"


def _sandbox_host() -> str:
    """DOCKER_HOST of the sandbox daemon, starting it when we may."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    result = subprocess.run([str(ROOT / "scripts" / "sandbox"), "up"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.exit(f"the sandbox daemon is not running and could not be started:\n{result.stderr}", returncode=3)
    host = result.stdout.strip().splitlines()[-1]
    os.environ["DOCKER_HOST"] = host
    return host


def pytest_collection_modifyitems(items) -> None:
    """Mark every test that reaches the daemon (through any fixture) as ``daemon``.

    ``scripts/test`` runs the whole suite on the first engine and only the
    ``daemon`` tests on the others.
    """
    for item in items:
        if "docker_host" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.daemon)


def pytest_report_header(config) -> list[str]:
    engine = os.environ.get("DOCKSCOPE_SANDBOX_ENGINE", "unknown")
    return [f"dockscope: dockerd engine {engine} at {os.environ.get('DOCKER_HOST', '(sandbox)')}"]


@pytest.fixture(scope="session")
def docker_host() -> str:
    return _sandbox_host()


@pytest.fixture(scope="session")
def endpoint(docker_host):
    from dockscope.engine.endpoint import resolve_endpoint

    return resolve_endpoint(host=docker_host, env={})


@pytest.fixture(scope="session")
def client(endpoint):
    """A low-level API client on the sandbox daemon (generous timeout for builds)."""
    from dockscope.engine.connect import open_client

    return open_client(endpoint, timeout=120)


@pytest.fixture(scope="session")
def run_label(client) -> tuple[str, str]:
    """(key, value) that every object made in this run carries; all removed at the end."""
    label = (TEST_LABEL_KEY, RUN_ID)
    yield label
    from dockscope.demo import remove_demo

    remove_demo(client, label)


@pytest.fixture(scope="session")
def labels(run_label) -> dict[str, str]:
    return {run_label[0]: run_label[1]}


@pytest.fixture(scope="session")
def demo(client, run_label):
    """The demo host (see dockscope.demo), made once per run with the run's label and prefix."""
    from dockscope.demo import create_demo

    return create_demo(client, prefix=f"t{RUN_ID}-", label=run_label)


@pytest.fixture(scope="session")
def base_image(client, labels) -> str:
    """A busybox image FROM scratch, tagged for this run; returns its tag."""
    from dockscope.demo import BASE_DOCKERFILE, build

    tag = f"t{RUN_ID}/base:1"
    build(client, tag, BASE_DOCKERFILE, labels, with_busybox=True)
    return tag


@pytest.fixture
def make_session(endpoint):
    """Factory for a HostSession on the sandbox daemon (fresh client each time)."""
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import HostSession

    def factory(timeout: float = 10.0) -> HostSession:
        return HostSession(endpoint, open_client(endpoint, timeout=timeout))

    return factory


@pytest.fixture
def make_app(make_session):
    """Factory for the app on the sandbox daemon; use with ``async with app.run_test() as pilot``."""
    from dockscope.app import DockscopeApp

    def factory(**kwargs) -> DockscopeApp:
        return DockscopeApp(make_session(), **kwargs)

    return factory
