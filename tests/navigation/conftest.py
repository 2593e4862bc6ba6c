"""A small linked world: network N with containers A (mounting volume V) and B, all on the run's base image."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import RUN_ID


@dataclass
class World:
    image: str
    network: str
    volume: str
    a: str
    b: str
    prefix: str


@pytest.fixture(scope="session")
def world(client, labels, base_image):
    prefix = f"t{RUN_ID}-nav-"
    network = client.create_network(f"{prefix}net", driver="bridge", labels=labels)["Id"]
    volume = client.create_volume(f"{prefix}vol", labels=labels)["Name"]
    ids = []
    for key, binds in (("a", {volume: {"bind": "/data", "mode": "rw"}}), ("b", None)):
        created = client.create_container(
            base_image, command=["sleep", "3600"], name=f"{prefix}{key}", labels=labels,
            host_config=client.create_host_config(network_mode=f"{prefix}net", binds=binds, mem_limit="32m"),
        )
        client.start(created["Id"])
        ids.append(created["Id"])
    image = client.inspect_image(base_image)["Id"]
    yield World(image=image, network=network, volume=volume, a=ids[0], b=ids[1], prefix=prefix)
    for container_id in ids:
        client.remove_container(container_id, force=True)
    client.remove_network(network)
    client.remove_volume(volume, force=True)
