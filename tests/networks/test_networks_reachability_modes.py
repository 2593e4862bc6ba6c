"""Reachability for modes the lab does not create: host networking and a shared network stack.

The containers are built with the snapshot builder from list-call dicts shaped
like the daemon's (``/containers/json``), so the same parsing applies.
"""

from __future__ import annotations

from dockscope.engine.model import Endpoint
from dockscope.engine.reachability import can_reach
from dockscope.engine.snapshot import RawHost, build_snapshot


def _container(cid: str, name: str, mode: str, networks: dict, ports=(), state: str = "running") -> dict:
    return {
        "Id": cid * 64, "Names": [f"/{name}"], "Image": "img", "ImageID": "sha256:1", "State": state,
        "Status": "Up", "HostConfig": {"NetworkMode": mode}, "Ports": list(ports),
        "NetworkSettings": {"Networks": {n: {"NetworkID": n * 4, "IPAddress": ip} for n, ip in networks.items()}},
    }


def _snapshot(*containers: dict, internal: bool = False):
    networks = [
        {"Id": "app" * 4, "Name": "app", "Driver": "bridge", "Scope": "local", "Internal": internal},
        {"Id": "host" * 4, "Name": "host", "Driver": "host", "Scope": "local"},
    ]
    raw = RawHost(containers=list(containers), networks=networks)
    return build_snapshot(raw, seq=1, taken_at=0.0, endpoint=Endpoint("unix:///x.sock", "test"))


def test_host_mode_to_bridge_is_by_ip_only():
    snapshot = _snapshot(
        _container("a", "hostnet", "host", {"host": ""}),
        _container("b", "web", "app", {"app": "10.9.0.2"}, ports=[{"PrivatePort": 80, "PublicPort": 8080, "IP": "127.0.0.1", "Type": "tcp"}]),
    )
    answer = can_reach(snapshot, "a" * 64, "b" * 64)
    assert answer.verdict == "partly"
    assert "10.9.0.2" in answer.reasons[0] and "no name resolution" in answer.reasons[0]
    assert "127.0.0.1:8080->80/tcp" in answer.reasons[1]


def test_bridge_to_host_mode_goes_through_the_gateway_unless_internal():
    containers = (_container("a", "app", "app", {"app": "10.9.0.3"}), _container("b", "hostnet", "host", {"host": ""}))
    assert can_reach(_snapshot(*containers), "a" * 64, "b" * 64).verdict == "partly"
    closed = can_reach(_snapshot(*containers, internal=True), "a" * 64, "b" * 64)
    assert closed.verdict == "no" and "internal" in closed.reasons[0]


def test_both_on_host_and_a_shared_network_stack():
    both = _snapshot(_container("a", "h1", "host", {"host": ""}), _container("b", "h2", "host", {"host": ""}))
    assert can_reach(both, "a" * 64, "b" * 64).verdict == "yes"
    sidecar = _snapshot(_container("a", "app", "app", {"app": "10.9.0.4"}), _container("b", "sidecar", "container:" + "a" * 64, {}))
    answer = can_reach(sidecar, "b" * 64, "a" * 64)
    assert answer.verdict == "yes" and "share one network stack" in answer.reasons[0]
