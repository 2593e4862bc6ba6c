"""Probes: small pure functions over the host that return findings (no UI imports).

Call :func:`gather_context` (blocking, from a worker thread) and then
:func:`run_probes`; each topic module registers its probes in :data:`PROBES`
when :func:`load_probes` imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dockscope.probes.exitcodes import EXIT_CODES, exit_code_meaning
from dockscope.probes.model import (
    COMPONENTS,
    PROBES,
    SEVERITIES,
    Evidence,
    Finding,
    Hit,
    Probe,
    ProbeContext,
    probe,
    severity_rank,
)

TOPICS = ("client", "container", "daemon", "image", "network", "volume")

__all__ = [
    "COMPONENTS", "EXIT_CODES", "PROBES", "SEVERITIES", "Evidence", "Finding", "Hit", "Probe", "ProbeContext",
    "ProbeError", "exit_code_meaning", "gather_context", "load_probes", "probe", "run_probes", "severity_rank",
]


@dataclass(frozen=True)
class ProbeError:
    """A probe that raised: a bug in dockscope, reported rather than hiding the other findings."""

    probe: str
    message: str


def load_probes() -> dict[str, Probe]:
    """Import every topic module (they register on import) and return the registry."""
    import importlib

    for topic in TOPICS:
        importlib.import_module(f"dockscope.probes.{topic}")
    return dict(sorted(PROBES.items()))


def run_probes(context: ProbeContext, ids: Iterable[str] | None = None) -> tuple[tuple[Finding, ...], tuple[ProbeError, ...]]:
    """Run the given probes (all when None) over ``context``; findings most severe first.

    Raises:
        KeyError: an id that names no probe.
    """
    probes = load_probes()
    chosen = [probes[i] for i in dict.fromkeys(ids)] if ids is not None else list(probes.values())
    findings: list[Finding] = []
    errors: list[ProbeError] = []
    for item in chosen:
        try:
            findings.extend(item.run(context))
        except Exception as error:  # one broken probe must not hide the others' findings
            errors.append(ProbeError(item.id, f"{type(error).__name__}: {error}"))
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.component, f.id, f.object))
    return tuple(findings), tuple(errors)


def gather_context(*args, **kwargs) -> ProbeContext:
    """See :func:`dockscope.probes.context.gather_context` (imported lazily: it needs the engine session)."""
    from dockscope.probes.context import gather_context as gather

    return gather(*args, **kwargs)
