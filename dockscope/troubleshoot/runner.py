"""Run a symptom of the tree headless: answers in, a :class:`Diagnosis` out (no UI)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from dockscope.engine.model import Container, Image
from dockscope.probes import Evidence, Finding, ProbeContext, ProbeError, exit_code_meaning, run_probes, severity_rank
from dockscope.probes import daemonlog
from dockscope.probes.common import last_exit_code, size
from dockscope.troubleshoot.tree import Choice, Symptom, symptom

#: Daemon log lines shown around the moment a container started or stopped.
DAEMON_LINES = 8
DAEMON_WINDOW = 30.0
LOG_LINES = 10


class AnswerError(ValueError):
    """An answer is missing or names nothing on the host."""


@dataclass(frozen=True)
class Diagnosis:
    """What the wizard shows: the component to check, findings, facts, next commands.

    Attributes:
        symptom: The symptom run.
        component: The component to check (highlighted on the map).
        findings: Findings of the symptom's checks, about the chosen containers.
        facts: Config fields, exit codes, last log lines and daemon log lines
            around that time for the chosen containers.
        commands: The next commands, most useful first.
        checks: The probe ids run.
        errors: Probes that raised.
    """

    symptom: Symptom
    component: str
    findings: tuple[Finding, ...]
    facts: tuple[Evidence, ...]
    commands: tuple[str, ...]
    checks: tuple[str, ...]
    errors: tuple[ProbeError, ...] = ()


def _chosen(spec: Symptom, answers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str], list[Choice]]:
    """Validate the answers: container question -> answer, image question -> answer, the choices picked."""
    containers: dict[str, str] = {}
    images: dict[str, str] = {}
    choices: list[Choice] = []
    for question in spec.questions:
        answer = answers.get(question.id)
        if not answer:
            raise AnswerError(f"{spec.id}: no answer to {question.id!r} ({question.prompt})")
        if question.kind in ("container", "image"):
            (containers if question.kind == "container" else images)[question.id] = answer
            continue
        picked = [c for c in question.choices if c.id == answer]
        if not picked:
            raise AnswerError(f"{spec.id}: {answer!r} is not a choice of {question.id!r}")
        choices.append(picked[0])
    return containers, images, choices


def _resolve(context: ProbeContext, answers: Mapping[str, str]) -> dict[str, Container]:
    resolved = {}
    for question_id, answer in answers.items():
        container = context.container_named(answer)
        if container is None:
            raise AnswerError(f"no container {answer!r} on the host")
        resolved[question_id] = container
    return resolved


def _resolve_images(context: ProbeContext, answers: Mapping[str, str]) -> dict[str, Image]:
    resolved = {}
    for question_id, answer in answers.items():
        image = context.snapshot.image_by_id.get(answer) or next(
            (i for i in context.snapshot.images if answer in i.tags or i.short_id == answer), None)
        if image is None:
            raise AnswerError(f"no image {answer!r} on the host")
        resolved[question_id] = image
    return resolved


def _about(finding: Finding, names: set[str], images: set[str]) -> bool:
    """Whether a finding concerns the chosen containers and images (host-wide ones always do)."""
    if names and finding.containers and not names & set(finding.containers):
        return False
    return not (images and finding.component == "image" and finding.object and finding.object not in images)


def container_facts(context: ProbeContext, container: Container) -> tuple[Evidence, ...]:
    """The config fields, exit code, last log lines and nearby daemon log lines of one container."""
    label = f"container {container.name}"
    facts = [Evidence(label, "State", container.status or container.state)]
    detail = container.detail
    code = last_exit_code(context, container)
    if code is not None:
        facts.append(Evidence(label, "ExitCode", f"{code}: {exit_code_meaning(code, bool(detail and detail.oom_killed))}"))
    if detail is not None:
        facts += [
            Evidence(label, "RestartPolicy / RestartCount", f"{detail.restart_policy} / {detail.restart_count}"),
            Evidence(label, "Memory limit", size(detail.memory_limit) if detail.memory_limit else "none"),
        ]
        if detail.error:
            facts.append(Evidence(label, "State.Error", detail.error))
    facts += [
        Evidence(label, "Networks", ", ".join(container.network_names) or container.network_mode or "none"),
        Evidence(label, "Ports", ", ".join(str(p) for p in container.ports) or "none"),
        Evidence(label, "Mounts", ", ".join(f"{m.type} {m.name or m.source} -> {m.destination}" for m in container.mounts) or "none"),
    ]
    logs = tuple(context.container_logs.get(container.id, ()))[-LOG_LINES:]
    facts.append(Evidence(label, "last log lines", f"{len(logs)} line(s)", logs))
    nearby = _daemon_lines_near(context, container)
    if nearby:
        facts.append(Evidence("daemon log", f"around {container.name}'s last start/stop", f"{len(nearby)} line(s)", nearby))
    return tuple(facts)


def _daemon_lines_near(context: ProbeContext, container: Container) -> tuple[tuple[str, str], ...]:
    detail = container.detail
    if detail is None or not context.daemon_log:
        return ()
    moment = daemonlog.parse_time(detail.finished_at) or daemonlog.parse_time(detail.started_at)
    if moment is None:
        return ()
    near = daemonlog.lines_near(context.daemon_log, moment, DAEMON_WINDOW)
    own = tuple(line for line in near if container.id[:12] in line[1])
    return (own or near)[-DAEMON_LINES:]


def image_facts(context: ProbeContext, image: Image) -> tuple[Evidence, ...]:
    label = f"image {image.display_name}"
    facts = [Evidence(label, "Size", size(image.size)), Evidence(label, "used by", f"{len(image.container_ids)} container(s)")]
    if image.id in context.image_efficiency:
        score, wasted = context.image_efficiency[image.id]
        facts.append(Evidence(label, "layer efficiency", f"{score:.1%} ({size(wasted)} wasted)"))
    return tuple(facts)


def host_facts(context: ProbeContext, component: str) -> tuple[Evidence, ...]:
    """The host-wide fields that matter for a component (disk, registry settings, endpoint, daemon)."""
    snapshot, daemon = context.snapshot, context.snapshot.daemon
    facts: list[Evidence] = []
    if component == "storage":
        if context.data_root is not None:
            fs = context.data_root
            facts.append(Evidence(f"filesystem {fs.path}", "free", f"{size(fs.free)} of {size(fs.total)} ({fs.free_ratio:.0%})"))
        if snapshot.disk is not None:
            disk = snapshot.disk
            facts += [Evidence("docker system df", kind, f"{size(total)} ({size(reclaimable)} reclaimable)") for kind, total, reclaimable in (
                ("images", disk.images_size, disk.images_reclaimable), ("containers", disk.containers_size, disk.containers_reclaimable),
                ("volumes", disk.volumes_size, disk.volumes_reclaimable), ("build cache", disk.build_cache_size, disk.build_cache_reclaimable))]
    elif component == "registry" and daemon is not None:
        registry = daemon.registry
        facts += [Evidence("daemon", "IndexServerAddress", registry.index_server or "?"),
                  Evidence("daemon", "Mirrors", ", ".join(registry.mirrors) or "none"),
                  Evidence("client", "logged in to", ", ".join(registry.logged_in) or "nothing")]
    elif component in ("client", "daemon"):
        facts += [Evidence("client", "endpoint", f"{snapshot.endpoint.display} (chosen by {snapshot.endpoint.source})"),
                  Evidence("client", "API version", context.client.api_version or "?"),
                  Evidence("daemon log", "source", context.daemon_log_source or context.daemon_log_problem or "none")]
        if daemon is not None:
            facts.append(Evidence("daemon", "version", f"{daemon.server_version} (API {daemon.api_version})"))
    return tuple(facts)


def _pair_fact(first: Container, second: Container) -> Evidence:
    shared = sorted(set(first.network_names) & set(second.network_names) - {"bridge", "host", "none"})
    return Evidence(f"containers {first.name} and {second.name}", "shared user-defined networks", ", ".join(shared) or "none")


def _commands(spec: Symptom, choices: list[Choice], findings: tuple[Finding, ...], names: Mapping[str, str]) -> tuple[str, ...]:
    quoted = {key: shlex.quote(value) for key, value in names.items()}
    templates = list(spec.commands) + [c for choice in choices for c in choice.commands]
    from_findings = [command for f in findings for command in (f.confirm, f.fix) if command]
    return tuple(dict.fromkeys(from_findings + [t.format_map(quoted) for t in templates]))


def run_symptom(symptom_id: str, context: ProbeContext, answers: Mapping[str, str]) -> Diagnosis:
    """Run a symptom's checks over ``context`` with the user's answers.

    Args:
        symptom_id: A symptom of :data:`dockscope.troubleshoot.tree.SYMPTOMS`.
        context: Gathered with the chosen containers in ``focus``.
        answers: question id -> container id or name, image id or tag, or choice id.

    Raises:
        KeyError: unknown symptom. AnswerError: a missing or wrong answer.
    """
    spec = symptom(symptom_id)
    container_answers, image_answers, choices = _chosen(spec, answers)
    chosen = _resolve(context, container_answers)
    chosen_images = _resolve_images(context, image_answers)
    checks = tuple(dict.fromkeys(spec.checks + tuple(c for choice in choices for c in choice.checks)))
    found, errors = run_probes(context, checks)
    names = {c.name for c in chosen.values()}
    findings = tuple(f for f in found if _about(f, names, {i.display_name for i in chosen_images.values()}))
    facts = [fact for container in dict.fromkeys(chosen.values()) for fact in container_facts(context, container)]
    facts += [fact for image in chosen_images.values() for fact in image_facts(context, image)]
    if "first" in chosen and "second" in chosen:
        facts.insert(0, _pair_fact(chosen["first"], chosen["second"]))
    default = next((c.component for c in choices if c.component), spec.component)
    facts += host_facts(context, default)
    worst = max(findings, key=lambda f: severity_rank(f.severity), default=None)
    component = worst.component if worst is not None and worst.severity != "info" else default
    return Diagnosis(
        symptom=spec,
        component=component,
        findings=findings,
        facts=tuple(facts),
        commands=_commands(spec, choices, findings, {**{k: c.name for k, c in chosen.items()},
                                                      **{k: i.display_name for k, i in chosen_images.items()}}),
        checks=checks,
        errors=errors,
    )
