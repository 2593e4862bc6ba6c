"""Each container state made for real, then read back as the pane and the detail show it."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from dockscope.demo import free_loopback_port
from dockscope.engine.actions import ActionError, ContainerActions
from dockscope.engine.events import die_exit_code
from dockscope.panes.container_detail import last_die, sections, state_section
from dockscope.panes.containers import RESTART_LOOP_SECONDS, container_cells, is_faulted, parse_docker_time, status_text
from tests.containers.conftest import wait_for

pytestmark = pytest.mark.daemon

# The pause lets containerd's shim watch the cgroup's OOM events before the kill: a hog that
# fills 16 MiB within milliseconds of its start was sometimes killed unseen (exit 137 with
# OOMKilled false: 2 of 4 suites on dockerd 20.10).
OOM_COMMAND = ["sh", "-c", "echo filling; sleep 1; x=$(head -c 200000000 /dev/zero | tr '\\000' a); echo survived"]


@pytest.fixture(scope="module")
def states(client, make_container, state):
    """key -> container id for every state; waits until each shows its fault."""
    ids = {
        "loop": make_container("loop", ["sh", "-c", "echo boom >&2; exit 1"], restart_policy={"Name": "always"}),
        "oom": make_container("oom", OOM_COMMAND, mem_limit="16m", memswap_limit="16m"),
        "unhealthy": make_container(
            "unhealthy", ["sleep", "600"],
            healthcheck={"test": ["CMD-SHELL", "echo 'db:5432 refused'; exit 1"], "interval": 500_000_000, "retries": 1, "timeout": 1_000_000_000},
        ),
        "paused": make_container("paused", ["sleep", "600"]),
        "fine": make_container("fine", ["sleep", "600"]),
        "done": make_container("done", ["true"]),
        "missing": make_container("missing", ["/no/such/binary"], start=False),
    }
    client.pause(ids["paused"])
    with pytest.raises(Exception, match="no such file|not found"):
        client.start(ids["missing"])
    with socket.socket() as taken:  # something else already listens on that loopback port
        taken.bind(("127.0.0.1", free_loopback_port()))
        taken.listen(1)
        port = taken.getsockname()[1]
        ids["conflict"] = make_container("conflict", ["sleep", "600"], start=False, ports=[80], port_bindings={80: ("127.0.0.1", port)})
        with pytest.raises(ActionError, match="port is already taken"):
            ContainerActions(client, read_only=False).start(ids["conflict"], "conflict")
    wait_for(lambda: state(ids["loop"]).get("Restarting") or client.inspect_container(ids["loop"])["RestartCount"] >= 1, what="a restart")
    restarts: list[str] = []

    def oom_killed() -> bool:
        """Whether the daemon saw the OOM kill; a kill it missed (exit 137, no flag) is tried again, twice."""
        found = state(ids["oom"])
        if found["OOMKilled"]:
            return True
        if found["Status"] == "exited" and found["ExitCode"] == 137 and len(restarts) < 2:
            restarts.append(ids["oom"])
            client.start(ids["oom"])
        return False

    wait_for(oom_killed, what="the OOM kill")
    wait_for(lambda: (state(ids["unhealthy"]).get("Health") or {}).get("Status") == "unhealthy", what="unhealthy")
    wait_for(lambda: state(ids["done"])["Status"] == "exited", what="exit 0")
    return ids


@pytest.fixture(scope="module")
def snapshot(states, endpoint):
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import HostSession

    session = HostSession(endpoint, open_client(endpoint, timeout=20))
    session.poll()
    return session.refresh(("containers",), list(states.values()))


def test_faults_are_recognised(states, snapshot) -> None:
    by_id = snapshot.container_by_id
    faulted = {key for key, cid in states.items() if is_faulted(by_id[cid])}
    assert faulted == {"loop", "oom", "unhealthy", "missing", "conflict"}


def test_status_column_tells_exit_code_oom_and_uptime(states, snapshot) -> None:
    now = time.time()
    by_id = snapshot.container_by_id
    assert status_text(by_id[states["oom"]], now).plain.startswith("exit 137 OOM")
    assert status_text(by_id[states["missing"]], now).plain.startswith("exit 127")
    assert status_text(by_id[states["done"]], now).plain.startswith("exit 0")
    assert status_text(by_id[states["fine"]], now).plain.startswith("up ")
    assert status_text(by_id[states["paused"]], now).plain.startswith("up ")
    cells = [c.plain for c in container_cells(by_id[states["unhealthy"]], now, None, marked=False)]
    assert cells[1] == "running (unhealthy)" and cells[4] == "0"
    assert container_cells(by_id[states["paused"]], now, None, marked=True)[0].plain.startswith("● ")


def test_a_restart_loop_caught_running_stays_faulted(states, snapshot) -> None:
    """Between two deaths the loop runs for a moment: faulted until a run lasts Docker's 10 s."""
    loop = snapshot.container_by_id[states["loop"]]
    assert loop.detail is not None
    started = "2026-11-28T12:00:00.123456789Z"
    at = parse_docker_time(started)
    caught = dataclasses.replace(loop, state="running", status="Up 1 second", detail=dataclasses.replace(loop.detail, started_at=started, restart_count=4))
    assert is_faulted(caught, now=at + 3)
    assert not is_faulted(caught, now=at + RESTART_LOOP_SECONDS + 1)  # a run that lasted: the loop is over
    never_restarted = dataclasses.replace(caught, detail=dataclasses.replace(caught.detail, restart_count=0))
    assert not is_faulted(never_restarted, now=at + 3)


def test_restart_count_is_shown_for_the_loop(client, states, snapshot) -> None:
    loop = snapshot.container_by_id[states["loop"]]
    assert loop.detail is not None and loop.detail.restart_count >= 1
    assert int(container_cells(loop, time.time(), None, marked=False)[4].plain) >= 1


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("oom", "OOM killer"),
        ("missing", "not found in the image"),
        ("done", "exited normally"),
        ("loop", "application error"),
    ],
)
def test_detail_explains_the_exit_code(client, states, key: str, expected: str) -> None:
    inspect = client.inspect_container(states[key])
    state = dict(sections(inspect, None, [], reveal=False, died=last_die(client, inspect)))["State"].plain
    assert expected in state


def test_a_restarted_run_shows_why_the_last_one_died(client, states) -> None:
    """Docker resets ExitCode to 0 when the loop's next run starts: the die event still says 1."""
    inspect = client.inspect_container(states["loop"])
    died = last_die(client, inspect)
    assert died is not None and died.actor_id == states["loop"] and die_exit_code(died) == 1, died
    running = {**inspect, "State": {**inspect["State"], "Status": "running", "Running": True, "Restarting": False, "ExitCode": 0}}
    assert "application error" not in state_section(running).plain  # what inspect alone shows, caught running
    shown = state_section(running, died).plain
    assert "Last exit     1: application error" in shown, shown
    assert last_die(client, client.inspect_container(states["done"])) is None  # never restarted: no request


def test_detail_shows_state_error_and_probe_output(client, states) -> None:
    conflict = dict(sections(client.inspect_container(states["conflict"]), None, [], reveal=False))
    assert "address already in use" in conflict["State"].plain
    unhealthy = dict(sections(client.inspect_container(states["unhealthy"]), None, [], reveal=False))
    assert "db:5432 refused" in unhealthy["Health"].plain and "failing streak" in unhealthy["Health"].plain
