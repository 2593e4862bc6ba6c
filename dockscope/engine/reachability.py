""""Can container A reach container B?", answered from configuration alone.

No packet is sent: the answer comes from the snapshot (network modes, the
networks both containers are attached to, whether those are internal, whether
both run). It says which networks they share and whether B's name resolves
there (Docker's embedded DNS serves user-defined networks, not the default
``bridge``), or why not, with the command that would connect them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dockscope.engine.model import Container, HostSnapshot, Network

Verdict = Literal["yes", "no", "partly"]
#: container id -> network name -> aliases (the list call omits aliases; inspect has them).
Aliases = Mapping[str, Mapping[str, tuple[str, ...]]]

#: The daemon's default bridge: containers there reach each other by IP only.
DEFAULT_BRIDGE = "bridge"


@dataclass(frozen=True)
class SharedNetwork:
    """A network both containers are attached to."""

    name: str
    driver: str
    internal: bool
    name_resolution: bool
    target_ip: str
    target_aliases: tuple[str, ...]


@dataclass(frozen=True)
class Reachability:
    """The answer: a verdict, the reasons behind it and what would fix it."""

    source: str
    target: str
    verdict: Verdict
    reasons: tuple[str, ...]
    shared: tuple[SharedNetwork, ...] = ()
    fix: str = ""

    @property
    def reachable(self) -> bool:
        return self.verdict == "yes"


def aliases_from_inspect(inspect: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Network name -> aliases, from one ``/containers/{id}/json`` answer."""
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        str(name): tuple(str(a) for a in (net.get("Aliases") or ()))
        for name, net in networks.items()
        if isinstance(net, Mapping)
    }


def network_mode(container: Container) -> str:
    """host / none / container:<id> / bridge / a user network name (``default`` means bridge)."""
    mode = container.network_mode or DEFAULT_BRIDGE
    return DEFAULT_BRIDGE if mode == "default" else mode


def _resolve_shared_namespace(snapshot: HostSnapshot, container: Container) -> Container:
    """A container started with ``--network container:X`` uses X's network stack."""
    mode = network_mode(container)
    if not mode.startswith("container:"):
        return container
    ref = mode.removeprefix("container:")
    for other in snapshot.containers:
        if other.id.startswith(ref) or other.name == ref:
            return other
    return container


def _networks_by_name(snapshot: HostSnapshot) -> dict[str, Network]:
    return {n.name: n for n in snapshot.networks}


def _shared(snapshot: HostSnapshot, a: Container, b: Container, aliases: Aliases) -> tuple[SharedNetwork, ...]:
    known = _networks_by_name(snapshot)
    b_aliases = aliases.get(b.id, {})
    b_attachments = {att.network_name: att for att in b.networks}
    shared = []
    for att in a.networks:
        other = b_attachments.get(att.network_name)
        if other is None or att.network_name in ("host", "none"):
            continue
        network = known.get(att.network_name)
        driver = network.driver if network else ""
        shared.append(
            SharedNetwork(
                name=att.network_name,
                driver=driver,
                internal=bool(network and network.internal),
                name_resolution=att.network_name != DEFAULT_BRIDGE,
                target_ip=other.ipv4,
                target_aliases=tuple(
                    dict.fromkeys(x for x in other.aliases + b_aliases.get(att.network_name, ()) if x != b.id[: len(x)])
                ),
            )
        )
    return tuple(shared)


def _q(value: str) -> str:
    return shlex.quote(value)


def _connect_command(snapshot: HostSnapshot, a: Container, b: Container) -> str:
    """Attach A to one of B's user-defined networks, or make one for both."""
    known = _networks_by_name(snapshot)
    for att in b.networks:
        network = known.get(att.network_name)
        if att.network_name not in ("bridge", "host", "none") and (network is None or network.driver != "host"):
            return f"docker network connect {_q(att.network_name)} {_q(a.name)}"
    net = f"{a.name}-{b.name}"
    return (
        f"docker network create {_q(net)} && docker network connect {_q(net)} {_q(a.name)}"
        f" && docker network connect {_q(net)} {_q(b.name)}"
    )


def _stopped(a: Container, b: Container) -> Reachability | None:
    down = [c for c in (a, b) if c.state != "running"]
    if not down:
        return None
    reasons = tuple(f"{c.name} is {c.state or 'not running'}: a stopped container has no network endpoint" for c in down)
    fix = " && ".join(f"docker start {_q(c.name)}" for c in down)
    return Reachability(a.name, b.name, "no", reasons, fix=fix)


def _isolated(a: Container, b: Container) -> Reachability | None:
    for c in (a, b):
        if network_mode(c) == "none":
            return Reachability(
                a.name, b.name, "no",
                (f"{c.name} runs with --network none: it has only a loopback interface",),
                fix=f"recreate {c.name} on a network (docker network connect does not apply to 'none')",
            )
    return None


def _host_mode(snapshot: HostSnapshot, a: Container, b: Container) -> Reachability | None:
    a_host, b_host = network_mode(a) == "host", network_mode(b) == "host"
    if not (a_host or b_host):
        return None
    if a_host and b_host:
        return Reachability(a.name, b.name, "yes", ("both use the host's network: they reach each other on localhost",))
    if a_host:
        ips = [att.ipv4 for att in b.networks if att.ipv4]
        published = [str(p) for p in b.ports if p.published]
        reasons = [f"{a.name} uses the host's network: it reaches {b.name} by IP ({', '.join(ips) or 'none known'}), no name resolution"]
        if published:
            reasons.append(f"{b.name} also publishes {', '.join(published)} on the host (localhost works)")
        return Reachability(a.name, b.name, "partly" if ips or published else "no", tuple(reasons))
    if all(_internal(snapshot, att.network_name) for att in a.networks):
        return Reachability(a.name, b.name, "no", (f"{b.name} uses the host's network and {a.name} is only on internal networks (no route to the host)",))
    return Reachability(
        a.name, b.name, "partly",
        (f"{b.name} uses the host's network: {a.name} reaches it through the host's address (its network gateway), no name resolution",),
    )


def _internal(snapshot: HostSnapshot, network_name: str) -> bool:
    network = _networks_by_name(snapshot).get(network_name)
    return bool(network and network.internal)


def _no_common_network(snapshot: HostSnapshot, a: Container, b: Container) -> Reachability:
    a_nets = ", ".join(a.network_names) or "no network"
    b_nets = ", ".join(b.network_names) or "no network"
    reasons = [f"no common network: {a.name} is on {a_nets}; {b.name} is on {b_nets}"]
    verdict: Verdict = "no"
    published = [p for p in b.ports if p.published]
    a_internal = bool(a.networks) and all(_internal(snapshot, att.network_name) for att in a.networks)
    if a_internal:
        reasons.append(f"{a.name} is only on internal networks: it cannot leave them, not even to ports published on the host")
    elif published:
        verdict = "partly"
        ports = ", ".join(str(p) for p in published)
        reasons.append(f"{b.name} publishes {ports} on the host: {a.name} may reach those through the host's address")
    return Reachability(a.name, b.name, verdict, tuple(reasons), fix=_connect_command(snapshot, a, b))


def _through_shared(a: Container, b: Container, shared: tuple[SharedNetwork, ...]) -> Reachability:
    reasons = []
    for net in shared:
        names = (b.name,) + net.target_aliases
        how = f"by name ({', '.join(dict.fromkeys(names))})" if net.name_resolution else "by IP only: the default bridge has no name resolution"
        where = f"{net.name} ({net.driver or '?'}{', internal' if net.internal else ''})"
        ip = f" at {net.target_ip}" if net.target_ip else ""
        reasons.append(f"shared network {where}: {b.name}{ip}, {how}")
        if net.internal:
            reasons.append(f"{net.name} is internal: they reach each other, but not the outside world")
    fix = ""
    if not any(net.name_resolution for net in shared):
        fix = f"for name resolution use a user-defined network: docker network create NET && docker network connect NET {_q(a.name)} && docker network connect NET {_q(b.name)}"
    return Reachability(a.name, b.name, "yes", tuple(reasons), shared, fix)


def can_reach(snapshot: HostSnapshot, source_id: str, target_id: str, aliases: Aliases | None = None) -> Reachability:
    """Whether ``source_id`` can open a connection to ``target_id``, and why.

    Args:
        snapshot: The host as last seen.
        source_id: The container that would connect (A).
        target_id: The container it wants to reach (B).
        aliases: Network aliases per container, from inspect (see
            :func:`aliases_from_inspect`); the list call does not carry them.

    Returns:
        A :class:`Reachability` whose ``verdict`` is ``yes`` (a shared network),
        ``partly`` (only through the host: by IP or published ports) or ``no``.
    """
    found = snapshot.container_by_id
    if source_id not in found or target_id not in found:
        missing = source_id if source_id not in found else target_id
        return Reachability(source_id[:12], target_id[:12], "no", (f"container {missing[:12]} does not exist (any more)",))
    a, b = found[source_id], found[target_id]
    if a.id == b.id:
        return Reachability(a.name, b.name, "yes", ("the same container: localhost",))
    a, b = _resolve_shared_namespace(snapshot, a), _resolve_shared_namespace(snapshot, b)
    if a.id == b.id:
        return Reachability(found[source_id].name, found[target_id].name, "yes", ("they share one network stack (--network container:): localhost",))
    for check in (_stopped, _isolated):
        answer = check(a, b)
        if answer is not None:
            return answer
    answer = _host_mode(snapshot, a, b)
    if answer is not None:
        return answer
    shared = _shared(snapshot, a, b, aliases or {})
    if not shared:
        return _no_common_network(snapshot, a, b)
    return _through_shared(a, b, shared)
