"""Client probes: the endpoint cannot be used, API version skew, a context silently overridden."""

from __future__ import annotations

from collections.abc import Iterator

from dockscope.probes.common import q
from dockscope.probes.model import Evidence, Hit, ProbeContext, probe


def api_tuple(version: str) -> tuple[int, ...]:
    """``"1.41"`` -> ``(1, 41)``; ``()`` when it is not a version."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


@probe("client.unreachable", "client", "The daemon endpoint cannot be used")
def unreachable(context: ProbeContext) -> Iterator[Hit]:
    snapshot = context.snapshot
    endpoint = snapshot.endpoint
    where = (Evidence("client", "endpoint", endpoint.display), Evidence("client", "chosen by", endpoint.source))
    if snapshot.stale:
        reason = next((e.message for e in snapshot.errors if e.what == "connection"), "no answer")
        denied = "permission denied" in reason.lower()
        yield Hit(
            "error",
            f"the daemon at {endpoint.display} {'refuses this user' if denied else 'does not answer'}",
            where + (Evidence("client", "error", reason),),
            confirm=f"docker -H {q(endpoint.url)} version",
            fix="sudo systemctl start docker" if not denied else "use rootless Docker, or run with sudo",
            object=endpoint.display,
        )
        return
    refused = [e for e in snapshot.errors if e.what != "connection"]
    if refused:
        yield Hit(
            "warning",
            f"the daemon refused {len(refused)} request(s) while dockscope collected the host",
            where + tuple(Evidence("client", e.what, e.message) for e in refused),
            confirm=f"docker -H {q(endpoint.url)} info",
            object=endpoint.display,
        )


@probe("client.api_skew", "client", "Client and daemon API versions differ")
def api_skew(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    client, pinned = context.client.api_version, context.client.pinned_api_version
    if daemon is None or not client or not daemon.api_version:
        return
    evidence = (Evidence("client", "API version", client), Evidence("daemon", "ApiVersion", daemon.api_version),
                Evidence("daemon", "MinAPIVersion", daemon.min_api_version or "?"))
    if pinned:
        evidence += (Evidence("client", "DOCKER_API_VERSION", pinned),)
    if daemon.min_api_version and api_tuple(client) < api_tuple(daemon.min_api_version):
        yield Hit("error", f"the client speaks API {client}, older than the daemon accepts ({daemon.min_api_version})",
                  evidence, confirm="docker version", fix="upgrade the client (or unset DOCKER_API_VERSION)", object="client")
    elif api_tuple(client) != api_tuple(daemon.api_version):
        older = api_tuple(client) < api_tuple(daemon.api_version)
        yield Hit(
            "warning" if pinned else "info",
            f"the client uses API {client} and the daemon {daemon.api_version}"
            + (f": pinned by DOCKER_API_VERSION={pinned}" if pinned else "; newer features are unavailable" if older else ""),
            evidence,
            confirm="docker version",
            fix="unset DOCKER_API_VERSION" if pinned else "",
            object="client",
        )


@probe("client.context_override", "client", "DOCKER_HOST silently overrides the docker context")
def context_override(context: ProbeContext) -> Iterator[Hit]:
    side = context.client
    chosen = side.docker_context or side.current_context
    if not side.docker_host or not chosen or chosen == "default":
        return
    origin = "DOCKER_CONTEXT" if side.docker_context else "currentContext in config.json"
    yield Hit(
        "warning",
        f"DOCKER_HOST={side.docker_host} wins over the context {chosen!r} ({origin}): commands go somewhere "
        "other than 'docker context ls' shows",
        (Evidence("client", "DOCKER_HOST", side.docker_host), Evidence("client", origin, chosen),
         Evidence("client", "endpoint chosen by", context.snapshot.endpoint.source)),
        confirm="docker context ls; env | grep DOCKER_",
        fix="unset DOCKER_HOST (or docker context use default)",
        object="client",
    )
