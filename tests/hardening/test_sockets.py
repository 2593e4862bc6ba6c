"""A client from open_client() reuses its few keep-alive sockets instead of one per URL."""

from __future__ import annotations

import pytest
from docker.errors import NotFound

from dockscope.engine.connect import open_client
from dockscope.engine.endpoint import resolve_endpoint
from tests.support.proxy import RecordingProxy

pytestmark = pytest.mark.daemon


def test_requests_to_many_urls_share_one_pool(docker_host: str) -> None:
    with RecordingProxy(docker_host) as proxy:
        client = open_client(resolve_endpoint(host=proxy.url, env={}), timeout=10)
        containers = client.containers(all=True)[:30]
        for container in containers:
            try:
                client.inspect_container(container["Id"])
            except NotFound:  # another test's container, removed meanwhile
                pass
        client.images()
        client.networks()
        requests = len(proxy.requests)
        assert requests >= len(containers) + 3
        assert proxy.connections_opened <= 2, f"{proxy.connections_opened} sockets for {requests} sequential requests"
        assert proxy.open_connections <= 2
