"""The three ways a connection fails at start, end to end through the CLI.

Each must name the endpoint and where it came from, suggest fixes, exit 2 and
print no traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

DOCKSCOPE = [sys.executable, "-m", "dockscope"]


def run_cli(*args: str, env: dict | None = None, user: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    command = [*DOCKSCOPE, *args]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *command]
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    base["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(command, capture_output=True, text=True, env={**base, **(env or {})}, timeout=timeout, check=False)


def assert_clear_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr


def test_missing_socket_names_endpoint_source_and_fixes(tmp_path):
    sock = tmp_path / "nothing-here.sock"
    message = assert_clear_failure(run_cli("--read-only", env={"DOCKER_HOST": f"unix://{sock}"}))
    assert f"unix://{sock}" in message
    assert "chosen by DOCKER_HOST" in message
    assert f"no socket at {sock}" in message
    assert "systemctl start docker" in message and "docker context ls" in message
    assert "docker.sock" in message and "rootless" in message


def test_refused_tcp_port_says_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = assert_clear_failure(run_cli("--host", f"tcp://127.0.0.1:{port}"))
    assert "chosen by --host" in message and "connection refused" in message


def test_permission_denied_as_unprivileged_user(docker_host):
    result = run_cli("--host", docker_host, user="65534")
    message = assert_clear_failure(result)
    assert "permission denied" in message
    assert "root-equivalent" in message
    assert "rootless" in message and "sudo" in message
    assert "chmod" not in message


@pytest.fixture
def silent_socket(tmp_path):
    """A unix socket that accepts connections and never answers (a hung daemon)."""
    path = tmp_path / "hung.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_hung_socket_fails_at_our_timeout(silent_socket):
    started = time.monotonic()
    message = assert_clear_failure(run_cli("--host", f"unix://{silent_socket}", "--timeout", "1"))
    assert time.monotonic() - started < 10
    assert "did not answer within 1 s" in message and "journalctl -u docker" in message


def test_hung_socket_default_timeout_is_short(silent_socket):
    started = time.monotonic()
    message = assert_clear_failure(run_cli("--host", f"unix://{silent_socket}"))
    elapsed = time.monotonic() - started
    assert "did not answer within 5 s" in message
    assert elapsed < 15, f"took {elapsed:.1f}s; docker-py's default would be 60 s"


def test_unknown_context_exits_2(tmp_path):
    message = assert_clear_failure(run_cli("--context", "nope", env={"DOCKER_CONFIG": str(tmp_path)}))
    assert "docker context ls" in message
