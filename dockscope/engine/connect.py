"""Open a low-level Docker API client with short timeouts and explain failures.

docker-py waits 60 s by default; a hung daemon must fail in about 5 s. The API
version is negotiated (``version="auto"``). ``ssh://`` goes through the system
``ssh`` binary (``use_ssh_client``), so ``~/.ssh/config`` applies as it does
for the docker CLI and no extra dependency is needed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from dockscope.engine.model import Endpoint
from dockscope.textsafe import mask_url_credentials

DEFAULT_TIMEOUT = 5.0
#: Idle sockets a client keeps for reuse. Requests made at the same time beyond
#: this many get a socket of their own, closed after the answer; so a client used
#: by several threads at once (the session: polls, and panes reading outside its
#: lock) holds one socket at rest instead of as many as it once ran in parallel.
KEEP_SOCKETS = 1
#: Longest wait for a client's socket while another thread's request uses it;
#: after that the request opens a socket of its own (closed after it), so a slow
#: answer or a stream never holds the others back for long.
SHARE_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class ConnectProblem:
    """Why the daemon could not be reached, in words a person can act on."""

    kind: str
    endpoint: Endpoint
    detail: str
    hints: tuple[str, ...]

    def message(self) -> str:
        lines = [
            f"Cannot use the Docker daemon at {self.endpoint.display} (chosen by {self.endpoint.source}):",
            f"  {self.detail}",
        ]
        lines += [f"  - {hint}" for hint in self.hints]
        return "\n".join(lines)


class ConnectError(Exception):
    """Raised by :func:`open_client`; ``problem`` says what to do."""

    def __init__(self, problem: ConnectProblem) -> None:
        super().__init__(problem.message())
        self.problem = problem


def _exception_tree(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        pending += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)


def _socket_path(endpoint: Endpoint) -> str:
    return endpoint.url.split("://", 1)[-1] if endpoint.scheme in ("unix", "npipe") else ""


def _not_running_hints(endpoint: Endpoint) -> tuple[str, ...]:
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return (
        "is the daemon running? start it with: sudo systemctl start docker (Docker Desktop: open it)",
        "is this the daemon you meant? see: docker context ls  (and DOCKER_HOST / --host)",
        f"rootless Docker listens on unix://{runtime_dir}/docker.sock: dockscope --host unix://{runtime_dir}/docker.sock",
    )


def classify(error: BaseException, endpoint: Endpoint, timeout: float) -> ConnectProblem:
    """Turn whatever docker-py/requests/urllib3 raised into a :class:`ConnectProblem`."""
    chain = list(_exception_tree(error))
    names = {type(e).__name__ for e in chain}
    text = mask_url_credentials(" ".join(str(e) for e in chain))
    path = _socket_path(endpoint)

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if has(PermissionError) or "Permission denied" in text:
        return ConnectProblem(
            "denied",
            endpoint,
            f"permission denied opening {path or endpoint.display}",
            (
                "your user may not open the Docker socket; note that membership of the 'docker' group "
                "is root-equivalent on this machine (it can mount / into a container)",
                "safer: use rootless Docker (dockerd-rootless-setuptool.sh install) for your user",
                "or run dockscope with sudo for this session: sudo dockscope",
            ),
        )
    if has(FileNotFoundError) or "No such file" in text:
        return ConnectProblem("missing", endpoint, f"no socket at {path or endpoint.display}", _not_running_hints(endpoint))
    if has(ConnectionRefusedError) or "Connection refused" in text:
        return ConnectProblem("refused", endpoint, "connection refused: nothing is listening there", _not_running_hints(endpoint))
    if names & {"ReadTimeout", "ConnectTimeout", "Timeout", "TimeoutError", "ReadTimeoutError", "timeout"} or "timed out" in text:
        return ConnectProblem(
            "timeout",
            endpoint,
            f"the daemon did not answer within {timeout:g} s (it accepts connections but hangs)",
            (
                "check the daemon: sudo systemctl status docker; its log: sudo journalctl -u docker --since -10m",
                "a stopped (SIGSTOP) or overloaded dockerd behaves like this; restart it if it stays hung",
                "raise the wait with --timeout SECONDS on a slow link",
            ),
        )
    if names & {"SSLError", "SSLCertVerificationError", "TLSParameterError"}:
        return ConnectProblem(
            "tls",
            endpoint,
            "TLS failed: " + text[:300],
            ("check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY", "see: docker context inspect"),
        )
    if endpoint.scheme == "ssh":
        return ConnectProblem(
            "ssh",
            endpoint,
            "ssh connection failed: " + text[:300],
            (f"check that this works: ssh {endpoint.display.removeprefix('ssh://')} docker version",),
        )
    if names & {"gaierror", "NameResolutionError"} or "Name or service not known" in text:
        return ConnectProblem("dns", endpoint, "the host name does not resolve", ("check the host in --host / DOCKER_HOST / the context",))
    return ConnectProblem("other", endpoint, text[:400] or type(error).__name__, _not_running_hints(endpoint))


def _tls_config(endpoint: Endpoint):
    from docker.tls import TLSConfig

    if not (endpoint.tls_verify or endpoint.client_cert):
        return False
    cert = None
    if endpoint.client_cert and endpoint.client_key and os.path.exists(endpoint.client_cert):
        cert = (endpoint.client_cert, endpoint.client_key)
    ca = endpoint.ca_cert if endpoint.ca_cert and os.path.exists(endpoint.ca_cert) else None
    return TLSConfig(client_cert=cert, ca_cert=ca, verify=ca if endpoint.tls_verify and ca else endpoint.tls_verify)


def open_client(endpoint: Endpoint, timeout: float | None = DEFAULT_TIMEOUT, *, keep_sockets: int = KEEP_SOCKETS, version: str | None = None):
    """Connect and negotiate the API version (or use ``version``, already negotiated).

    Args:
        endpoint: Where the daemon is.
        timeout: Seconds for each request (``None``: wait forever, for streams).
        keep_sockets: Idle sockets kept for reuse (see :data:`KEEP_SOCKETS`).
        version: The API version another client of this process negotiated with
            the same daemon. Given, no ``/version`` is asked: each extra client
            (stats, logs, events, actions) would spend a round trip and a
            socket of its own on it.

    Returns:
        A ``docker.APIClient``.

    Raises:
        ConnectError: with a :class:`ConnectProblem` that says what to do.
    """
    import docker

    url = endpoint.url
    if url.startswith("tcp://") and (endpoint.tls_verify or endpoint.client_cert):
        url = "https://" + url.removeprefix("tcp://")
    try:
        client = docker.APIClient(
            base_url=url,
            version=version or "auto",
            timeout=timeout if timeout is not None else None,
            tls=_tls_config(endpoint),
            use_ssh_client=endpoint.scheme == "ssh",
            max_pool_size=keep_sockets,
        )
    except Exception as error:  # docker-py raises many kinds here; classify them all
        raise ConnectError(classify(error, endpoint, timeout or 0)) from None
    _one_pool_per_socket(client)
    _one_request_at_a_time(client)
    return client


def _one_request_at_a_time(client) -> None:
    """Let the threads sharing ``client`` take turns on its socket.

    The session's client is used by the polls (under the session's lock) and
    also outside it: image layer reads, pane workers inspecting members or
    checking volumes. Run side by side, each of those requests needs a socket
    of its own, and the app's few-socket budget goes. In turn, they share one;
    a request waits at most :data:`SHARE_WAIT_SECONDS` for it (a stream
    releases its turn once its headers are read).
    """
    turn = threading.RLock()
    send = client.send

    def send_in_turn(request, **kwargs):
        has_turn = turn.acquire(timeout=SHARE_WAIT_SECONDS)
        try:
            return send(request, **kwargs)
        finally:
            if has_turn:
                turn.release()

    client.send = send_in_turn


def _one_pool_per_socket(client) -> None:
    """Make every request of ``client`` share one keep-alive pool (at most ``max_pool_size`` sockets).

    docker-py's unix-socket adapter keys its connection pools by the full
    request URL, so each ``/containers/<id>/stats`` or ``/containers/<id>/json``
    keeps a socket of its own open (up to 25 per client: 50 sockets to the
    daemon at idle). The pool's host is always ``localhost``, so keying by
    scheme and host alone changes nothing else. The pool of the version
    negotiation (``/version``, asked before this runs) is closed: it would
    keep one more idle socket per client for good.
    """
    from urllib.parse import urlsplit

    for adapter in client.adapters.values():
        if type(adapter).__name__ != "UnixHTTPAdapter":
            continue
        keyed_by_url = adapter.get_connection

        def get_connection(url, proxies=None, _get=keyed_by_url):
            parts = urlsplit(url)
            return _get(f"{parts.scheme}://{parts.netloc}", proxies)

        adapter.get_connection = get_connection
        adapter.pools.clear()  # disposes (closes) the pools keyed by URL so far


class _DropPoolFull(logging.Filter):
    """A socket closed after a request beyond :data:`KEEP_SOCKETS` is the intent, not a warning to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Connection pool is full")


logging.getLogger("urllib3.connectionpool").addFilter(_DropPoolFull())
