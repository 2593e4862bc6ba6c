"""The troubleshooting wizard as data: symptoms, the questions only the user can answer, checks.

A symptom asks for the container(s) or the image concerned (the host cannot
know which one the user means) or for a choice between two situations, then
runs probes by id. Commands may use ``{<question id>}`` placeholders, filled with the
answers (shell-quoted container names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal["container", "image", "choice"]


@dataclass(frozen=True)
class Choice:
    """One answer of a choice question: it adds checks and may name another component."""

    id: str
    label: str
    checks: tuple[str, ...] = ()
    component: str = ""
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """Something only the user knows: which container, which image, or which of two situations."""

    id: str
    prompt: str
    kind: QuestionKind
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Symptom:
    """A problem in plain words, the component it usually points to, and what to check."""

    id: str
    title: str
    component: str
    explanation: str
    checks: tuple[str, ...]
    questions: tuple[Question, ...] = ()
    commands: tuple[str, ...] = ()


WHICH_CONTAINER = Question("container", "Which container?", "container")

SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "restarting",
        "A container keeps restarting",
        "container",
        "Docker restarts a container whose main process exits when its restart policy says so; "
        "the exit code, the OOM flag and the last log lines say why the process ended.",
        ("container.restart_loop", "container.oom_killed", "container.exit_code", "container.start_failed",
         "container.unhealthy", "daemon.log_errors"),
        (WHICH_CONTAINER,),
        ("docker logs --tail 50 {container}",
         "docker inspect -f '{{{{.RestartCount}}}} {{{{.State.ExitCode}}}} {{{{.State.OOMKilled}}}}' {container}",
         "docker events --since 1h --filter container={container}"),
    ),
    Symptom(
        "exits_at_start",
        "A container exits right after start",
        "container",
        "A container lives as long as its main process: a command that is missing, fails or finishes at once "
        "ends it. The exit code tells which.",
        ("container.exit_code", "container.start_failed", "container.oom_killed", "network.port_conflict",
         "image.floating_tag_in_use"),
        (WHICH_CONTAINER,),
        ("docker logs {container}", "docker inspect -f '{{{{json .Config.Entrypoint}}}} {{{{json .Config.Cmd}}}}' {container}"),
    ),
    Symptom(
        "unreachable_from_host",
        "I can't reach my app from the host",
        "network",
        "A port reaches the app only when it is published, the container runs, and the app listens on "
        "0.0.0.0 inside the container (127.0.0.1 inside is unreachable from outside).",
        ("network.none_publishes_ports", "network.port_conflict", "network.published_all_interfaces",
         "container.paused", "container.unhealthy", "container.exit_code", "network.ip_forwarding"),
        (WHICH_CONTAINER,),
        ("docker port {container}", "docker exec {container} netstat -ltn",
         "docker inspect -f '{{{{json .NetworkSettings.Ports}}}}' {container}"),
    ),
    Symptom(
        "containers_cant_talk",
        "Containers can't talk to each other",
        "network",
        "Containers find each other by name only on a user-defined network they share; on the default "
        "bridge names do not resolve.",
        ("network.name_without_shared_network", "network.ip_forwarding", "container.paused",
         "container.unhealthy", "container.exit_code"),
        (Question("first", "Which container makes the call?", "container"),
         Question("second", "Which container should answer?", "container")),
        ("docker inspect -f '{{{{json .NetworkSettings.Networks}}}}' {first} {second}",
         "docker exec {first} nslookup {second}", "docker network ls"),
    ),
    Symptom(
        "image_huge",
        "My image is huge / builds are slow",
        "image",
        "Every layer keeps what it wrote, even files a later layer deletes; builds are slow when the cache "
        "is busted early or the storage is slow or full.",
        (),
        (Question("image", "Which image?", "image"),
         Question("which", "What is the trouble?", "choice", (
            Choice("huge", "The image is huge", ("image.poor_efficiency", "image.dangling"), "image",
                   ("docker history --no-trunc {image}", "dockscope layers {image}")),
            Choice("slow", "Builds are slow", ("storage.driver", "storage.disk_space", "image.dangling", "daemon.warnings"),
                   "storage", ("docker system df -v", "DOCKER_BUILDKIT=1 docker build --progress=plain .")),
        )),),
    ),
    Symptom(
        "data_disappeared",
        "My data disappeared after a restart",
        "volume",
        "Files written to a container's own layer vanish with the container; only volumes and bind mounts "
        "outlive it. A new container with a new anonymous volume starts empty.",
        ("volume.data_in_container_layer", "volume.anonymous_pileup", "volume.orphaned", "container.restart_loop"),
        (WHICH_CONTAINER,),
        ("docker inspect -f '{{{{json .Mounts}}}}' {container}", "docker diff {container}", "docker volume ls"),
    ),
    Symptom(
        "disk_full",
        "The disk is full",
        "storage",
        "Docker's disk holds images, container layers, volumes, build cache and container logs; logs "
        "without rotation and forgotten volumes grow silently.",
        ("storage.disk_space", "storage.log_rotation", "image.dangling", "volume.orphaned",
         "volume.anonymous_pileup", "volume.data_in_container_layer"),
        (),
        ("docker system df -v", "docker system prune"),
    ),
    Symptom(
        "commands_fail",
        "docker commands fail or hang",
        "client",
        "The client talks to one daemon endpoint (DOCKER_HOST, a context or the default socket); "
        "a hang means the daemon accepts but does not answer, an error usually means the wrong endpoint.",
        ("client.unreachable", "client.context_override", "client.api_skew"),
        (Question("how", "How do they go wrong?", "choice", (
            Choice("fail", "They fail with an error", (), "client", ("docker context ls", "docker version")),
            Choice("hang", "They hang", ("daemon.log_errors", "daemon.warnings", "daemon.log_unread", "storage.disk_space"),
                   "daemon", ("sudo systemctl status docker", "sudo journalctl -u docker --since -15m")),
        )),),
    ),
    Symptom(
        "pull_fails",
        "Pulling an image fails",
        "registry",
        "The daemon, not the client, pulls: it needs the registry reachable from its host, the right "
        "credentials, an existing tag and free disk.",
        ("registry.pull_failed", "registry.mirrors", "registry.insecure", "storage.disk_space",
         "network.ip_forwarding", "daemon.log_errors"),
        (),
        ("docker pull IMAGE", "docker info --format '{{{{json .RegistryConfig}}}}'", "docker login REGISTRY"),
    ),
    Symptom(
        "slow_or_heavy",
        "A container is slow or uses too much",
        "container",
        "Without limits a container takes what it wants; with a tight memory limit it is killed; "
        "a chatty log or writes to its layer cost disk and I/O.",
        ("container.no_memory_limit", "container.oom_killed", "storage.log_rotation",
         "volume.data_in_container_layer", "container.unhealthy", "container.restart_loop"),
        (WHICH_CONTAINER,),
        ("docker stats --no-stream {container}", "docker top {container}",
         "docker inspect -f '{{{{.HostConfig.Memory}}}} {{{{.HostConfig.NanoCpus}}}}' {container}"),
    ),
)

SYMPTOM_BY_ID: dict[str, Symptom] = {s.id: s for s in SYMPTOMS}


def symptom(symptom_id: str) -> Symptom:
    """The symptom with this id.

    Raises:
        KeyError: no such symptom.
    """
    return SYMPTOM_BY_ID[symptom_id]
