"""A small, realistic, slightly broken Docker host, built without any registry.

Images are built ``FROM scratch`` with the static busybox binary, so nothing is
pulled. Every object carries the label ``<label>=<value>`` and its name starts
with ``<prefix>``; :func:`remove_demo` removes exactly those objects.

What it makes (all names prefixed):

* images ``<repo>/base:1``, ``<repo>/app:1``, ``<repo>/app:2`` (same base,
  different layers; v2 deletes a file v1 wrote) and one dangling image;
* ``web``: busybox httpd with a healthcheck, published on 127.0.0.1;
* a compose-style project ``<prefix>shop`` (web, api, db) on its own network,
  db with a named volume;
* ``crashloop`` (restart always, exits 1), ``oom`` (``--memory 16m``, killed),
  ``unhealthy`` (failing healthcheck), ``paused``, ``stopped`` (exit 0),
  ``badcmd`` (exit 127, never started), and an orphaned volume.
"""

from __future__ import annotations

import io
import socket
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

BUSYBOX = "/bin/busybox"
LOG_CONFIG = {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}
BASE_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""


@dataclass
class Demo:
    """Names of what :func:`create_demo` made."""

    prefix: str
    label: tuple[str, str]
    images: dict[str, str] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    web_port: int = 0

    @property
    def repo(self) -> str:
        """Image repository prefix (a reference may not end with '-')."""
        return self.prefix.strip("-_.") or "demo"

    @property
    def labels(self) -> dict[str, str]:
        return {self.label[0]: self.label[1]}


def context_tar(dockerfile: str, files: Mapping[str, bytes] | None = None, with_busybox: bool = False) -> io.BytesIO:
    """A build context as an in-memory tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        entries = dict(files or {})
        entries["Dockerfile"] = dockerfile.encode()
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        if with_busybox:
            tar.add(BUSYBOX, arcname="busybox")
    buffer.seek(0)
    return buffer


def build(client, tag: str, dockerfile: str, labels: Mapping[str, str], *, with_busybox: bool = False, files=None) -> str:
    """Build an image with the classic builder; returns its id. Raises on a failed step."""
    stream = client.build(
        fileobj=context_tar(dockerfile, files, with_busybox),
        custom_context=True,
        tag=tag,
        labels=dict(labels),
        rm=True,
        forcerm=True,
        decode=True,
        pull=False,
    )
    for chunk in stream:
        if "error" in chunk:
            raise RuntimeError(f"building {tag}: {chunk['error']}")
    return client.inspect_image(tag)["Id"]


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(client, demo: Demo, key: str, image: str, command, *, start: bool = True, labels=None, **host_config) -> str:
    name = f"{demo.prefix}{key}"
    healthcheck = host_config.pop("healthcheck", None)
    networking = host_config.pop("networking_config", None)
    ports = host_config.pop("ports", None)
    host_config.setdefault("log_config", LOG_CONFIG)
    container = client.create_container(
        image,
        command=command,
        name=name,
        labels={**demo.labels, **(labels or {})},
        healthcheck=healthcheck,
        ports=ports,
        host_config=client.create_host_config(**host_config),
        networking_config=networking,
    )
    demo.containers[key] = container["Id"]
    if start:
        try:
            client.start(container["Id"])
        except Exception:  # badcmd is meant to fail to start: it stays "created" with State.Error
            if key != "badcmd":
                raise
    return container["Id"]


def build_images(client, demo: Demo) -> None:
    """The demo's images: base, app v1, app v2 and a dangling one."""
    p = demo.repo
    demo.images["base"] = build(client, f"{p}/base:1", BASE_DOCKERFILE, demo.labels, with_busybox=True)
    app_v1 = (
        f"FROM {p}/base:1\n"
        "RUN mkdir -p /srv/www /srv/cache && echo '<h1>dockscope demo</h1>' > /srv/www/index.html\n"
        "RUN head -c 3000000 /dev/urandom > /srv/cache/blob && head -c 200000 /dev/zero > /srv/www/app.js\n"
        "ENV APP_VERSION=1\n"
    )
    demo.images["app1"] = build(client, f"{p}/app:1", app_v1, demo.labels)
    app_v2 = (
        f"FROM {p}/base:1\n"
        "RUN mkdir -p /srv/www /srv/cache && echo '<h1>dockscope demo v2</h1>' > /srv/www/index.html\n"
        "RUN head -c 3000000 /dev/urandom > /srv/cache/blob && head -c 300000 /dev/zero > /srv/www/app.js\n"
        "RUN rm -f /srv/cache/blob\n"
        "ENV APP_VERSION=2\n"
    )
    demo.images["app2"] = build(client, f"{p}/app:2", app_v2, demo.labels)
    first = build(client, f"{p}/scratchpad:1", f"FROM {p}/base:1\nRUN echo one > /note\n", demo.labels)
    build(client, f"{p}/scratchpad:1", f"FROM {p}/base:1\nRUN echo two > /note\n", demo.labels)
    demo.images["dangling"] = first


def create_demo(client, prefix: str = "demo-", label: tuple[str, str] = ("dockscope.demo", "1")) -> Demo:
    """Build the demo images and start the demo containers; returns what was made."""
    demo = Demo(prefix=prefix, label=label)
    build_images(client, demo)
    app = f"{demo.repo}/app:2"
    web_port = free_loopback_port()
    demo.web_port = web_port
    _run(
        client, demo, "web", app, ["httpd", "-f", "-p", "8080", "-h", "/srv/www"],
        ports=[8080], port_bindings={8080: ("127.0.0.1", web_port)},
        healthcheck={"test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"],
                     "interval": 2_000_000_000, "timeout": 1_000_000_000, "retries": 2},
        restart_policy={"Name": "unless-stopped"}, mem_limit="64m",
    )
    shop_net = f"{prefix}shop_default"
    compose = {"com.docker.compose.project": f"{prefix}shop"}
    demo.networks["shop"] = client.create_network(
        shop_net, driver="bridge", labels={**demo.labels, **compose, "com.docker.compose.network": "default"}
    )["Id"]
    db_volume = f"{prefix}shop_dbdata"
    client.create_volume(db_volume, labels={**demo.labels, **compose, "com.docker.compose.volume": "dbdata"})
    demo.volumes.append(db_volume)
    for service, command in (
        ("db", ["sh", "-c", "echo db ready; while true; do date >> /var/lib/db/heartbeat; sleep 5; done"]),
        ("api", ["sh", "-c", "echo api listening on 9000; exec httpd -f -p 9000 -h /srv/www"]),
        ("web", ["sh", "-c", "echo shop web up; exec httpd -f -p 80 -h /srv/www"]),
    ):
        _run(
            client, demo, f"shop-{service}-1", app, command,
            labels={**compose, "com.docker.compose.service": service, "com.docker.compose.container-number": "1"},
            network_mode=shop_net,
            networking_config=client.create_networking_config({shop_net: client.create_endpoint_config(aliases=[service])}),
            binds={db_volume: {"bind": "/var/lib/db", "mode": "rw"}} if service == "db" else None,
            restart_policy={"Name": "unless-stopped"},
        )
    _run(client, demo, "crashloop", app, ["sh", "-c", "echo starting worker; echo 'fatal: /etc/worker.conf: no such file' >&2; exit 1"],
         restart_policy={"Name": "always"})
    _run(client, demo, "oom", app, ["sh", "-c", "echo loading cache; sleep 1; x=$(head -c 200000000 /dev/zero | tr '\\000' a); echo done"],
         mem_limit="16m", memswap_limit="16m")
    _run(client, demo, "unhealthy", app, ["sh", "-c", "echo waiting for db; sleep 100000"],
         healthcheck={"test": ["CMD-SHELL", "echo 'db:5432 connection refused'; exit 1"],
                      "interval": 1_000_000_000, "timeout": 1_000_000_000, "retries": 1})
    _run(client, demo, "paused", app, ["sleep", "100000"])
    client.pause(demo.containers["paused"])
    _run(client, demo, "stopped", app, ["sh", "-c", "echo one-off job finished"])
    _run(client, demo, "badcmd", app, ["/usr/local/bin/server"])
    orphan = f"{prefix}orphaned-data"
    client.create_volume(orphan, labels=demo.labels)
    demo.volumes.append(orphan)
    _settle(client, demo)
    return demo


def _settle(client, demo: Demo, timeout: float = 20.0) -> None:
    """Wait until the broken containers show their faults (OOM kill, failing healthcheck)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        oom = client.inspect_container(demo.containers["oom"])["State"]
        unhealthy = client.inspect_container(demo.containers["unhealthy"])["State"].get("Health", {})
        if not oom["Running"] and unhealthy.get("Status") == "unhealthy":
            return
        time.sleep(0.5)


def remove_demo(client, label: tuple[str, str] = ("dockscope.demo", "1")) -> int:
    """Remove every container, network, volume and image carrying ``label``; returns the count."""
    selector = {"label": f"{label[0]}={label[1]}"}
    removed = 0
    for container in client.containers(all=True, filters=selector):
        client.remove_container(container["Id"], force=True, v=False)
        removed += 1
    for network in client.networks(filters=selector):
        client.remove_network(network["Id"])
        removed += 1
    for volume in (client.volumes(filters=selector) or {}).get("Volumes") or ():
        client.remove_volume(volume["Name"], force=True)
        removed += 1
    return removed + _remove_images(client, selector)


def _remove_images(client, selector: dict) -> int:
    """Remove labelled images by tag (untagging only ours), newest first, a few passes.

    Never force: an image that another run's image builds on, or that another
    container uses, is left in place rather than pulled from under it.
    """
    from docker.errors import APIError, NotFound

    removed = 0
    for _ in range(3):
        conflicts = 0
        for image in sorted(client.images(all=True, filters=selector), key=lambda i: -i.get("Created", 0)):
            refs = [t for t in image.get("RepoTags") or () if t != "<none>:<none>"] or [image["Id"]]
            for ref in refs:
                try:
                    client.remove_image(ref)
                    removed += 1
                except NotFound:
                    continue
                except APIError:  # 409: a child image or a container still uses it
                    conflicts += 1
        if not conflicts:
            break
    return removed


def main() -> int:
    """``python -m dockscope.demo up|down`` against DOCKER_HOST (the sandbox daemon)."""
    import sys

    from dockscope.engine.connect import open_client
    from dockscope.engine.endpoint import resolve_endpoint

    client = open_client(resolve_endpoint(), timeout=120)
    if sys.argv[1:] == ["down"]:
        print(f"removed {remove_demo(client)} demo objects")
        return 0
    if client.containers(all=True, filters={"label": "dockscope.demo=1"}):
        print("demo workload already present")
        return 0
    demo = create_demo(client)
    print(f"demo workload ready: {len(demo.containers)} containers, web on http://127.0.0.1:{demo.web_port}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
