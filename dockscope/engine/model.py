"""The host as one immutable snapshot: frozen dataclasses of tuples.

Built by :func:`dockscope.engine.snapshot.build_snapshot` from raw API dicts.
Every string here came from the daemon and is untrusted: show it through
``dockscope.textsafe`` / ``dockscope.ui.text``, never through markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Labels = tuple[tuple[str, str], ...]

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"


def label_value(labels: Labels, key: str) -> str | None:
    """The value of label ``key``, or None."""
    for name, value in labels:
        if name == key:
            return value
    return None


@dataclass(frozen=True)
class PortBinding:
    """One published (or only exposed) container port."""

    private_port: int
    protocol: str
    host_ip: str | None = None
    host_port: int | None = None

    @property
    def published(self) -> bool:
        return self.host_port is not None

    def __str__(self) -> str:
        if not self.published:
            return f"{self.private_port}/{self.protocol}"
        ip = self.host_ip or "0.0.0.0"
        host = f"[{ip}]" if ":" in ip else ip
        return f"{host}:{self.host_port}->{self.private_port}/{self.protocol}"


@dataclass(frozen=True)
class Mount:
    """A mount of a container: a volume, a bind mount or a tmpfs."""

    type: str
    destination: str
    source: str = ""
    name: str = ""
    driver: str = ""
    rw: bool = True


@dataclass(frozen=True)
class NetworkAttachment:
    """A container's endpoint on one network."""

    network_name: str
    network_id: str
    ipv4: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthProbe:
    """One run of a container's healthcheck."""

    start: str
    end: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class ContainerState:
    """What only ``inspect`` tells about a container (fetched for it alone)."""

    status: str
    exit_code: int
    oom_killed: bool
    error: str
    started_at: str
    finished_at: str
    restart_count: int
    restart_policy: str
    restart_max: int
    health_status: str | None
    health_log: tuple[HealthProbe, ...]
    has_healthcheck: bool
    memory_limit: int
    nano_cpus: int
    privileged: bool
    pid: int
    log_driver: str
    log_options: Labels
    log_path: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[str, ...]


@dataclass(frozen=True)
class Container:
    """A container as listed (one list call) plus its inspected state if known."""

    id: str
    name: str
    image: str
    image_id: str
    command: str
    created: int
    state: str
    status: str
    labels: Labels
    ports: tuple[PortBinding, ...]
    mounts: tuple[Mount, ...]
    networks: tuple[NetworkAttachment, ...]
    network_mode: str
    size_rw: int | None = None
    detail: ContainerState | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def compose_project(self) -> str | None:
        return label_value(self.labels, COMPOSE_PROJECT)

    @property
    def compose_service(self) -> str | None:
        return label_value(self.labels, COMPOSE_SERVICE)

    @property
    def health(self) -> str | None:
        """healthy / unhealthy / starting, or None without a healthcheck or when not running.

        Inspect keeps the last ``State.Health.Status`` after the container stops;
        a stopped container has no health, so that stale value is not reported.
        """
        if self.state not in ("running", "paused"):
            return None
        if self.detail is not None and self.detail.health_status:
            return self.detail.health_status
        for word in ("unhealthy", "healthy", "health: starting"):
            if f"({word})" in self.status:
                return word.removeprefix("health: ")
        return None

    @property
    def exit_code(self) -> int | None:
        """Exit code of a stopped container (from inspect, else from the status text)."""
        if self.state not in ("exited", "dead", "restarting", "created"):
            return None
        if self.detail is not None and (self.state != "created" or self.detail.exit_code):
            return self.detail.exit_code
        return _exit_code_from_status(self.status)

    @property
    def volume_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.mounts if m.type == "volume" and m.name)

    @property
    def network_names(self) -> tuple[str, ...]:
        return tuple(n.network_name for n in self.networks)


def _exit_code_from_status(status: str) -> int | None:
    # "Exited (137) 5 minutes ago", "Restarting (1) 2 seconds ago"
    start = status.find("(")
    end = status.find(")", start)
    if start < 0 or end < 0:
        return None
    try:
        return int(status[start + 1 : end])
    except ValueError:
        return None


@dataclass(frozen=True)
class Image:
    """A local image with its tags and the containers that use it."""

    id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    created: int
    size: int
    shared_size: int | None
    labels: Labels
    parent_id: str
    container_ids: tuple[str, ...] = ()
    #: Where ``shared_size`` comes from: ``"layers"`` when reckoned from the
    #: image's layer chain against every other local image's (see
    #: :mod:`dockscope.engine.image_usage`), ``"daemon"`` when it is the
    #: daemon's ``SharedSize`` (unreliable: dockerd 26.1 says every byte is
    #: shared), ``"unknown"`` when neither is known yet.
    usage_source: str = "unknown"

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]

    @property
    def dangling(self) -> bool:
        return not self.tags

    @property
    def unique_size(self) -> int | None:
        if self.shared_size is None:
            return None
        return self.size - self.shared_size

    @property
    def display_name(self) -> str:
        return self.tags[0] if self.tags else f"<none> {self.short_id}"


@dataclass(frozen=True)
class Subnet:
    subnet: str
    gateway: str = ""


@dataclass(frozen=True)
class Network:
    """A network and the containers attached to it (from the containers' side)."""

    id: str
    name: str
    driver: str
    scope: str
    internal: bool
    attachable: bool
    subnets: tuple[Subnet, ...]
    labels: Labels
    created: str
    container_ids: tuple[str, ...] = ()

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def builtin(self) -> bool:
        """bridge, host and none come with the daemon and cannot be removed."""
        return self.name in ("bridge", "host", "none")

    @property
    def unused(self) -> bool:
        return not self.container_ids and not self.builtin


@dataclass(frozen=True)
class Volume:
    """A volume and the containers (running or not) that mount it."""

    name: str
    driver: str
    mountpoint: str
    scope: str
    labels: Labels
    created: str
    size: int | None = None
    ref_count: int | None = None
    container_ids: tuple[str, ...] = ()

    @property
    def anonymous(self) -> bool:
        """Docker names anonymous volumes with 64 hex digits and labels them (API >= 1.42)."""
        if label_value(self.labels, "com.docker.volume.anonymous") is not None:
            return True
        return len(self.name) == 64 and all(c in "0123456789abcdef" for c in self.name)

    @property
    def orphaned(self) -> bool:
        return not self.container_ids


@dataclass(frozen=True)
class Registry:
    """Registry settings of the daemon and the client's logins (never secrets)."""

    index_server: str
    mirrors: tuple[str, ...]
    insecure: tuple[str, ...]
    logged_in: tuple[str, ...]
    creds_store: str | None


@dataclass(frozen=True)
class DaemonInfo:
    """What ``/info`` and ``/version`` say about the daemon."""

    name: str
    server_version: str
    api_version: str
    min_api_version: str
    os: str
    kernel: str
    arch: str
    ncpu: int
    mem_total: int
    containerd_version: str
    runc_version: str
    storage_driver: str
    backing_filesystem: str
    supports_d_type: bool | None
    logging_driver: str
    cgroup_driver: str
    cgroup_version: str
    docker_root_dir: str
    live_restore: bool
    warnings: tuple[str, ...]
    security_options: tuple[str, ...]
    registry: Registry
    rootless: bool


@dataclass(frozen=True)
class DiskUsage:
    """``/system/df``: what each kind of object holds on disk."""

    layers_size: int
    images_size: int
    images_reclaimable: int
    containers_size: int
    containers_reclaimable: int
    volumes_size: int
    volumes_reclaimable: int
    build_cache_size: int
    build_cache_reclaimable: int
    taken_at: float
    #: ``"layers"``: ``images_reclaimable`` is the bytes of the distinct layers
    #: that no image used by a container holds, reckoned from every image's
    #: layer chain (:func:`dockscope.engine.image_usage.account`);
    #: ``"daemon"``: ``docker system df``'s figure, from ``SharedSize``, which
    #: dockerd 26.1 gets wrong (it calls images in use 100 % reclaimable).
    images_reclaimable_source: str = "daemon"

    @property
    def total(self) -> int:
        return self.layers_size + self.containers_size + self.volumes_size + self.build_cache_size


@dataclass(frozen=True)
class Endpoint:
    """Where the daemon is and why that one was chosen."""

    url: str
    source: str
    context: str | None = None
    tls_verify: bool = False
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    @property
    def display(self) -> str:
        from dockscope.textsafe import mask_url_credentials

        return mask_url_credentials(self.url)

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0] if "://" in self.url else "unix"


@dataclass(frozen=True)
class CollectError:
    """A failure met while collecting one kind of object."""

    what: str
    message: str


ConnectionState = Literal["connected", "connecting", "disconnected"]


@dataclass(frozen=True)
class HostSnapshot:
    """Everything dockscope knows about the host at one moment."""

    seq: int
    taken_at: float
    endpoint: Endpoint
    state: ConnectionState
    daemon: DaemonInfo | None = None
    containers: tuple[Container, ...] = ()
    images: tuple[Image, ...] = ()
    networks: tuple[Network, ...] = ()
    volumes: tuple[Volume, ...] = ()
    disk: DiskUsage | None = None
    errors: tuple[CollectError, ...] = ()

    @property
    def stale(self) -> bool:
        return self.state != "connected"

    @cached_property
    def container_by_id(self) -> dict[str, Container]:
        return {c.id: c for c in self.containers}

    @cached_property
    def image_by_id(self) -> dict[str, Image]:
        return {i.id: i for i in self.images}

    @cached_property
    def network_by_id(self) -> dict[str, Network]:
        return {n.id: n for n in self.networks}

    @cached_property
    def volume_by_name(self) -> dict[str, Volume]:
        return {v.name: v for v in self.volumes}

    def containers_in(self, states: tuple[str, ...]) -> tuple[Container, ...]:
        return tuple(c for c in self.containers if c.state in states)
