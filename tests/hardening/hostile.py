"""A hostile corner of the sandbox daemon: every payload placed for real where Docker allows.

* labels (keys and values) on an image, containers, networks and a volume;
* env values and the command of a created (never started) container, and the
  5 MB line in the env of another (only inspect returns env, so list calls of
  other tests on the shared daemon stay small);
* image history: RUN instructions that carry the payloads (raw bytes too);
* network names (Docker accepts any string there);
* log lines: a running container that prints every payload, then the 5 MB line.

Container and volume names are validated by the daemon (``[a-zA-Z0-9][a-zA-Z0-9_.-]*``):
:func:`name_is_rejected` checks that this still holds.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from dataclasses import dataclass, field

from tests.hardening.payloads import BYTE_PAYLOADS, HUGE_LINE, PAYLOADS, log_bytes

#: Payloads a Dockerfile line can carry (no line breaks, no NUL).
_RUN_SAFE = [name for name, value in PAYLOADS.items() if not any(c in value for c in "\x00\r\n\x0b\x0c\u2028\u2029\x85")]
LOG_CONFIG = {"Type": "json-file", "Config": {"max-size": "16m", "max-file": "1"}}


@dataclass
class Hostile:
    """What :func:`create_hostile` made (ids and names)."""

    image: str = ""
    containers: dict[str, str] = field(default_factory=dict)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def payload_labels(base: dict[str, str]) -> dict[str, str]:
    """Every payload as a label value, a few as label keys too."""
    labels = {f"zqx.{name}": value for name, value in PAYLOADS.items()}
    labels["zqx.key" + PAYLOADS["osc52_clipboard"]] = "k"
    labels["zqx.key" + PAYLOADS["markup_click"]] = "k"
    labels["zqx.key" + PAYLOADS["bidi_override"]] = "k"
    return {**labels, **base}


def dockerfile(base_image: str) -> bytes:
    """RUN lines whose history shows the payloads, and the file the log container prints."""
    lines = [f"FROM {base_image}".encode(), b"COPY payload.log /payload.log"]
    names = list(_RUN_SAFE)
    for start in range(0, len(names), 6):
        group = names[start : start + 6]
        lines.append(b"RUN " + b" && ".join(b"echo '" + PAYLOADS[n].encode("utf-8", "surrogatepass") + b"' >/dev/null" for n in group))
    lines.append(b"RUN echo '" + b"".join(BYTE_PAYLOADS.values()) + b"' >/dev/null")
    return b"\n".join(lines) + b"\n"


def _context(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _build(client, tag: str, base_image: str, labels: dict[str, str]) -> str:
    """Build with a Dockerfile given as bytes (it carries invalid UTF-8 on purpose)."""
    context = _context({"Dockerfile": dockerfile(base_image), "payload.log": log_bytes()})
    stream = client.build(fileobj=context, custom_context=True, tag=tag, labels=labels, rm=True, forcerm=True, decode=True, pull=False)
    errors = [chunk["error"] for chunk in stream if "error" in chunk]
    if errors:
        raise RuntimeError(f"building {tag}: {errors}")
    return client.inspect_image(tag)["Id"]


def _network(client, name: str, subnet: str, labels: dict[str, str]) -> str:
    from docker.types import IPAMConfig, IPAMPool

    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)])
    return client.create_network(name, driver="bridge", internal=True, labels=labels, ipam=ipam)["Id"]


def create_hostile(client, prefix: str, labels: dict[str, str], base_image: str) -> Hostile:
    """Make the hostile objects; every one carries ``labels`` (the test run's label)."""
    hostile = Hostile()
    everything = payload_labels(labels)
    # The classic builder adds one step per build label: a few are enough (history carries the rest).
    image_labels = {**labels, **{f"zqx.{n}": PAYLOADS[n] for n in ("osc52_clipboard", "markup_click", "bidi_override")}}
    hostile.image = _build(client, f"{prefix.strip('-')}/hostile:1", base_image, image_labels)
    subnet = f"10.213.{zlib.crc32(prefix.encode()) % 256}"  # small, fixed subnets: the default pools are shared
    hostile.networks.append(_network(client, prefix + "net" + "".join(PAYLOADS[n] for n in _RUN_SAFE[:8]), f"{subnet}.0/28", everything))
    hostile.networks.append(_network(client, prefix + "net" + "".join(PAYLOADS.values()), f"{subnet}.16/28", everything))
    volume = client.create_volume(f"{prefix}hostile-vol", labels=everything)["Name"]
    hostile.volumes.append(volume)
    hostile.containers["created"] = client.create_container(
        hostile.image,
        command=list(PAYLOADS.values()),
        name=f"{prefix}hostile-created",
        labels=everything,
        environment=[f"ZQX_{name.upper()}={value}" for name, value in PAYLOADS.items()],
        host_config=client.create_host_config(network_mode="none", log_config=LOG_CONFIG),
    )["Id"]
    hostile.containers["hugeenv"] = client.create_container(
        hostile.image,
        command=["true"],
        name=f"{prefix}hostile-hugeenv",
        labels=labels,
        environment=[f"ZQX_HUGE={HUGE_LINE}", "ZQX_SMALL=ZQX-SMALL-ENV"],
        host_config=client.create_host_config(network_mode="none", log_config=LOG_CONFIG),
    )["Id"]
    hostile.containers["logs"] = _log_container(client, prefix, hostile, everything, volume)
    return hostile


def _log_container(client, prefix: str, hostile: Hostile, labels: dict[str, str], volume: str) -> str:
    safe_env = [f"ZQX_{name.upper()}={PAYLOADS[name]}" for name in _RUN_SAFE]
    container = client.create_container(
        hostile.image,
        command=["/bin/sh", "-c", "cat /payload.log; exec sleep 900"],
        name=f"{prefix}hostile-logs",
        labels=labels,
        environment=safe_env,
        volumes=["/data"],
        host_config=client.create_host_config(
            network_mode=hostile.networks[0], binds={volume: {"bind": "/data", "mode": "rw"}},
            log_config=LOG_CONFIG, mem_limit="32m",
        ),
    )["Id"]
    client.start(container)
    return container


def remove_hostile(client, hostile: Hostile) -> None:
    """Remove what :func:`create_hostile` made (the run label's cleanup catches the rest)."""
    from docker.errors import NotFound

    for container in hostile.containers.values():
        try:
            client.remove_container(container, force=True)
        except NotFound:
            pass
    for network in hostile.networks:
        try:
            client.remove_network(network)
        except NotFound:
            pass
    for volume in hostile.volumes:
        try:
            client.remove_volume(volume, force=True)
        except NotFound:
            pass
    if hostile.image:
        try:
            client.remove_image(hostile.image, force=True)
        except NotFound:
            pass


def name_is_rejected(client, image: str, name: str) -> bool:
    """True when the daemon refuses ``name`` as a container name (400)."""
    from docker.errors import APIError

    try:
        created = client.create_container(image, command=["true"], name=name)
    except APIError as error:
        return error.status_code == 400
    client.remove_container(created["Id"], force=True)
    return False
