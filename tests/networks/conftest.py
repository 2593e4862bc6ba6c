"""A small network lab on the sandbox daemon: labelled local bridges with fixed subnets.

Subnets are derived from the run id (10.x) so concurrent runs do
not collide; the networks are local bridges and no traffic leaves the host.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import pytest
from docker.types import IPAMConfig, IPAMPool

from tests.conftest import RUN_ID


@dataclass
class NetLab:
    """Names and ids of what the lab made."""

    prefix: str
    subnets: dict[str, str] = field(default_factory=dict)
    gateways: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"


def _octet(salt: str, low: int, high: int) -> int:
    return low + zlib.crc32(f"{RUN_ID}-{salt}".encode()) % (high - low)


def _network(client, lab: NetLab, key: str, subnet: str, labels: dict, *, internal: bool = False) -> None:
    gateway = subnet.rsplit(".", 1)[0] + ".1"
    pool = IPAMPool(subnet=subnet + "/24", gateway=gateway)
    created = client.create_network(
        lab.name(key), driver="bridge", internal=internal, labels=labels, ipam=IPAMConfig(pool_configs=[pool]),
    )
    lab.networks[key] = created["Id"]
    lab.subnets[key] = subnet + "/24"
    lab.gateways[key] = gateway


def _container(client, lab: NetLab, key: str, image: str, labels: dict, network: str, *, aliases=(), start=True) -> None:
    net_name = network if network in ("bridge", "none") else lab.name(network)
    networking = None
    if network not in ("bridge", "none"):
        networking = client.create_networking_config({net_name: client.create_endpoint_config(aliases=list(aliases) or None)})
    created = client.create_container(
        image, command=["sleep", "3600"], name=lab.name(key), labels=labels,
        host_config=client.create_host_config(
            network_mode=net_name, mem_limit="32m",
            log_config={"Type": "json-file", "Config": {"max-size": "100k"}},
        ),
        networking_config=networking,
    )
    lab.containers[key] = created["Id"]
    if start:
        client.start(created["Id"])


@pytest.fixture(scope="session")
def netlab(client, labels, base_image):
    """user (a, b, stopped s), other (e), internal (g, h), default bridge (c, d), none (f), unused."""
    lab = NetLab(prefix=f"t{RUN_ID}-net-")
    first = _octet("a", 100, 250)
    third = _octet("b", 0, 60) * 4
    _network(client, lab, "user", f"10.{first}.{third}.0", labels)
    _network(client, lab, "other", f"10.{first}.{third + 1}.0", labels)
    _network(client, lab, "internal", f"10.{first}.{third + 2}.0", labels, internal=True)
    _network(client, lab, "unused", f"10.{first}.{third + 3}.0", labels)
    _container(client, lab, "a", base_image, labels, "user", aliases=("alpha",))
    _container(client, lab, "b", base_image, labels, "user", aliases=("beta", "db"))
    _container(client, lab, "s", base_image, labels, "user", start=False)
    _container(client, lab, "e", base_image, labels, "other")
    _container(client, lab, "g", base_image, labels, "internal")
    _container(client, lab, "h", base_image, labels, "internal")
    _container(client, lab, "c", base_image, labels, "bridge")
    _container(client, lab, "d", base_image, labels, "bridge")
    _container(client, lab, "f", base_image, labels, "none")
    yield lab
    for container_id in lab.containers.values():
        client.remove_container(container_id, force=True)
    for network_id in lab.networks.values():
        client.remove_network(network_id)


@pytest.fixture
def lab_snapshot(netlab, make_session):
    """A fresh full snapshot of the sandbox host taken after the lab exists."""
    return make_session().poll()
