"""Container probes: restart loops, OOM kills, exit codes, start failures, health, limits, privileges."""

from __future__ import annotations

import os
from collections.abc import Iterator

from dockscope.engine.model import Container
from dockscope.probes.common import container_object, last_exit_code, log_evidence, q, running_services, size
from dockscope.probes.exitcodes import exit_code_meaning
from dockscope.probes.model import Evidence, Hit, ProbeContext, probe

#: Restarts after which a container counts as looping.
RESTART_LOOP_COUNT = 3
#: Restart policies that mark a container as a long-running service.
SERVICE_POLICIES = ("always", "unless-stopped", "on-failure")
SOCKET_NAMES = ("docker.sock", "containerd.sock", "podman.sock", "dockershim.sock")


def _exit_evidence(context: ProbeContext, container: Container) -> Evidence:
    code = last_exit_code(context, container) or 0
    oom = bool(container.detail and container.detail.oom_killed)
    return Evidence(container_object(container), "State.ExitCode", f"{code}: {exit_code_meaning(code, oom)}")


def _die_events(context: ProbeContext, container: Container) -> int:
    return sum(1 for e in context.events if e.actor_id == container.id and e.action == "die")


@probe("container.restart_loop", "container", "Containers that keep restarting")
def restart_loop(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        count = container.detail.restart_count if container.detail else 0
        if container.state != "restarting" and count < RESTART_LOOP_COUNT:
            continue
        policy = container.detail.restart_policy if container.detail else "?"
        evidence = (
            Evidence(container_object(container), "State.Status", container.state),
            Evidence(container_object(container), "RestartCount", str(count)),
            Evidence(container_object(container), "HostConfig.RestartPolicy.Name", policy),
            _exit_evidence(context, container),
            Evidence(container_object(container), "die events (last hour)", str(_die_events(context, container))),
        ) + log_evidence(context, container)
        yield Hit(
            "error",
            f"{container.name} keeps restarting ({count} restarts, policy {policy}): its process exits and Docker starts it again",
            evidence,
            confirm=f"docker logs --tail 50 {q(container.name)}",
            fix=f"docker update --restart=no {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.oom_killed", "container", "Containers killed by the OOM killer")
def oom_killed(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        if container.detail is None or not container.detail.oom_killed:
            continue
        limit = container.detail.memory_limit
        evidence = (
            Evidence(container_object(container), "State.OOMKilled", "true"),
            _exit_evidence(context, container),
            Evidence(container_object(container), "HostConfig.Memory", size(limit) if limit else "0 (no limit: the host ran out)"),
        ) + log_evidence(context, container)
        yield Hit(
            "error",
            f"{container.name} was killed by the kernel OOM killer: it needed more memory than its limit",
            evidence,
            confirm=f"docker inspect -f '{{{{.State.OOMKilled}}}}' {q(container.name)}",
            fix=f"docker update --memory 512m --memory-swap 512m {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.exit_code", "container", "Containers that stopped with a failure exit code")
def failed_exit(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        code = container.exit_code
        if container.state not in ("exited", "dead") or not code:
            continue
        detail = container.detail
        if detail is not None and (detail.oom_killed or detail.error):
            continue  # container.oom_killed / container.start_failed say it better
        yield Hit(
            "error" if code in (125, 126, 127, 139) else "warning",
            f"{container.name} exited with code {code}: {exit_code_meaning(code, False)}",
            (_exit_evidence(context, container), Evidence(container_object(container), "State.FinishedAt", detail.finished_at if detail else "?"))
            + log_evidence(context, container),
            confirm=f"docker logs --tail 50 {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


def start_failure_cause(error: str) -> str:
    """Plain words for the usual ``State.Error`` messages."""
    lowered = error.lower()
    if "port is already allocated" in lowered or "address already in use" in lowered:
        return "the host port is already taken"
    if "executable file not found" in lowered or ('exec: "' in lowered and "no such file" in lowered):
        return "the command does not exist in the image"
    if "permission denied" in lowered:
        return "the command cannot be executed (permissions)"
    if "bind source path does not exist" in lowered or "mount" in lowered and "no such file" in lowered:
        return "a bind-mount source path does not exist on the host"
    if "network" in lowered and "not found" in lowered:
        return "its network no longer exists"
    return "the daemon could not start it"


@probe("container.start_failed", "container", "Containers that failed to start (State.Error)")
def start_failed(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        if container.detail is None or not container.detail.error or container.state == "running":
            continue
        error = container.detail.error
        yield Hit(
            "error",
            f"{container.name} failed to start: {start_failure_cause(error)}",
            (Evidence(container_object(container), "State.Error", error), _exit_evidence(context, container),
             Evidence(container_object(container), "Config.Cmd", " ".join(container.detail.entrypoint + container.detail.cmd))),
            confirm=f"docker inspect -f '{{{{.State.Error}}}}' {q(container.name)}",
            fix=f"docker start -a {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.unhealthy", "container", "Containers whose healthcheck fails")
def unhealthy(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        if container.health != "unhealthy":
            continue
        evidence = [Evidence(container_object(container), "State.Health.Status", "unhealthy")]
        if container.detail and container.detail.health_log:
            last = container.detail.health_log[-1]
            evidence.append(Evidence(container_object(container), "State.Health.Log[-1]", f"exit {last.exit_code}: {last.output.strip()}",
                                     ((last.end, last.output.strip()),)))
        yield Hit(
            "error",
            f"{container.name} is unhealthy: its healthcheck keeps failing",
            tuple(evidence) + log_evidence(context, container),
            confirm=f"docker inspect -f '{{{{json .State.Health}}}}' {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


def _is_service(container: Container) -> bool:
    policy = container.detail.restart_policy if container.detail else "no"
    return policy in SERVICE_POLICIES or any(p.published for p in container.ports)


@probe("container.no_healthcheck", "container", "Long-running services without a healthcheck")
def no_healthcheck(context: ProbeContext) -> Iterator[Hit]:
    for container in running_services(context):
        if container.detail is None or container.detail.has_healthcheck or not _is_service(container):
            continue
        yield Hit(
            "info",
            f"{container.name} runs as a service (restart {container.detail.restart_policy}) but has no healthcheck: a hung process looks healthy",
            (Evidence(container_object(container), "Config.Healthcheck", "none"),
             Evidence(container_object(container), "HostConfig.RestartPolicy.Name", container.detail.restart_policy)),
            confirm=f"docker inspect -f '{{{{json .Config.Healthcheck}}}}' {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.no_memory_limit", "container", "Running containers without a memory limit")
def no_memory_limit(context: ProbeContext) -> Iterator[Hit]:
    for container in running_services(context):
        if container.detail is None or container.detail.memory_limit:
            continue
        yield Hit(
            "info",
            f"{container.name} has no memory limit: a leak can take the whole host's memory",
            (Evidence(container_object(container), "HostConfig.Memory", "0"),),
            confirm=f"docker stats --no-stream {q(container.name)}",
            fix=f"docker update --memory 512m --memory-swap 512m {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.privileged", "container", "Privileged containers")
def privileged(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        if container.detail is None or not container.detail.privileged:
            continue
        yield Hit(
            "warning",
            f"{container.name} runs --privileged: it has every capability and the host's devices",
            (Evidence(container_object(container), "HostConfig.Privileged", "true"),),
            confirm=f"docker inspect -f '{{{{.HostConfig.Privileged}}}}' {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


def _is_socket_mount(source: str, destination: str) -> bool:
    return any(os.path.basename(path.rstrip("/")) in SOCKET_NAMES for path in (source, destination))


@probe("container.socket_mounted", "container", "Containers with the Docker socket mounted inside")
def socket_mounted(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        mounts = [m for m in container.mounts if m.type == "bind" and _is_socket_mount(m.source, m.destination)]
        if not mounts:
            continue
        yield Hit(
            "warning",
            f"{container.name} has a container-runtime socket mounted: whoever controls it controls the host",
            tuple(Evidence(container_object(container), "Mounts", f"{m.source} -> {m.destination}") for m in mounts),
            confirm=f"docker inspect -f '{{{{json .Mounts}}}}' {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("container.paused", "container", "Paused containers")
def paused(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        if container.state != "paused":
            continue
        yield Hit(
            "warning",
            f"{container.name} is paused: its processes are frozen and it answers nothing",
            (Evidence(container_object(container), "State.Status", "paused"),),
            confirm=f"docker ps --filter status=paused --filter name={q(container.name)}",
            fix=f"docker unpause {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )
