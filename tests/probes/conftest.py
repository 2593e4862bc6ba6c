"""The real conditions the probes look for, made on the sandbox daemon.

The demo host already has a crash loop, an OOM kill, an unhealthy, a paused,
a stopped and a never-started (exit 127) container, an orphaned volume, a
dangling image and a web server published on 127.0.0.1. ``conditions`` adds
the rest, every object labelled for this run and named ``t<run>-p-...``.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field

import pytest

from dockscope.demo import free_loopback_port
from tests.conftest import RUN_ID

SANDBOX_LOG = os.environ.get("DOCKSCOPE_DAEMON_LOG", "/var/log/dockscope-sandbox/dockerd-20.10.log")
LOG_CONFIG = {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}


@dataclass
class Conditions:
    """Names of what :func:`conditions` made (key -> container name / other names)."""

    prefix: str
    containers: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    unused_network: str = ""
    shared_network: str = ""
    anonymous_volumes: list[str] = field(default_factory=list)
    latest_tag: str = ""
    socket_file: str = ""
    pull_registry: str = "127.0.0.1:1"


def _make(client, cond: Conditions, labels, key, image, command, *, start=True, ports=None, networking=None, **host):
    name = f"{cond.prefix}{key}"
    host.setdefault("log_config", LOG_CONFIG)
    host.setdefault("mem_limit", "32m")
    created = client.create_container(
        image, command=command, name=name, labels=labels, ports=ports,
        host_config=client.create_host_config(**host), networking_config=networking,
    )
    cond.containers[key] = name
    cond.ids[key] = created["Id"]
    if start:
        try:
            client.start(created["Id"])
        except Exception:  # port conflict and privileged-without-caps are meant to fail here
            if key not in ("conflict", "privileged"):
                raise
    return created["Id"]


def _wait(check, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _calls(target: str) -> list[str]:
    """A client that looks ``target`` up every two seconds; the lookup never leaves the host (--dns 127.0.0.1)."""
    return ["sh", "-c", f"while true; do echo calling http://{target}:80/; nslookup -timeout=1 {target} 2>&1; sleep 2; done"]


def _network_conditions(client, cond: Conditions, labels, image: str, web_port: int) -> None:
    free_port = free_loopback_port()
    _make(client, cond, labels, "wide", image, ["sleep", "100000"], ports=[80], port_bindings={80: free_port})
    _make(client, cond, labels, "nonepub", image, ["sleep", "100000"], ports=[80],
          port_bindings={80: ("127.0.0.1", free_port + 1)}, network_mode="none")
    _make(client, cond, labels, "nonequiet", image, ["sleep", "100000"], network_mode="none")
    _make(client, cond, labels, "conflict", image, ["sleep", "100000"], ports=[80], port_bindings={80: ("127.0.0.1", web_port)})
    callee = f"{cond.prefix}callee"
    _make(client, cond, labels, "callee", image, ["sleep", "100000"])
    _make(client, cond, labels, "caller", image, _calls(callee), dns=["127.0.0.1"])
    cond.unused_network = f"{cond.prefix}unused-net"
    client.create_network(cond.unused_network, driver="bridge", labels=labels)
    cond.shared_network = f"{cond.prefix}shared-net"
    client.create_network(cond.shared_network, driver="bridge", labels=labels)
    on_shared = client.create_networking_config({cond.shared_network: client.create_endpoint_config()})
    peer = f"{cond.prefix}peer-b"
    _make(client, cond, labels, "peer-b", image, ["sleep", "100000"], network_mode=cond.shared_network, networking=on_shared)
    _make(client, cond, labels, "peer-a", image,
          _calls(peer), dns=["127.0.0.1"], network_mode=cond.shared_network, networking=client.create_networking_config({cond.shared_network: client.create_endpoint_config()}))


def _container_conditions(client, cond: Conditions, labels, image: str, tmp) -> None:
    _make(client, cond, labels, "privileged", image, ["sleep", "100000"], privileged=True)
    cond.socket_file = str(tmp / "docker.sock")
    open(cond.socket_file, "w").close()
    _make(client, cond, labels, "sock", image, ["sleep", "100000"],
          binds={cond.socket_file: {"bind": "/var/run/docker.sock", "mode": "ro"}})
    _make(client, cond, labels, "segv", image, ["sh", "-c", 'echo about to crash; sh -c "kill -SEGV \\$\\$"; exit $?'])
    _make(client, cond, labels, "unrotated", image, ["sh", "-c", "echo chatty; sleep 100000"],
          log_config={"Type": "json-file", "Config": {}})
    _make(client, cond, labels, "writer", image, ["sh", "-c", "head -c 12000000 /dev/zero > /big.bin; sleep 100000"])


def _image_conditions(client, cond: Conditions, labels, base_image: str) -> None:
    repo = base_image.rsplit(":", 1)[0]
    cond.latest_tag = f"{repo}:latest"
    client.tag(base_image, repo, "latest")
    _make(client, cond, labels, "latest", cond.latest_tag, ["sleep", "100000"])
    _make(client, cond, labels, "by-id", client.inspect_image(base_image)["Id"], ["sleep", "100000"])
    try:
        client.pull(f"{cond.pull_registry}/t{RUN_ID}/nothing", tag="1")
    except Exception:  # the point: a pull from a loopback port where nothing listens fails
        pass


@pytest.fixture(scope="session")
def conditions(client, demo, labels, base_image, tmp_path_factory) -> Conditions:
    """Every condition the demo does not already have."""
    cond = Conditions(prefix=f"t{RUN_ID}-p-")
    tmp = tmp_path_factory.mktemp("probes")
    image = f"{demo.repo}/app:2"
    _network_conditions(client, cond, labels, image, demo.web_port)
    _container_conditions(client, cond, labels, image, tmp)
    _image_conditions(client, cond, labels, base_image)
    for _ in range(3):
        name = uuid.uuid4().hex + uuid.uuid4().hex
        client.create_volume(name, labels=labels)
        cond.anonymous_volumes.append(name)
    _settle(client, demo, cond)
    return cond


def _settle(client, demo, cond: Conditions) -> None:
    """Wait for the conditions that take time: restarts, health, a crash, writes, a failed lookup."""
    state = lambda key, ids=demo.containers: client.inspect_container(ids[key])  # noqa: E731
    _wait(lambda: state("crashloop")["RestartCount"] >= 3, what="crashloop to restart 3 times")
    _wait(lambda: (state("web")["State"].get("Health") or {}).get("Status") == "healthy", what="web to be healthy")
    _wait(lambda: state("segv", cond.ids)["State"]["Status"] == "exited", what="segv to crash")
    _wait(lambda: b"no servers could be reached" in client.logs(cond.ids["caller"]), what="caller to fail a lookup")
    _wait(lambda: any(c["Id"] == cond.ids["writer"] and c.get("SizeRw", 0) >= 12_000_000
                      for c in client.containers(all=True, size=True, filters={"id": cond.ids["writer"]})),
          what="writer to fill its layer")


@pytest.fixture(scope="session")
def context(make_session_once, conditions, demo):
    """One context gathered over the whole sandbox host, focused on our containers."""
    from dockscope.probes import gather_context

    focus = [demo.containers["web"], demo.containers["crashloop"]] + [
        conditions.ids[key] for key in ("caller", "latest", "segv", "nonepub", "nonequiet")]
    return gather_context(make_session_once, focus=focus, daemon_log=SANDBOX_LOG, env={})


@pytest.fixture(scope="session")
def make_session_once(endpoint):
    from dockscope.engine.connect import open_client
    from dockscope.engine.session import HostSession

    return HostSession(endpoint, open_client(endpoint, timeout=60))


def findings(context, probe_id: str):
    from dockscope.probes import run_probes

    found, errors = run_probes(context, [probe_id])
    assert errors == ()
    return found


def about(found, name: str):
    """The findings about one object (its name, or one of its containers)."""
    return [f for f in found if f.object == name or name in f.containers]


def evidence_text(finding) -> str:
    return "\n".join(f"{e.object}|{e.field}|{e.observed}|" + "|".join(line for _, line in e.log_lines) for e in finding.evidence)


@pytest.fixture
def env_without_log():
    return {k: v for k, v in os.environ.items() if k != "DOCKSCOPE_DAEMON_LOG"}
