"""The recording proxy itself: it records, pauses like SIGSTOP and dies like SIGKILL."""

from __future__ import annotations

import time

import docker
import pytest
import requests

from tests.support.proxy import RecordingProxy, _RequestParser

pytestmark = pytest.mark.daemon


def test_parser_splits_pipelined_requests_with_bodies() -> None:
    seen: list[tuple[str, str]] = []
    parser = _RequestParser(lambda method, path: seen.append((method, path)))
    body = b'{"a": 1}'
    stream = (
        b"POST /v1.41/containers/create?name=x HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        + b"POST /v1.41/build HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n0\r\n\r\n"
        + b"GET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n"
    )
    for index in range(0, len(stream), 7):  # arrive in small pieces
        parser.feed(stream[index : index + 7])
    assert seen == [("POST", "/v1.41/containers/create?name=x"), ("POST", "/v1.41/build"), ("GET", "/v1.41/info")]


def test_records_pauses_and_dies(docker_host: str) -> None:
    with RecordingProxy(docker_host) as proxy:
        client = docker.APIClient(base_url=proxy.url, version="1.41", timeout=1.5)
        client.containers(all=True)
        assert [(r.method, r.endpoint) for r in proxy.requests] == [("GET", "/containers/json")]
        assert proxy.connections_opened >= 1

        proxy.pause()
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.info()
        assert 1.4 <= time.monotonic() - started < 3
        proxy.resume()
        assert client.info()["ID"]

        proxy.kill()
        with pytest.raises(requests.exceptions.ConnectionError, match="refused"):
            client.info()
        proxy.restart()
        assert client.version()["ApiVersion"]
        assert proxy.requests[-1].endpoint == "/version"
