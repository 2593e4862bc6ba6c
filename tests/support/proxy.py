"""A recording, pausable unix-socket proxy in front of a Docker daemon.

It stands between a client and the real daemon socket, forwards every byte
unchanged, and records what passed: each HTTP request's method and path, and
how many connections were opened (in total and right now). Because the real
daemon answers, behaviour stays the daemon's own; the proxy only adds a few
switches a test needs:

* :meth:`RecordingProxy.pause` stops forwarding in both directions (bytes
  stay in the kernel buffers, new connections are accepted but get no
  answer): to a client this looks like a ``SIGSTOP``-ed dockerd.
  :meth:`RecordingProxy.resume` lets everything flow again.
* :meth:`RecordingProxy.kill` drops every connection and stops listening but
  leaves the socket file: clients get ``ECONNREFUSED``, as after a
  ``SIGKILL``-ed dockerd. :meth:`RecordingProxy.restart` listens again.

Usage in a test::

    from tests.support.proxy import RecordingProxy

    with RecordingProxy("/run/dockscope-sandbox/docker.sock") as proxy:
        env = {**os.environ, "DOCKER_HOST": proxy.url}
        ...                       # run dockscope (or docker-py) against proxy.url
        assert all(r.method == "GET" for r in proxy.requests)
        print(proxy.connections_opened, proxy.open_connections)

Or from a shell (prints the URL, records until Ctrl-C, then a summary)::

    python -m tests.support.proxy --upstream /run/dockscope-sandbox/docker.sock

The upstream may be given as a path or as ``unix:///path``. Requests are
parsed from the client's byte stream (Content-Length and chunked bodies are
skipped; after a connection upgrade, e.g. ``attach``/``exec``, parsing
stops), so a request is recorded even if the daemon never answers it.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 65536


@dataclass(frozen=True)
class Request:
    """One HTTP request seen on its way to the daemon."""

    time: float
    method: str
    path: str
    connection: int

    @property
    def endpoint(self) -> str:
        """The path without the API version prefix and query: ``/containers/json``."""
        bare = self.path.split("?", 1)[0]
        parts = bare.split("/", 2)
        if len(parts) == 3 and parts[1].startswith("v") and parts[1][1:2].isdigit():
            return "/" + parts[2]
        return bare


class _RequestParser:
    """Incremental parser of the client side of one HTTP/1.1 connection."""

    def __init__(self, record) -> None:
        self._record = record
        self._buffer = b""
        self._body_left = 0
        self._chunked = False
        self._upgraded = False

    def feed(self, data: bytes) -> None:
        if self._upgraded:
            return
        self._buffer += data
        while self._step():
            pass
        if len(self._buffer) > 1 << 20 and self._body_left == 0 and not self._chunked:
            self._upgraded = True  # not HTTP we understand: stop parsing, keep forwarding
            self._buffer = b""

    def _step(self) -> bool:
        if self._body_left:
            taken = min(self._body_left, len(self._buffer))
            self._buffer = self._buffer[taken:]
            self._body_left -= taken
            return bool(self._buffer) and self._body_left == 0
        if self._chunked:
            return self._step_chunk()
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head, self._buffer = self._buffer[:end].decode("latin-1"), self._buffer[end + 4 :]
        lines = head.split("\r\n")
        method, _, rest = lines[0].partition(" ")
        path = rest.rsplit(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        self._record(method, path)
        if "upgrade" in headers.get("connection", "").lower():
            self._upgraded = True
            self._buffer = b""
            return False
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunked = True
        else:
            self._body_left = int(headers.get("content-length", "0") or 0)
        return bool(self._buffer)

    def _step_chunk(self) -> bool:
        line_end = self._buffer.find(b"\r\n")
        if line_end < 0:
            return False
        size = int(self._buffer[:line_end].split(b";", 1)[0] or b"0", 16)
        if size == 0:
            trailer_end = self._buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return False
            self._buffer = self._buffer[trailer_end + 4 :]
            self._chunked = False
            return bool(self._buffer)
        if len(self._buffer) < line_end + 2 + size + 2:
            return False
        self._buffer = self._buffer[line_end + 2 + size + 2 :]
        return bool(self._buffer)


class RecordingProxy:
    """Forward a unix socket to another, recording requests and connections.

    Args:
        upstream: The daemon's socket (path or ``unix://`` URL).
        path: Where to listen; a fresh path in a temporary directory when omitted.
        keep_answers: Also keep every byte the daemon sends back, for :meth:`answer_to`
            (for short exchanges: nothing bounds it).
    """

    def __init__(self, upstream: str, path: str | None = None, *, keep_answers: bool = False) -> None:
        self.upstream = upstream.removeprefix("unix://")
        if path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="dockscope-proxy-")
            path = os.path.join(self._tmpdir, "docker.sock")
        else:
            self._tmpdir = None
        self.path = path
        self.requests: list[Request] = []
        self.keep_answers = keep_answers
        self._answers: dict[int, bytearray] = {}
        self.connections_opened = 0
        self._open: dict[int, tuple[socket.socket, socket.socket]] = {}
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._listener: socket.socket | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``unix://`` URL to give a client as DOCKER_HOST."""
        return f"unix://{self.path}"

    def start(self) -> "RecordingProxy":
        """Listen and accept in a background thread."""
        if os.path.exists(self.path):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        os.chmod(self.path, 0o666)
        listener.listen(128)
        listener.settimeout(0.1)  # so the accept loop notices kill() promptly
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), name="proxy-accept", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop for good: drop everything and remove the socket file (and its temporary directory)."""
        self.kill()
        self._flowing.set()
        for leftover in (self.path,):
            if os.path.exists(leftover):
                os.unlink(leftover)
        if self._tmpdir:
            os.rmdir(self._tmpdir)
            self._tmpdir = None

    def __enter__(self) -> "RecordingProxy":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------- switches
    def pause(self) -> None:
        """Stop forwarding (like ``SIGSTOP`` on the daemon); connections stay open."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward again after :meth:`pause` (like ``SIGCONT``)."""
        self._flowing.set()

    def kill(self) -> None:
        """Drop every connection and stop listening (like ``SIGKILL``); the socket file stays."""
        listener, self._listener = self._listener, None
        if listener is not None:
            _shutdown(listener)
        with self._lock:
            pairs = list(self._open.values())
            self._open.clear()
        for client, upstream in pairs:
            _shutdown(client)
            _shutdown(upstream)

    def restart(self) -> None:
        """Listen again after :meth:`kill` (the daemon came back)."""
        self.kill()
        self._flowing.set()
        self.start()

    # ----------------------------------------------------------- statistics
    @property
    def open_connections(self) -> int:
        """Connections from clients open right now."""
        with self._lock:
            return len(self._open)

    def requests_since(self, start: float) -> list[Request]:
        """Requests recorded at or after ``start`` (a ``time.monotonic()`` value)."""
        with self._lock:
            return [r for r in self.requests if r.time >= start]

    def answer_to(self, request: Request) -> tuple[int, bytes]:
        """The daemon's answer to ``request`` (status, body with any chunking undone); needs ``keep_answers``.

        Answers on a connection come in the order of its requests, so the
        answers before it are read past first.
        """
        import http.client
        import io

        with self._lock:
            data = bytes(self._answers.get(request.connection, b""))
            earlier = [r for r in self.requests if r.connection == request.connection].index(request)
        class _Unclosed(io.BytesIO):
            def close(self) -> None:  # each answer read closes its file: the next one is in it too
                pass

        stream = _Unclosed(data)

        class _Socket:
            def makefile(self, *_args, **_kwargs):
                return stream

        for position in range(earlier + 1):
            answer = http.client.HTTPResponse(_Socket(), method=request.method)  # type: ignore[arg-type]
            answer.begin()
            body = answer.read()
            if position == earlier:
                return answer.status, body
        raise AssertionError("unreachable")

    def clear(self) -> None:
        """Forget the recorded requests (connection counters stay)."""
        with self._lock:
            self.requests.clear()

    # ------------------------------------------------------------ forwarding
    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed by kill()
            client.settimeout(None)
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with self._lock:
                self.connections_opened += 1
                number = self.connections_opened
                self._open[number] = (client, upstream)
            threading.Thread(target=self._connect, args=(number, client, upstream), name="proxy-conn", daemon=True).start()

    def _connect(self, number: int, client: socket.socket, upstream: socket.socket) -> None:
        self._flowing.wait()
        try:
            upstream.connect(self.upstream)
        except OSError:
            with self._lock:
                self._open.pop(number, None)
            _shutdown(client)
            _shutdown(upstream)
            return
        parser = _RequestParser(lambda method, path: self._record(number, method, path))
        threading.Thread(target=self._pump, args=(number, upstream, client, None), name="proxy-down", daemon=True).start()
        self._pump(number, client, upstream, parser)

    def _record(self, number: int, method: str, path: str) -> None:
        with self._lock:
            self.requests.append(Request(time.monotonic(), method, path, number))

    def _pump(self, number: int, source: socket.socket, sink: socket.socket, parser: _RequestParser | None) -> None:
        try:
            while True:
                self._flowing.wait()
                data = source.recv(_CHUNK)
                if not data:
                    break
                if parser is not None:
                    parser.feed(data)
                elif self.keep_answers:
                    with self._lock:
                        self._answers.setdefault(number, bytearray()).extend(data)
                self._flowing.wait()
                sink.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                pair = self._open.pop(number, None)
            if pair is not None:
                _shutdown(pair[0])
                _shutdown(pair[1])


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _main() -> None:
    parser = argparse.ArgumentParser(description="Record the API requests a client sends to a Docker daemon.")
    parser.add_argument("--upstream", default=os.environ.get("DOCKER_HOST", "/var/run/docker.sock"))
    parser.add_argument("--listen", help="socket path to listen on (default: a temporary one)")
    args = parser.parse_args()
    proxy = RecordingProxy(args.upstream, args.listen).start()
    print(f"DOCKER_HOST={proxy.url}", flush=True)
    started = time.monotonic()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    elapsed = time.monotonic() - started
    proxy.close()
    counts: dict[str, int] = {}
    for request in proxy.requests:
        key = f"{request.method} {request.endpoint}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(proxy.requests)} requests in {elapsed:.1f} s over {proxy.connections_opened} connections")
    for key, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"{count:8d}  {key}")


if __name__ == "__main__":
    _main()
