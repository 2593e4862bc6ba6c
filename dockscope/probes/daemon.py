"""Daemon and storage probes: disk space, storage driver, log rotation, warnings, the daemon's own log."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockscope.engine.model import label_value
from dockscope.probes import daemonlog
from dockscope.daemonlog import LogRecord
from dockscope.probes.common import container_object, daemon_log_command, q, size
from dockscope.probes.image import is_pull_failure, recent_records
from dockscope.probes.model import Evidence, Hit, ProbeContext, probe
from dockscope.probes.network import NETWORK_WARNINGS

FREE_ERROR = 0.10
FREE_WARNING = 0.20
BIG_LOG_BYTES = 50 * 1000 * 1000
ROTATING_DRIVERS = ("local", "journald", "syslog", "none", "fluentd", "gelf", "awslogs", "splunk", "etwlogs", "gcplogs")
ERROR_LEVELS = ("error", "fatal", "panic")
MAX_GROUPS = 5
_IDS = re.compile(r"[0-9a-f]{12,64}|\d+")


def _disk_evidence(context: ProbeContext) -> tuple[Evidence, ...]:
    disk = context.snapshot.disk
    if disk is None:
        return ()
    return (
        Evidence("docker system df", "images", f"{size(disk.images_size)} ({size(disk.images_reclaimable)} reclaimable)"),
        Evidence("docker system df", "containers", f"{size(disk.containers_size)} ({size(disk.containers_reclaimable)} reclaimable)"),
        Evidence("docker system df", "volumes", f"{size(disk.volumes_size)} ({size(disk.volumes_reclaimable)} reclaimable)"),
        Evidence("docker system df", "build cache", f"{size(disk.build_cache_size)} ({size(disk.build_cache_reclaimable)} reclaimable)"),
    )


@probe("storage.disk_space", "storage", "Free space on the data-root filesystem")
def disk_space(context: ProbeContext) -> Iterator[Hit]:
    fs = context.data_root
    if fs is None or fs.free_ratio >= FREE_WARNING:
        return
    yield Hit(
        "error" if fs.free_ratio < FREE_ERROR else "warning",
        f"only {size(fs.free)} ({fs.free_ratio:.0%}) is free on the filesystem of {fs.path}: "
        "pulls, builds and container writes will start to fail",
        (Evidence(f"filesystem {fs.path}", "free", f"{size(fs.free)} of {size(fs.total)}"),) + _disk_evidence(context),
        confirm="docker system df",
        fix="docker system prune (add --volumes only after checking them)",
        object=fs.path,
    )


@probe("storage.driver", "storage", "Storage driver other than overlay2, or no d_type")
def storage_driver(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    if daemon is None or not daemon.storage_driver:
        return
    evidence = (Evidence("daemon", "Driver", daemon.storage_driver),
                Evidence("daemon", "Backing Filesystem", daemon.backing_filesystem or "?"),
                Evidence("daemon", "Supports d_type", {True: "true", False: "false", None: "?"}[daemon.supports_d_type]))
    if daemon.supports_d_type is False:
        yield Hit("error", f"the backing filesystem ({daemon.backing_filesystem}) has no d_type support: overlay layers can break",
                  evidence, confirm="docker info --format '{{json .DriverStatus}}'",
                  fix="move the data-root to ext4, or xfs made with ftype=1", object="daemon")
    elif daemon.storage_driver not in ("overlay2", "windowsfilter"):
        yield Hit("warning", f"the storage driver is {daemon.storage_driver}, not overlay2: slower, more disk, less tested",
                  evidence, confirm="docker info --format '{{.Driver}}'",
                  fix='set "storage-driver": "overlay2" in /etc/docker/daemon.json (existing images must be pulled again)',
                  object="daemon")


@probe("storage.log_rotation", "storage", "Container logs without rotation, biggest first")
def log_rotation(context: ProbeContext) -> Iterator[Hit]:
    unrotated = []
    for container in context.snapshot.containers:
        detail = container.detail
        if detail is None or detail.log_driver in ROTATING_DRIVERS or label_value(detail.log_options, "max-size"):
            continue
        unrotated.append((context.log_sizes.get(container.id, 0), container))
    for held, container in sorted(unrotated, key=lambda pair: -pair[0]):
        detail = container.detail
        yield Hit(
            "warning" if held >= BIG_LOG_BYTES else "info",
            f"{container.name} logs with {detail.log_driver} without max-size: its log ({size(held)}) grows until the disk is full",
            (Evidence(container_object(container), "HostConfig.LogConfig", f"{detail.log_driver} {dict(detail.log_options) or '{}'}"),
             Evidence(container_object(container), "LogPath size", f"{size(held)} {detail.log_path}")),
            confirm=f"docker inspect -f '{{{{json .HostConfig.LogConfig}}}}' {q(container.name)}",
            fix='recreate with --log-opt max-size=10m --log-opt max-file=3, or set "log-opts" in /etc/docker/daemon.json',
            object=container.name,
            containers=(container.name,),
        )


@probe("daemon.warnings", "daemon", "Warnings the daemon reports")
def warnings(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    for warning in daemon.warnings if daemon else ():
        if any(word in warning.lower() for word in NETWORK_WARNINGS):
            continue  # network.ip_forwarding explains these
        yield Hit(
            "warning",
            f"the daemon warns: {warning.removeprefix('WARNING: ')}",
            (Evidence("daemon", "Warnings", warning),),
            confirm="docker info 2>&1 | grep -i warning",
            object="daemon",
        )


def _signature(message: str) -> str:
    """The message with ids and numbers blanked, so repeats of one error group together."""
    return _IDS.sub("…", message)[:120]


@probe("daemon.log_errors", "daemon", "Errors in the daemon's log in the last hour")
def log_errors(context: ProbeContext) -> Iterator[Hit]:
    groups: dict[str, list[LogRecord]] = {}
    for record in recent_records(context):
        if record.level in ERROR_LEVELS and not is_pull_failure(record):
            groups.setdefault(_signature(record.message), []).append(record)
    if not groups:
        return
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    total = sum(len(records) for records in groups.values())
    yield Hit(
        "warning",
        f"the daemon logged {total} error(s) in the last hour ({len(groups)} kind(s)); most frequent: {ranked[0][0]}",
        tuple(Evidence("daemon log", f"{len(records)}x", signature, tuple(daemonlog.as_line(r) for r in records[-3:]))
              for signature, records in ranked[:MAX_GROUPS]),
        confirm=daemon_log_command(context, "level=(error|fatal)|ERRO|FATA"),
        object="daemon",
    )


@probe("daemon.log_unread", "daemon", "The daemon's own log is not read")
def log_unread(context: ProbeContext) -> Iterator[Hit]:
    if context.daemon_log_source:
        return
    yield Hit(
        "info",
        "dockerd's own log is not available, so daemon errors cannot be checked: pass --daemon-log PATH or set DOCKSCOPE_DAEMON_LOG",
        (Evidence("daemon log", "source", context.daemon_log_problem or "none"),),
        confirm="journalctl -u docker --since -1h -p err",
        object="daemon",
    )
