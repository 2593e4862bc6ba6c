"""Small helpers the probe modules share: quoting, sizes, log evidence."""

from __future__ import annotations

import shlex

from dockscope.engine.events import die_exit_code
from dockscope.engine.model import Container
from dockscope.probes.model import Evidence, LogLine, ProbeContext

#: Log lines shown as evidence of one finding.
EVIDENCE_LINES = 8


def q(value: str) -> str:
    """Quote a (possibly hostile) name for a shell command the user may copy."""
    return shlex.quote(value)


def size(value: int | None) -> str:
    """Bytes in decimal units, like ``docker system df``."""
    if value is None:
        return "?"
    amount = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(amount) < 1000 or unit == "TB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{value} B"


def last_exit_code(context: ProbeContext, container: Container) -> int | None:
    """Exit code of the last run.

    A container in a restart loop is often caught running (the next run) or
    inspected a moment after it was listed, so for running and restarting
    containers the last ``die`` event (which carries ``exitCode``) wins, then
    the list's "Restarting (N)"; otherwise inspect's exit code.
    """
    if container.state in ("running", "restarting"):
        for event in reversed(context.events):
            if event.actor_id == container.id and (code := die_exit_code(event)) is not None:
                return code
    if container.state == "restarting" and container.status.startswith("Restarting ("):
        head = container.status[len("Restarting (") :].split(")", 1)[0]
        if head.lstrip("-").isdigit():
            return int(head)
    return container.exit_code


def daemon_log_command(context: ProbeContext, pattern: str) -> str:
    """A command that shows the daemon log lines matching ``pattern`` (extended regex)."""
    if context.daemon_log_kind == "journald":
        return f"journalctl -u {q(context.daemon_log_source)} --since -1h --no-pager | grep -E {q(pattern)}"
    return f"grep -E {q(pattern)} {q(context.daemon_log_source or '/var/log/docker.log')} | tail -50"


def container_object(container: Container) -> str:
    return f"container {container.name}"


def log_evidence(context: ProbeContext, container: Container, count: int = EVIDENCE_LINES) -> tuple[Evidence, ...]:
    """The container's last log lines as one piece of evidence (none when unknown or empty)."""
    lines: tuple[LogLine, ...] = tuple(context.container_logs.get(container.id, ()))[-count:]
    if not lines:
        return ()
    return (Evidence(container_object(container), "logs (last lines)", f"{len(lines)} line(s)", lines),)


def running_services(context: ProbeContext) -> list[Container]:
    """Running containers (one-off jobs excluded: they are not running)."""
    return [c for c in context.snapshot.containers if c.state == "running"]
