"""Each container action against our own labelled containers, and the daemon's refusals in words."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from dockscope.demo import build
from dockscope.engine.actions import ActionError, ContainerActions, exec_command
from tests.conftest import RUN_ID
from tests.containers.conftest import wait_for

pytestmark = pytest.mark.daemon


@pytest.fixture(scope="module")
def actions(client) -> ContainerActions:
    return ContainerActions(client, read_only=False)


def test_lifecycle_start_stop_restart_pause_unpause_kill_remove(client, actions, make_container, state) -> None:
    cid = make_container("life", ["sleep", "600"], start=False)
    actions.start(cid, "life")
    assert state(cid)["Running"]
    actions.pause(cid, "life")
    assert state(cid)["Status"] == "paused"
    with pytest.raises(ActionError, match="already paused"):
        actions.pause(cid, "life")
    actions.unpause(cid, "life")
    assert state(cid)["Status"] == "running"
    first_start = state(cid)["StartedAt"]
    actions.restart(cid, "life", timeout=1)
    assert state(cid)["Running"] and state(cid)["StartedAt"] != first_start
    actions.stop(cid, "life", timeout=1)
    assert state(cid)["Status"] == "exited"
    actions.start(cid, "life")
    actions.kill(cid, "life")
    assert wait_for(lambda: state(cid)["Status"] == "exited", what="killed") and state(cid)["ExitCode"] == 137
    actions.remove(cid, "life")
    with pytest.raises(ActionError, match="gone"):
        actions.remove(cid, "life")


def test_remove_running_is_refused_unless_forced(actions, make_container, client) -> None:
    cid = make_container("running-rm", ["sleep", "600"])
    with pytest.raises(ActionError, match="running; stop it"):
        actions.remove(cid, "running-rm")
    actions.remove(cid, "running-rm", force=True)
    assert not client.containers(all=True, filters={"id": cid})


def test_bulk_runs_every_target_and_reports_each(actions, make_container, state) -> None:
    ids = [make_container(f"bulk{i}", ["sleep", "600"]) for i in range(3)]
    results = actions.bulk("stop", [(cid, f"bulk{i}") for i, cid in enumerate(ids)] + [("0" * 64, "ghost")], timeout=1)
    assert [r.ok for r in results] == [True, True, True, False]
    assert "gone" in results[-1].message
    assert all(state(cid)["Status"] == "exited" for cid in ids)


def test_exec_in_a_restarting_container_is_explained(actions, make_container, state) -> None:
    cid = make_container("exec-loop", ["sh", "-c", "sleep 0.2; exit 3"], restart_policy={"Name": "always"})
    deadline = time.monotonic() + 30
    message = ""
    while time.monotonic() < deadline and "restarting" not in message:
        try:
            actions.find_shell(cid, "exec-loop")
        except ActionError as error:
            message = str(error)
        time.sleep(0.05)
    assert "restarting" in message and "crash loop" in message


def test_exec_in_a_paused_or_stopped_container_is_explained(actions, make_container, client) -> None:
    paused = make_container("exec-paused", ["sleep", "600"])
    client.pause(paused)
    with pytest.raises(ActionError, match="paused; unpause"):
        actions.find_shell(paused, "exec-paused")
    stopped = make_container("exec-stopped", ["true"])
    wait_for(lambda: not client.inspect_container(stopped)["State"]["Running"], what="exit")
    with pytest.raises(ActionError, match="not running"):
        actions.find_shell(stopped, "exec-stopped")


def test_an_image_without_a_shell_is_explained(actions, make_container, client, labels) -> None:
    tag = f"t{RUN_ID}/noshell:1"
    build(client, tag, "FROM scratch\nCOPY busybox /bin/busybox\n", labels, with_busybox=True)
    cid = make_container("noshell", ["/bin/busybox", "sleep", "600"], image=tag)
    with pytest.raises(ActionError, match="no shell"):
        actions.find_shell(cid, "noshell")


def test_exec_shell_through_the_docker_cli_in_a_terminal(actions, make_container, endpoint) -> None:
    cid = make_container("exec-ok", ["sleep", "600"])
    shell = actions.find_shell(cid, "exec-ok")
    assert shell == "/bin/sh"  # busybox has no bash
    argv, env = exec_command(endpoint, cid, shell)
    assert argv[-4:] == ["exec", "-it", cid, "/bin/sh"] and env["DOCKER_HOST"] == endpoint.url
    output = _run_in_pty(argv, env, b"echo marker-$((20+22)); exit 5\n")
    assert b"marker-42" in output


def _run_in_pty(argv: list[str], env: dict[str, str], keys: bytes, timeout: float = 20.0) -> bytes:
    """Run ``argv`` on a pseudo-terminal (as after app.suspend()), type ``keys``, return what it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, env=env, stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if not typed and (b"#" in output or b"$" in output):
                os.write(leader, keys)
                typed = True
            if process.poll() is not None and not ready:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(leader)
    assert process.returncode == 5, output
    return output


def test_prune_removes_only_stopped_containers_with_the_label(actions, make_container, client, run_label) -> None:
    label = f"dockscope.test.prune={RUN_ID}"
    stopped = make_container("prune-me", ["true"], extra_labels={"dockscope.test.prune": RUN_ID})
    running = make_container("prune-keep", ["sleep", "600"], extra_labels={"dockscope.test.prune": RUN_ID})
    wait_for(lambda: client.inspect_container(stopped)["State"]["Status"] == "exited", what="exit")
    removed, _reclaimed = actions.prune(label=label)
    assert removed == [stopped]
    assert client.inspect_container(running)["State"]["Running"]
