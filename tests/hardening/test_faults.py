"""Daemon faults, seen from a real pseudo-terminal.

The app talks to the sandbox daemon through :class:`RecordingProxy`, which can
drop every connection and refuse new ones (what a ``SIGKILL``-ed dockerd
looks like to a client) or stop forwarding (a ``SIGSTOP``-ed one). The answers
still come from the real daemon. The sandbox daemon itself is SIGKILLed
(fault ``sigkill-dockerd``) only with DOCKSCOPE_KILL_SANDBOX=1, which
``scripts/test`` sets for a run of its own after the whole suite.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import RUN_ID
from tests.hardening.terminal import RESTORED, PtyApp, dockscope_command, scaled
from tests.support.proxy import RecordingProxy

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

CONNECTED = re.compile(rb"(?<!dis)connected")
DISCONNECTED = re.compile(rb"disconnected")
STALE = re.compile(rb"stale")
TIMEOUT = 6.0
SANDBOX_PIDFILE = Path(os.environ.get("DOCKSCOPE_SANDBOX_RUN", "/run/dockscope-sandbox")) / "dockerd.pid"
SANDBOX_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sandbox"
#: Run as ``nobody``, a user not in the docker group. It keeps only CAP_DAC_READ_SEARCH,
#: so it can read the venv's interpreter (under /root here) but cannot open the socket
#: (connect needs write permission, which that capability does not give).
AS_NOBODY = [
    "setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
    "--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search",
]


@pytest.fixture
def proxy(docker_host):
    with RecordingProxy(docker_host) as running:
        yield running


@pytest.fixture
def app(proxy):
    with PtyApp(["--pane", "containers", "--timeout", str(TIMEOUT)], env={"DOCKER_HOST": proxy.url}) as running:
        assert running.wait_for(CONNECTED, timeout=15) is not None, running.text()[-2000:]
        assert running.wait_for(b"Name", timeout=5) is not None
        running.wait_quiet(0.3)
        yield running


def seconds_until(app: PtyApp, pattern, timeout: float) -> float | None:
    """Seconds from now until ``pattern`` is drawn (None: not within ``timeout``)."""
    start, began = app.mark(), time.monotonic()
    if app.wait_for(pattern, timeout=timeout, start=start) is None:
        return None
    return time.monotonic() - began


def assert_quits_cleanly(app: PtyApp) -> None:
    code = app.quit()
    assert code == 0
    output = bytes(app.output)
    assert b"Traceback" not in output
    for sequence in RESTORED:
        assert output.rfind(sequence) > output.rfind(b"\x1b[?1049h")


class ProxyKill:
    """The proxy drops every connection and refuses new ones: a SIGKILL-ed daemon, seen from the client."""

    name = "proxy"
    #: The real daemon still runs, so a container can be made during the gap.
    daemon_up_during_gap = True

    def __init__(self, proxy: RecordingProxy) -> None:
        self.proxy = proxy

    def kill(self) -> None:
        self.proxy.kill()

    def restore(self) -> None:
        self.proxy.restart()


class SandboxKill(ProxyKill):
    """SIGKILL the shared sandbox dockerd itself, then bring it back with scripts/sandbox.

    Only with DOCKSCOPE_KILL_SANDBOX=1: ``scripts/test`` (so CI) runs it alone,
    after the whole suite, since every other user of the sandbox daemon (the
    session fixtures' containers too) loses it meanwhile.
    ``scripts/sandbox up`` alone would start a second containerd beside the one
    the killed dockerd leaves behind (it blocks on the first one's database), so
    ``down`` stops that containerd first.
    """

    name = "sigkill-dockerd"
    daemon_up_during_gap = False

    def kill(self) -> None:
        os.kill(int(SANDBOX_PIDFILE.read_text().strip()), signal.SIGKILL)

    def restore(self) -> None:
        subprocess.run([str(SANDBOX_SCRIPT), "down"], check=True, capture_output=True, timeout=120)
        # `up` can fail on its bridge check (`ip addr show | grep -q` under pipefail: SIGPIPE
        # makes it look absent, then `ip addr add` says "Address already assigned"): retry.
        for attempt in range(3):
            engine = os.environ.get("DOCKSCOPE_SANDBOX_ENGINE", "20.10")
            result = subprocess.run([str(SANDBOX_SCRIPT), "up", "--engine", engine], capture_output=True, text=True, timeout=120)
            if result.returncode == 0:
                return
        raise AssertionError(f"scripts/sandbox up failed: {result.stderr[-500:]}")


FAULTS = [ProxyKill] + ([SandboxKill] if os.environ.get("DOCKSCOPE_KILL_SANDBOX") == "1" else [])


@pytest.mark.parametrize("fault_kind", FAULTS, ids=lambda kind: kind.name)
def test_killed_daemon_banner_stale_reconnect_and_since(fault_kind, base_image, client, labels, proxy: RecordingProxy, app: PtyApp) -> None:
    fault = fault_kind(proxy)
    killed_at = time.time()
    start = app.mark()
    fault.kill()
    assert app.wait_for(DISCONNECTED, timeout=scaled(2.0), start=start) is not None, f"no disconnected banner within {scaled(2.0):.1f} s"
    assert app.wait_for(STALE, timeout=1.0, start=start) is not None, "data not marked stale"

    name = f"t{RUN_ID}-gap-{int(killed_at)}"
    created = None
    if fault.daemon_up_during_gap:
        created = client.create_container(base_image, command=["true"], name=name, labels=labels)
    try:
        time.sleep(1.0)
        proxy.clear()
        back_at = time.monotonic()
        start = app.mark()
        fault.restore()
        assert app.wait_for(CONNECTED, timeout=scaled(5.0), start=start) is not None, f"no reconnect within {scaled(5.0):.1f} s"
        if created is not None:
            assert _shows_container(app, name), "container made during the gap not shown"
        assert _wait_events_since(proxy, back_at, killed_at), "events not resumed with since= covering the gap"
        assert app.running()
    finally:
        if created is not None:
            client.remove_container(created["Id"], force=True)
    assert_quits_cleanly(app)


def _shows_container(app: PtyApp, name: str) -> bool:
    """Filter the containers pane by ``name``: one match (``[1/`` of the filter line) means its row is there."""
    for key, expect in (("/", b"filter: regex"), (name, name.encode()), ("\r", b"[1/")):
        mark = app.mark()
        app.press(key)
        if app.wait_for(expect, timeout=scaled(5.0), start=mark) is None:
            return False
    return True


def _wait_events_since(proxy: RecordingProxy, after: float, killed_at: float, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in proxy.requests_since(after):
            if request.endpoint == "/events":
                since = parse_qs(urlsplit(request.path).query).get("since")
                if since and float(since[0]) <= killed_at + 0.5:
                    return True
        time.sleep(0.1)
    return False


def test_hung_daemon_times_out_and_keys_still_work(app: PtyApp, proxy: RecordingProxy) -> None:
    """While a call hangs, keys are answered; the call fails at the timeout; the app recovers."""
    proxy.pause()
    start, paused_at = app.mark(), time.monotonic()
    app.press("r")
    for key, drawn in (("i", b"Tags"), ("c", b"Name")):
        app.press(key)
        # answered while the call still hangs is the claim (checked below), not a speed target
        took = seconds_until(app, drawn, timeout=max(TIMEOUT - (time.monotonic() - paused_at), 0.5))
        assert took is not None, f"key {key} not answered while the daemon hangs"
    assert time.monotonic() - paused_at < TIMEOUT, "the keys were only answered after the call gave up"
    assert app.wait_for(DISCONNECTED, timeout=TIMEOUT + scaled(2.0), start=start) is not None, "a hung daemon never showed as disconnected"
    said = app.wait_for(b"timed out", timeout=scaled(1.0), start=start)
    assert said is not None, f"the banner does not say the daemon timed out: {app.text(start)[-800:]!r}"
    proxy.resume()
    assert app.wait_for(CONNECTED, timeout=5.0, start=app.mark()) is not None, "no recovery after the daemon resumed"
    assert_quits_cleanly(app)


@pytest.mark.parametrize("case", ["missing", "refused", "denied", "hung"])
def test_start_failures_say_why_and_exit_2(case: str, docker_host: str, tmp_path) -> None:
    host, prefix, expected = docker_host, [], ""
    proxy = None
    if case == "missing":
        host, expected = f"unix://{tmp_path}/nothing.sock", "no socket at"
    elif case == "refused":
        proxy = RecordingProxy(docker_host, str(tmp_path / "dead.sock")).start()
        proxy.kill()
        host, expected = proxy.url, "connection refused"
    elif case == "denied":
        prefix, expected = AS_NOBODY, "permission denied"
    else:
        proxy = RecordingProxy(docker_host).start()
        proxy.pause()
        host, expected = proxy.url, "did not answer within 1 s"
    try:
        started = time.monotonic()
        result = subprocess.run(
            prefix + dockscope_command() + ["--timeout", "1"],
            env={**os.environ, "DOCKER_HOST": host, "HOME": "/nonexistent"},
            capture_output=True, text=True, timeout=20, cwd="/",
        )
    finally:
        if proxy is not None:
            proxy.close()
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 8



CRASHING = """
import sys
from dockscope.app import DockscopeApp

def boom(self, snapshot):
    raise RuntimeError("crash on purpose")

DockscopeApp.apply_snapshot = boom
sys.argv = ["dockscope", "--pane", "containers"]
from dockscope.cli import main
sys.exit(main())
"""


def test_crash_restores_the_terminal_and_exits_non_zero(docker_host: str) -> None:
    """A bug that raises in the app: the terminal comes back, the traceback is readable, the exit code says so."""
    with PtyApp(env={"DOCKER_HOST": docker_host}, command=[sys.executable, "-c", CRASHING]) as app:
        code = app.wait_exit(scaled(20))
    output = bytes(app.output)
    assert code not in (None, 0)
    assert b"crash on purpose" in output
    restored_at = max(output.rfind(b"\x1b[?1049l"), 0)
    assert restored_at > output.rfind(b"\x1b[?1049h")
    assert output.rfind(b"\x1b[?25h") > output.rfind(b"\x1b[?25l")
    assert output.find(b"crash on purpose", restored_at) > 0, "the traceback was drawn on the alternate screen"
