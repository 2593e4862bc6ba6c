"""Build a :class:`HostSnapshot` from raw Engine API dicts: a pure function.

The raw dicts are what the low-level API returns (``/containers/json?all=1``,
``/images/json``, ``/networks``, ``/volumes``, ``/info``, ``/version``,
``/system/df`` and ``/containers/{id}/json``). Fields differ between API
versions (``VirtualSize`` left the image list in 1.44, ``SharedSize`` is -1
outside ``df``, inspect omits empty fields), so every read here is defensive.
Relationships (image -> containers, network -> containers, volume -> users)
are computed once, here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from dockscope.engine.model import (
    CollectError,
    ConnectionState,
    Container,
    ContainerState,
    DaemonInfo,
    DiskUsage,
    Endpoint,
    HealthProbe,
    HostSnapshot,
    Image,
    Labels,
    Mount,
    Network,
    NetworkAttachment,
    PortBinding,
    Registry,
    Subnet,
    Volume,
)
from dockscope.engine.image_usage import FROM_DAEMON, FROM_LAYERS, UNKNOWN, LayerChain, account

Raw = Mapping[str, Any]


@dataclass
class RawHost:
    """The latest raw answers of the daemon, kept by the collector between polls."""

    containers: list[Raw] = field(default_factory=list)
    images: list[Raw] = field(default_factory=list)
    networks: list[Raw] = field(default_factory=list)
    volumes: list[Raw] = field(default_factory=list)
    info: Raw | None = None
    version: Raw | None = None
    df: Raw | None = None
    df_taken_at: float = 0.0
    inspects: dict[str, Raw] = field(default_factory=dict)
    #: Layer chains of images, read once per image id (images are immutable).
    image_chains: dict[str, LayerChain] = field(default_factory=dict)
    logins: tuple[str, ...] = ()
    creds_store: str | None = None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _labels(raw: Any) -> Labels:
    if not isinstance(raw, Mapping):
        return ()
    return tuple(sorted((_str(k), _str(v)) for k, v in raw.items()))


def _strings(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, (list, tuple)):
        return ()
    return tuple(_str(x) for x in raw)


def _ports(raw: Any) -> tuple[PortBinding, ...]:
    ports = []
    for entry in raw or ():
        host_port = entry.get("PublicPort")
        ports.append(
            PortBinding(
                private_port=_int(entry.get("PrivatePort")),
                protocol=_str(entry.get("Type")) or "tcp",
                host_ip=entry.get("IP") if host_port else None,
                host_port=_int(host_port) if host_port else None,
            )
        )
    return tuple(sorted(set(ports), key=lambda p: (p.private_port, p.protocol, p.host_ip or "", p.host_port or 0)))


def _mounts(raw: Any) -> tuple[Mount, ...]:
    return tuple(
        Mount(
            type=_str(m.get("Type")),
            destination=_str(m.get("Destination")),
            source=_str(m.get("Source")),
            name=_str(m.get("Name")),
            driver=_str(m.get("Driver")),
            rw=bool(m.get("RW", True)),
        )
        for m in raw or ()
    )


def _attachments(raw: Any) -> tuple[NetworkAttachment, ...]:
    networks = (raw or {}).get("Networks") or {}
    return tuple(
        NetworkAttachment(
            network_name=_str(name),
            network_id=_str(net.get("NetworkID")),
            ipv4=_str(net.get("IPAddress")),
            aliases=_strings(net.get("Aliases")),
        )
        for name, net in sorted(networks.items())
        if isinstance(net, Mapping)
    )


def container_state(inspect: Raw) -> ContainerState:
    """The parts of ``/containers/{id}/json`` that the list does not carry."""
    state = inspect.get("State") or {}
    health = state.get("Health") or {}
    host = inspect.get("HostConfig") or {}
    config = inspect.get("Config") or {}
    policy = host.get("RestartPolicy") or {}
    log_config = host.get("LogConfig") or {}
    probes = tuple(
        HealthProbe(
            start=_str(p.get("Start")),
            end=_str(p.get("End")),
            exit_code=_int(p.get("ExitCode"), -1),
            output=_str(p.get("Output")),
        )
        for p in health.get("Log") or ()
    )
    healthcheck = config.get("Healthcheck") or {}
    test = _strings(healthcheck.get("Test"))
    return ContainerState(
        status=_str(state.get("Status")),
        exit_code=_int(state.get("ExitCode")),
        oom_killed=bool(state.get("OOMKilled")),
        error=_str(state.get("Error")),
        started_at=_str(state.get("StartedAt")),
        finished_at=_str(state.get("FinishedAt")),
        restart_count=_int(inspect.get("RestartCount")),
        restart_policy=_str(policy.get("Name")) or "no",
        restart_max=_int(policy.get("MaximumRetryCount")),
        health_status=_str(health.get("Status")) or None,
        health_log=probes,
        has_healthcheck=bool(test) and test[0] != "NONE",
        memory_limit=_int(host.get("Memory")),
        nano_cpus=_int(host.get("NanoCpus")),
        privileged=bool(host.get("Privileged")),
        pid=_int(state.get("Pid")),
        log_driver=_str(log_config.get("Type")),
        log_options=_labels(log_config.get("Config")),
        log_path=_str(inspect.get("LogPath")),
        entrypoint=_strings(config.get("Entrypoint")),
        cmd=_strings(config.get("Cmd")),
        env=_strings(config.get("Env")),
    )


def build_container(raw: Raw, inspect: Raw | None = None) -> Container:
    """One row of ``/containers/json`` (plus its inspect, when fetched)."""
    names = _strings(raw.get("Names"))
    name = names[0].lstrip("/") if names else _str(raw.get("Id"))[:12]
    detail = container_state(inspect) if inspect else None
    state = _str(raw.get("State"))
    return Container(
        id=_str(raw.get("Id")),
        name=name,
        image=_str(raw.get("Image")),
        image_id=_str(raw.get("ImageID")),
        command=_str(raw.get("Command")),
        created=_int(raw.get("Created")),
        state=state,
        status=_str(raw.get("Status")),
        labels=_labels(raw.get("Labels")),
        ports=_ports(raw.get("Ports")),
        mounts=_mounts(raw.get("Mounts")),
        networks=_attachments(raw.get("NetworkSettings")),
        network_mode=_str((raw.get("HostConfig") or {}).get("NetworkMode")),
        size_rw=_int(raw["SizeRw"]) if raw.get("SizeRw") is not None else None,
        detail=detail,
    )


def _df_by(df: Raw | None, kind: str, key: str) -> dict[str, Raw]:
    if not df:
        return {}
    return {_str(item.get(key)): item for item in df.get(kind) or () if isinstance(item, Mapping)}


def build_image(raw: Raw, users: Iterable[str], df_entry: Raw | None) -> Image:
    shared = _int((df_entry or raw).get("SharedSize"), -1)
    return Image(
        id=_str(raw.get("Id")),
        tags=tuple(t for t in _strings(raw.get("RepoTags")) if t != "<none>:<none>"),
        digests=tuple(d for d in _strings(raw.get("RepoDigests")) if d != "<none>@<none>"),
        created=_int(raw.get("Created")),
        size=_int(raw.get("Size")),
        shared_size=shared if shared >= 0 else None,
        labels=_labels(raw.get("Labels")),
        parent_id=_str(raw.get("ParentId")),
        container_ids=tuple(users),
        usage_source=FROM_DAEMON if shared >= 0 else UNKNOWN,
    )


def _honest_usage(
    images: tuple[Image, ...], chains: Mapping[str, LayerChain], disk: DiskUsage | None
) -> tuple[tuple[Image, ...], DiskUsage | None]:
    """Shared sizes and reclaimable bytes from layer chains where they are known."""
    if not chains:
        return images, disk
    result = account(((i.id, i.size, i.shared_size) for i in images), chains, (i.id for i in images if i.container_ids))
    honest = tuple(
        replace(i, shared_size=result.images[i.id].shared, usage_source=FROM_LAYERS)
        if result.images[i.id].source == FROM_LAYERS
        else i
        for i in images
    )
    if disk is not None and result.reclaimable is not None:
        disk = replace(disk, images_reclaimable=result.reclaimable, images_reclaimable_source=FROM_LAYERS)
    return honest, disk


def build_network(raw: Raw, members: Iterable[str]) -> Network:
    ipam = (raw.get("IPAM") or {}).get("Config") or ()
    return Network(
        id=_str(raw.get("Id")),
        name=_str(raw.get("Name")),
        driver=_str(raw.get("Driver")),
        scope=_str(raw.get("Scope")),
        internal=bool(raw.get("Internal")),
        attachable=bool(raw.get("Attachable")),
        subnets=tuple(
            Subnet(_str(c.get("Subnet")), _str(c.get("Gateway"))) for c in ipam if isinstance(c, Mapping)
        ),
        labels=_labels(raw.get("Labels")),
        created=_str(raw.get("Created")),
        container_ids=tuple(members),
    )


def build_volume(raw: Raw, users: Iterable[str], df_entry: Raw | None) -> Volume:
    usage = (df_entry or {}).get("UsageData") or raw.get("UsageData") or {}
    size = _int(usage.get("Size"), -1)
    refs = _int(usage.get("RefCount"), -1)
    return Volume(
        name=_str(raw.get("Name")),
        driver=_str(raw.get("Driver")),
        mountpoint=_str(raw.get("Mountpoint")),
        scope=_str(raw.get("Scope")),
        labels=_labels(raw.get("Labels")),
        created=_str(raw.get("CreatedAt")),
        size=size if size >= 0 else None,
        ref_count=refs if refs >= 0 else None,
        container_ids=tuple(users),
    )


def _component_version(version: Raw, name: str) -> str:
    for component in version.get("Components") or ():
        if _str(component.get("Name")).lower() == name:
            return _str(component.get("Version"))
    return ""


def _driver_status(info: Raw) -> dict[str, str]:
    return {_str(pair[0]): _str(pair[1]) for pair in info.get("DriverStatus") or () if len(pair) == 2}


def build_registry(info: Raw, logins: tuple[str, ...], creds_store: str | None) -> Registry:
    config = info.get("RegistryConfig") or {}
    indexes = config.get("IndexConfigs") or {}
    insecure = list(_strings(config.get("InsecureRegistryCIDRs")))
    insecure += [name for name, index in sorted(indexes.items()) if isinstance(index, Mapping) and not index.get("Secure", True)]
    return Registry(
        index_server=_str(info.get("IndexServerAddress")),
        mirrors=_strings(config.get("Mirrors")),
        insecure=tuple(insecure),
        logged_in=logins,
        creds_store=creds_store,
    )


def build_daemon(info: Raw, version: Raw, logins: tuple[str, ...] = (), creds_store: str | None = None) -> DaemonInfo:
    """``/info`` + ``/version`` as one record."""
    status = _driver_status(info)
    d_type = status.get("Supports d_type")
    security = _strings(info.get("SecurityOptions"))
    return DaemonInfo(
        name=_str(info.get("Name")),
        server_version=_str(version.get("Version") or info.get("ServerVersion")),
        api_version=_str(version.get("ApiVersion")),
        min_api_version=_str(version.get("MinAPIVersion")),
        os=_str(info.get("OperatingSystem")),
        kernel=_str(info.get("KernelVersion")),
        arch=_str(info.get("Architecture")),
        ncpu=_int(info.get("NCPU")),
        mem_total=_int(info.get("MemTotal")),
        containerd_version=_component_version(version, "containerd") or _str((info.get("ContainerdCommit") or {}).get("ID")),
        runc_version=_component_version(version, "runc") or _str((info.get("RuncCommit") or {}).get("ID")),
        storage_driver=_str(info.get("Driver")),
        backing_filesystem=status.get("Backing Filesystem", ""),
        supports_d_type=None if d_type is None else d_type == "true",
        logging_driver=_str(info.get("LoggingDriver")),
        cgroup_driver=_str(info.get("CgroupDriver")),
        cgroup_version=_str(info.get("CgroupVersion")),
        docker_root_dir=_str(info.get("DockerRootDir")),
        live_restore=bool(info.get("LiveRestoreEnabled")),
        warnings=_strings(info.get("Warnings")),
        security_options=security,
        registry=build_registry(info, logins, creds_store),
        rootless=any("rootless" in option for option in security),
    )


def build_disk_usage(df: Raw, taken_at: float) -> DiskUsage:
    """Sizes and reclaimable bytes per kind, reckoned like ``docker system df``."""
    images = [i for i in df.get("Images") or () if isinstance(i, Mapping)]
    containers = [c for c in df.get("Containers") or () if isinstance(c, Mapping)]
    volumes = [v for v in df.get("Volumes") or () if isinstance(v, Mapping)]
    cache = [b for b in df.get("BuildCache") or () if isinstance(b, Mapping)]
    layers = _int(df.get("LayersSize"))
    used_images = sum(_int(i.get("Size")) - max(_int(i.get("SharedSize")), 0) for i in images if _int(i.get("Containers")) > 0)
    volume_size = [(_int((v.get("UsageData") or {}).get("Size")), _int((v.get("UsageData") or {}).get("RefCount"))) for v in volumes]
    return DiskUsage(
        layers_size=layers,
        images_size=layers,
        images_reclaimable=max(layers - used_images, 0),
        containers_size=sum(_int(c.get("SizeRw")) for c in containers),
        containers_reclaimable=sum(_int(c.get("SizeRw")) for c in containers if c.get("State") != "running"),
        volumes_size=sum(size for size, _ in volume_size if size > 0),
        volumes_reclaimable=sum(size for size, refs in volume_size if size > 0 and refs == 0),
        build_cache_size=sum(_int(b.get("Size")) for b in cache if not b.get("Shared")),
        build_cache_reclaimable=sum(_int(b.get("Size")) for b in cache if not b.get("InUse") and not b.get("Shared")),
        taken_at=taken_at,
    )


def _relations(containers: tuple[Container, ...]) -> tuple[dict, dict, dict]:
    by_image: dict[str, list[str]] = defaultdict(list)
    by_network: dict[str, list[str]] = defaultdict(list)
    by_volume: dict[str, list[str]] = defaultdict(list)
    for container in containers:
        by_image[container.image_id].append(container.id)
        for attachment in container.networks:
            by_network[attachment.network_id].append(container.id)
            by_network["name:" + attachment.network_name].append(container.id)
        for volume in container.volume_names:
            by_volume[volume].append(container.id)
    return by_image, by_network, by_volume


def build_snapshot(
    raw: RawHost,
    *,
    seq: int,
    taken_at: float,
    endpoint: Endpoint,
    state: ConnectionState = "connected",
    errors: Iterable[CollectError] = (),
) -> HostSnapshot:
    """Turn the raw answers into one immutable snapshot with its relationships."""
    containers = tuple(
        sorted(
            (build_container(c, raw.inspects.get(_str(c.get("Id")))) for c in raw.containers),
            key=lambda c: (c.compose_project or "", c.name),
        )
    )
    by_image, by_network, by_volume = _relations(containers)
    df_images = _df_by(raw.df, "Images", "Id")
    df_volumes = _df_by(raw.df, "Volumes", "Name")
    images = tuple(
        sorted(
            (
                build_image(i, by_image.get(image_id, ()), df_images.get(image_id))
                for image_id, i in {_str(i.get("Id")): i for i in raw.images}.items()
            ),
            key=lambda i: (i.dangling, i.display_name),
        )
    )
    networks = tuple(
        sorted(
            (
                build_network(n, dict.fromkeys(by_network.get(_str(n.get("Id")), []) + by_network.get("name:" + _str(n.get("Name")), [])))
                for n in raw.networks
            ),
            key=lambda n: n.name,
        )
    )
    volumes = tuple(
        sorted(
            (build_volume(v, by_volume.get(_str(v.get("Name")), ()), df_volumes.get(_str(v.get("Name")))) for v in raw.volumes),
            key=lambda v: (v.anonymous, v.name),
        )
    )
    daemon = build_daemon(raw.info, raw.version or {}, raw.logins, raw.creds_store) if raw.info else None
    disk = build_disk_usage(raw.df, raw.df_taken_at) if raw.df else None
    images, disk = _honest_usage(images, raw.image_chains, disk)
    return HostSnapshot(
        seq=seq,
        taken_at=taken_at,
        endpoint=endpoint,
        state=state,
        daemon=daemon,
        containers=containers,
        images=images,
        networks=networks,
        volumes=volumes,
        disk=disk,
        errors=tuple(errors),
    )
