"""Image and registry probes: dangling images, layer efficiency, floating tags, pull failures, registry settings."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockscope.daemonlog import LogRecord
from dockscope.probes import daemonlog
from dockscope.probes.common import container_object, daemon_log_command, q, size
from dockscope.probes.model import Evidence, Hit, ProbeContext, probe

POOR_EFFICIENCY = 0.9
MIN_WASTED_BYTES = 1000 * 1000
BIG_RECLAIMABLE = 1000 * 1000 * 1000
MAX_LISTED = 10
RECENT_SECONDS = 3600.0
#: Insecure ranges every daemon has by default.
DEFAULT_INSECURE = ("127.0.0.0/8", "::1/128")

PULL_MARKERS = ("/images/create returned error", "pull access denied", "manifest unknown", "error pulling image",
                "Error response from daemon: Get", "not found: manifest")
PULL_CAUSES = (
    ("auth", ("unauthorized", "authentication required", "pull access denied", "denied:", "incorrect username")),
    ("manifest unknown", ("manifest unknown", "not found: manifest", "manifest for", "repository does not exist")),
    ("unreachable", ("connection refused", "no such host", "i/o timeout", "tls handshake timeout", "network is unreachable",
                     "dial tcp", "context deadline exceeded", "server gave http response to https client")),
)
_REGISTRY_URL = re.compile(r"https?://(?P<host>[^/\s\"]+)/v[12]/")
PULL_FIXES = {
    "auth": "docker login {registry}",
    "manifest unknown": "check the name and tag exist: docker manifest inspect IMAGE",
    "unreachable": "check the registry is reachable from the daemon's host: curl -sI https://{registry}/v2/",
    "other": "",
}


@probe("image.dangling", "image", "Dangling images and the bytes they hold")
def dangling(context: ProbeContext) -> Iterator[Hit]:
    loose = sorted((i for i in context.snapshot.images if i.dangling and not i.container_ids), key=lambda i: -i.size)
    if not loose:
        return
    total = sum(i.size - (i.shared_size or 0) for i in loose)
    yield Hit(
        "warning" if total >= BIG_RECLAIMABLE else "info",
        f"{len(loose)} dangling image(s) (untagged, unused) hold up to {size(total)}",
        tuple(Evidence(f"image {i.short_id}", "RepoTags", f"<none>, {size(i.size)}") for i in loose[:MAX_LISTED]),
        confirm="docker images --filter dangling=true",
        fix="docker image prune",
    )


@probe("image.poor_efficiency", "image", "Images in use whose layers waste space")
def poor_efficiency(context: ProbeContext) -> Iterator[Hit]:
    for image_id, (score, wasted) in sorted(context.image_efficiency.items()):
        image = context.snapshot.image_by_id.get(image_id)
        if image is None or score >= POOR_EFFICIENCY or wasted < MIN_WASTED_BYTES:
            continue
        yield Hit(
            "warning",
            f"image {image.display_name} has a layer efficiency of {score:.0%}: {size(wasted)} written by one layer "
            "is hidden or deleted by a later one",
            (Evidence(f"image {image.display_name}", "efficiency", f"{score:.1%}"), Evidence(f"image {image.display_name}", "wasted", size(wasted))),
            confirm=f"dockscope layers {q(image.display_name)}",
            fix="create and delete the files in the same RUN step (or use a multi-stage build)",
            object=image.display_name,
        )


def _floating_reference(reference: str) -> str:
    """"latest", "untagged" or "" for a container's image reference."""
    if reference.startswith("sha256:") or re.fullmatch(r"[0-9a-f]{12,64}", reference):
        return "untagged"
    last = reference.rsplit("/", 1)[-1]
    if "@" in last:
        return ""
    if ":" not in last or last.endswith(":latest"):
        return "latest"
    return ""


@probe("image.floating_tag_in_use", "image", "Containers running 'latest' or untagged images")
def floating_tag_in_use(context: ProbeContext) -> Iterator[Hit]:
    for container in context.snapshot.containers:
        kind = _floating_reference(container.image)
        if not kind:
            continue
        why = ("the tag it was created from now points to another image (or was removed)" if kind == "untagged"
               else "'latest' changes under you: two hosts can run different code")
        yield Hit(
            "info",
            f"{container.name} runs {'an untagged image' if kind == 'untagged' else container.image}: {why}",
            (Evidence(container_object(container), "Config.Image", container.image),
             Evidence(container_object(container), "Image", container.image_id)),
            confirm=f"docker inspect -f '{{{{.Config.Image}}}} {{{{.Image}}}}' {q(container.name)}",
            fix="pin a version tag or a digest (image:1.2.3 or image@sha256:...)",
            object=container.name,
            containers=(container.name,),
        )


def recent_records(context: ProbeContext, seconds: float = RECENT_SECONDS) -> list[LogRecord]:
    """Daemon log records of the last ``seconds`` (records without a time are kept)."""
    return daemonlog.recent(context.daemon_log, context.now, seconds)


def is_pull_failure(record: LogRecord) -> bool:
    return record.level in ("error", "fatal") and any(marker in record.message for marker in PULL_MARKERS)


def pull_cause(message: str) -> str:
    lowered = message.lower()
    for cause, words in PULL_CAUSES:
        if any(word in lowered for word in words):
            return cause
    return "other"


def _registry_of(message: str) -> str:
    match = _REGISTRY_URL.search(message)
    return match.group("host") if match else "the registry"


@probe("registry.pull_failed", "registry", "Pulls that failed (daemon log)")
def pull_failed(context: ProbeContext) -> Iterator[Hit]:
    groups: dict[tuple[str, str], list[LogRecord]] = {}
    for record in recent_records(context):
        if is_pull_failure(record):
            groups.setdefault((pull_cause(record.message), _registry_of(record.message)), []).append(record)
    for (cause, registry), records in sorted(groups.items()):
        yield Hit(
            "error",
            f"{len(records)} pull(s) from {registry} failed in the last hour: {cause}",
            (Evidence("daemon log", "pull error", records[-1].message, tuple(daemonlog.as_line(r) for r in records[-5:])),),
            confirm=daemon_log_command(context, "images/create"),
            fix=PULL_FIXES[cause].format(registry=registry),
            object=registry,
        )


@probe("registry.insecure", "registry", "Insecure registries configured")
def insecure(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    extra = [r for r in daemon.registry.insecure if r not in DEFAULT_INSECURE] if daemon else []
    if not extra:
        return
    yield Hit(
        "warning",
        f"the daemon pulls from {', '.join(extra)} without TLS verification: anyone on the path can swap images",
        tuple(Evidence("daemon", "RegistryConfig.InsecureRegistryCIDRs/IndexConfigs", r) for r in extra),
        confirm="docker info --format '{{json .RegistryConfig}}'",
        fix="remove them from insecure-registries in /etc/docker/daemon.json and give the registries TLS",
        object="daemon",
    )


@probe("registry.mirrors", "registry", "Registry mirrors configured")
def mirrors(context: ProbeContext) -> Iterator[Hit]:
    daemon = context.snapshot.daemon
    if daemon is None or not daemon.registry.mirrors:
        return
    yield Hit(
        "info",
        f"pulls from Docker Hub go through {len(daemon.registry.mirrors)} mirror(s) first: when pulls fail or are stale, check them",
        tuple(Evidence("daemon", "RegistryConfig.Mirrors", m) for m in daemon.registry.mirrors),
        confirm="docker info --format '{{json .RegistryConfig.Mirrors}}'",
        object="daemon",
    )
