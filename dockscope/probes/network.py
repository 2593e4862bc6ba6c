"""Network probes: name resolution without a shared network, published ports, conflicts, unused networks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockscope.engine.model import Container
from dockscope.probes.common import container_object, q
from dockscope.probes.model import Evidence, Hit, LogLine, ProbeContext, probe

#: Networks that give no name resolution between containers (or no network at all).
NO_DNS_NETWORKS = ("bridge", "host", "none")
#: Shorter names match too much text to be a reference.
MIN_NAME_LENGTH = 4
RESOLUTION_FAILURES = ("bad address", "name or service not known", "could not resolve", "no such host",
                       "temporary failure in name resolution", "unknown host", "can't resolve",
                       "no servers could be reached", "nxdomain")
NETWORK_WARNINGS = ("forwarding", "bridge-nf-call")
WILDCARD_IPS = ("", "0.0.0.0", "::")


def _user_networks(container: Container) -> set[str]:
    return {name for name in container.network_names if name not in NO_DNS_NETWORKS}


def _config_texts(container: Container) -> list[tuple[str, str]]:
    texts = [("Command", container.command)]
    if container.detail is not None:
        texts.append(("Config.Cmd", " ".join(container.detail.entrypoint + container.detail.cmd)))
        texts += [("Config.Env", entry) for entry in container.detail.env]
    return texts


def _mentions(text: str, name: str) -> bool:
    return name in text and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text) is not None


def _reference(context: ProbeContext, source: Container, target: Container) -> tuple[Evidence, ...]:
    """Where ``source`` names ``target``: in its config or its log lines."""
    found = [Evidence(container_object(source), field, text) for field, text in _config_texts(source) if _mentions(text, target.name)]
    logs = tuple(context.container_logs.get(source.id, ()))
    naming = [line for line in logs if _mentions(line[1], target.name)]
    if naming:
        lines: tuple[LogLine, ...] = tuple(line for line in logs if line in naming or _is_resolution_failure(line[1]))
        found.append(Evidence(container_object(source), "logs", f"{len(naming)} line(s) name {target.name}", lines[-6:]))
    return tuple(found)


def _is_resolution_failure(line: str) -> bool:
    lowered = line.lower()
    return any(failure in lowered for failure in RESOLUTION_FAILURES)


def _resolution_failed(evidence: tuple[Evidence, ...]) -> bool:
    return any(_is_resolution_failure(line) for e in evidence for _, line in e.log_lines)


@probe("network.name_without_shared_network", "network", "Containers naming each other without a shared user network")
def name_without_shared_network(context: ProbeContext) -> Iterator[Hit]:
    containers = [c for c in context.snapshot.containers if c.state in ("running", "restarting", "exited")]
    for source in containers:
        for target in containers:
            if target is source or len(target.name) < MIN_NAME_LENGTH or _user_networks(source) & _user_networks(target):
                continue
            if source.network_mode.startswith("container:") or target.network_mode in ("host", "none"):
                continue
            evidence = _reference(context, source, target)
            if not evidence:
                continue
            networks = (
                Evidence(container_object(source), "networks", ", ".join(source.network_names) or source.network_mode),
                Evidence(container_object(target), "networks", ", ".join(target.network_names) or target.network_mode),
            )
            net = "app-net"
            yield Hit(
                "error" if _resolution_failed(evidence) else "warning",
                f"{source.name} refers to {target.name} by name, but they share no user-defined network, "
                "so Docker's DNS cannot resolve that name",
                evidence + networks,
                confirm=f"docker exec {q(source.name)} nslookup {q(target.name)}",
                fix=f"docker network create {net} && docker network connect {net} {q(source.name)} && docker network connect {net} {q(target.name)}",
                object=source.name,
                containers=(source.name, target.name),
            )


@probe("network.none_publishes_ports", "network", "Containers on the none network that publish ports")
def none_publishes_ports(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        bindings = context.port_bindings.get(container.id, ())
        if container.network_mode != "none" or not bindings:
            continue
        yield Hit(
            "warning",
            f"{container.name} publishes ports but runs on the 'none' network: nothing can reach them",
            (Evidence(container_object(container), "HostConfig.NetworkMode", "none"),
             Evidence(container_object(container), "HostConfig.PortBindings", ", ".join(bindings))),
            confirm=f"docker inspect -f '{{{{.HostConfig.NetworkMode}}}} {{{{json .HostConfig.PortBindings}}}}' {q(container.name)}",
            fix=f"docker network connect bridge {q(container.name)}",
            object=container.name,
            containers=(container.name,),
        )


@probe("network.published_all_interfaces", "network", "Ports published on every interface (0.0.0.0)")
def published_all_interfaces(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        open_ports = [p for p in container.ports if p.published and (p.host_ip or "") in WILDCARD_IPS]
        if not open_ports:
            continue
        yield Hit(
            "warning",
            f"{container.name} publishes {', '.join(sorted({str(p.host_port) for p in open_ports}))} on every interface: "
            "reachable from other machines, past most host firewalls",
            tuple(Evidence(container_object(container), "Ports", str(p)) for p in open_ports),
            confirm=f"docker port {q(container.name)}",
            fix=f"recreate with -p 127.0.0.1:{open_ports[0].host_port}:{open_ports[0].private_port} to publish on loopback only",
            object=container.name,
            containers=(container.name,),
        )


_BIND_FAILED = re.compile(r"Bind for (?P<ip>[^ ]*):(?P<port>\d+) failed|listen tcp[46]? (?P<ip2>[^ ]*):(?P<port2>\d+): bind")


def _conflicting_port(error: str) -> int | None:
    match = _BIND_FAILED.search(error)
    if match is None:
        return None
    return int(match.group("port") or match.group("port2"))


@probe("network.port_conflict", "network", "Containers that could not bind their host port")
def port_conflict(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        error = container.detail.error if container.detail else ""
        port = _conflicting_port(error) if container.state != "running" else None
        if port is None:
            continue
        holders = [c for c in context.snapshot.containers if c is not container and any(p.host_port == port for p in c.ports)]
        evidence = [Evidence(container_object(container), "State.Error", error)]
        evidence += [Evidence(container_object(h), "Ports", ", ".join(str(p) for p in h.ports if p.host_port == port)) for h in holders]
        holder = f"container {holders[0].name}" if holders else "a process on the host"
        yield Hit(
            "error",
            f"{container.name} cannot publish port {port}: {holder} already holds it",
            tuple(evidence),
            confirm=f"docker ps --filter publish={port}" if holders else f"ss -ltnp 'sport = :{port}'",
            fix=f"docker stop {q(holders[0].name)}" if holders else "",
            object=container.name,
            containers=(container.name,) + tuple(h.name for h in holders),
        )


@probe("network.unused", "network", "User-defined networks no container uses")
def unused_networks(context: ProbeContext) -> Iterator[Hit]:
    for network in context.snapshot.networks:
        if not network.unused:
            continue
        yield Hit(
            "info",
            f"network {network.name} ({network.driver}) has no containers",
            (Evidence(f"network {network.name}", "Containers", "0"),),
            confirm=f"docker network inspect {q(network.name)}",
            fix=f"docker network rm {q(network.name)}",
            object=network.name,
        )


@probe("network.ip_forwarding", "network", "Kernel settings that break container networking")
def ip_forwarding(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    for warning in daemon.warnings if daemon else ():
        if not any(word in warning.lower() for word in NETWORK_WARNINGS):
            continue
        yield Hit(
            "warning",
            "the daemon reports a kernel network setting that stops containers reaching other networks",
            (Evidence("daemon", "Warnings", warning),),
            confirm="sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables",
            fix="sudo sysctl -w net.ipv4.ip_forward=1",
            object="daemon",
        )
