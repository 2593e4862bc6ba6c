"""Volumes on the sandbox daemon: used (running, stopped), orphaned, anonymous, a bind mount, a writer outside volumes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from tests.conftest import RUN_ID

LOG = {"Type": "json-file", "Config": {"max-size": "100k"}}


@dataclass
class VolLab:
    prefix: str
    volumes: dict[str, str] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)
    bind_source: str = ""


def _run(client, lab: VolLab, key: str, image: str, labels: dict, command: str, *, start: bool = True, volumes=None, **host) -> str:
    created = client.create_container(
        image, command=["sh", "-c", command], name=f"{lab.prefix}{key}", labels=labels, volumes=volumes,
        host_config=client.create_host_config(mem_limit="32m", log_config=LOG, **host),
    )
    lab.containers[key] = created["Id"]
    if start:
        client.start(created["Id"])
    return created["Id"]


@pytest.fixture(scope="session")
def vollab(client, labels, base_image, tmp_path_factory):
    lab = VolLab(prefix=f"t{RUN_ID}-vol-")
    for key in ("used", "stopped-user", "orphan", "to-remove"):
        lab.volumes[key] = client.create_volume(f"{lab.prefix}{key}", labels=labels)["Name"]
    bind_dir = tmp_path_factory.mktemp("bind")
    lab.bind_source = str(bind_dir)
    _run(client, lab, "keeper", base_image, labels, "while true; do date >> /data/heartbeat; sleep 0.3; done",
         binds={lab.volumes["used"]: {"bind": "/data", "mode": "rw"}, lab.bind_source: {"bind": "/config", "mode": "ro"}})
    _run(client, lab, "idle", base_image, labels, "true", start=False, binds={lab.volumes["stopped-user"]: {"bind": "/data", "mode": "rw"}})
    _run(client, lab, "writer", base_image, labels, "mkdir -p /srv/appdata; while true; do date >> /srv/appdata/events.log; sleep 0.1; done")
    _run(client, lab, "anon", base_image, labels, "sleep 3600", volumes=["/cache"])
    anon = client.inspect_container(lab.containers["anon"])["Mounts"]
    lab.volumes["anonymous"] = next(m["Name"] for m in anon if m["Type"] == "volume")
    _wait_for_writes(client, lab.containers["writer"])
    yield lab
    for container_id in lab.containers.values():
        client.remove_container(container_id, force=True, v=True)
    for name in lab.volumes.values():
        try:
            client.remove_volume(name, force=True)
        except Exception as error:  # removed by a test, or with its anonymous container
            if "no such volume" not in str(error).lower():
                raise


def _wait_for_writes(client, container_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(c.get("Path") == "/srv/appdata/events.log" for c in client.diff(container_id) or []):
        assert time.monotonic() < deadline, "the writer never wrote"
        time.sleep(0.1)


@pytest.fixture
def vol_snapshot(vollab, make_session):
    return make_session().poll()
