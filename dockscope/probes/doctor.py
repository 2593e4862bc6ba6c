"""``dockscope doctor``: every probe, headless, as a report grouped by component.

Exit codes: 0 when no finding reaches ``--fail-on`` (default ``error``), 1 when
one does, 2 on usage, config or connection errors. The JSON form (``--json``)
follows ``doctor.schema.json`` next to this file.

Exclusions live in the config file (``~/.config/dockscope/config.toml`` or
``--config PATH``)::

    [doctor]
    exclude_probes = ["container.no_memory_limit", "network.*"]   # probe ids (globs)
    exclude_objects = ["legacy-*"]                               # object / container names (globs)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockscope.probes import COMPONENTS, SEVERITIES, Finding, ProbeError, gather_context, load_probes, run_probes, severity_rank
from dockscope.probes.model import ProbeContext
from dockscope.textsafe import clean

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SCHEMA_PATH = Path(__file__).with_name("doctor.schema.json")
REPORT_VERSION = 1
#: Points a finding costs; each probe counts at most :data:`MAX_COUNTED` findings.
WEIGHTS = {"error": 12, "warning": 4, "info": 1}
MAX_COUNTED = 3
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"), (0, "F"))


class ConfigError(Exception):
    """The config file cannot be read or has the wrong shape."""


@dataclass(frozen=True)
class Exclusions:
    """Probe ids and object names (globs) the user does not want reported."""

    probes: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()

    def excludes(self, finding: Finding) -> bool:
        if any(fnmatch.fnmatchcase(finding.id, pattern) for pattern in self.probes):
            return True
        names = [finding.object, *finding.containers]
        return any(name and fnmatch.fnmatchcase(name, pattern) for name in names for pattern in self.objects)


def default_config_path(env: dict[str, str] | os._Environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".config")
    return Path(base) / "dockscope" / "config.toml"


def _patterns(section: dict, key: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"[doctor] {key} must be a list of strings")
    return tuple(value)


def load_exclusions(path: str | None, env=os.environ) -> Exclusions:
    """Read ``[doctor]`` from the config file; a missing default file means no exclusions.

    Raises:
        ConfigError: an explicit file that is missing, bad TOML, or a wrong shape.
    """
    target = Path(path) if path else default_config_path(env)
    try:
        with open(target, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        if path:
            raise ConfigError(f"config file {target} not found") from None
        return Exclusions()
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config file {target}: {error}") from None
    section = data.get("doctor", {})
    if not isinstance(section, dict):
        raise ConfigError("[doctor] must be a table")
    return Exclusions(_patterns(section, "exclude_probes"), _patterns(section, "exclude_objects"))


def score(findings: Iterable[Finding]) -> int:
    """100 minus the weight of each finding, at most :data:`MAX_COUNTED` per probe, never below 0."""
    counted: Counter[str] = Counter()
    penalty = 0
    for finding in sorted(findings, key=lambda f: -severity_rank(f.severity)):
        counted[finding.id] += 1
        if counted[finding.id] <= MAX_COUNTED:
            penalty += WEIGHTS[finding.severity]
    return max(0, 100 - penalty)


def grade(value: int) -> str:
    return next(letter for floor, letter in GRADES if value >= floor)


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    threshold = severity_rank(fail_on)
    return any(severity_rank(f.severity) >= threshold for f in findings)


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "severity": finding.severity,
        "component": finding.component,
        "summary": finding.summary,
        "object": finding.object,
        "containers": list(finding.containers),
        "evidence": [
            {"object": e.object, "field": e.field, "observed": e.observed,
             "log_lines": [{"time": t, "line": line} for t, line in e.log_lines]}
            for e in finding.evidence
        ],
        "confirm": finding.confirm,
        "fix": finding.fix,
    }


def build_report(
    context: ProbeContext,
    findings: Sequence[Finding],
    errors: Sequence[ProbeError],
    *,
    probes: Sequence[str],
    excluded: int,
) -> dict[str, Any]:
    """The report as plain data (what ``--json`` prints)."""
    snapshot = context.snapshot
    value = score(findings)
    counts = Counter(f.severity for f in findings)
    return {
        "version": REPORT_VERSION,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(context.now)),
        "endpoint": {"url": snapshot.endpoint.display, "source": snapshot.endpoint.source},
        "engine": snapshot.daemon.server_version if snapshot.daemon else None,
        "daemon_log": context.daemon_log_source or None,
        "score": value,
        "grade": grade(value),
        "counts": {severity: counts.get(severity, 0) for severity in SEVERITIES},
        "excluded": excluded,
        "probes": list(probes),
        "findings": [finding_json(f) for f in findings],
        "probe_errors": [{"probe": e.probe, "message": e.message} for e in errors],
    }


def _finding_lines(finding: dict[str, Any]) -> list[str]:
    label = f"[{finding['severity']}]".ljust(10)
    lines = [f"  {label}{finding['id']}: {clean(finding['summary'])}"]
    for item in finding["evidence"]:
        lines.append(f"      - {clean(item['object'])} {clean(item['field'])}: {clean(item['observed'])}")
        lines += [f"          {clean(entry['time'])} {clean(entry['line'], limit=300)}".rstrip() for entry in item["log_lines"]]
    lines.append(f"      confirm: {clean(finding['confirm'])}")
    if finding["fix"]:
        lines.append(f"      fix:     {clean(finding['fix'])}")
    return lines


def render_text(report: dict[str, Any], components: Sequence[str]) -> str:
    """The report as plain text, every untrusted string cleaned."""
    counts = report["counts"]
    head = [
        f"dockscope doctor: {clean(report['endpoint']['url'])} ({clean(report['endpoint']['source'])}), "
        f"Engine {clean(report['engine'] or '?')}",
        f"score {report['score']}/100 (grade {report['grade']}): {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info" + (f"; {report['excluded']} excluded by config" if report["excluded"] else ""),
        f"daemon log: {clean(report['daemon_log'] or 'not read (--daemon-log PATH)')}",
    ]
    body: list[str] = []
    for component in components:
        found = [f for f in report["findings"] if f["component"] == component]
        body.append("")
        body.append(f"{component.upper()}: " + (f"{len(found)} finding(s)" if found else "ok"))
        for finding in found:
            body += _finding_lines(finding)
    for error in report["probe_errors"]:
        body.append(f"probe {error['probe']} failed: {clean(error['message'])}")
    return "\n".join(head + body) + "\n"


def add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON (schema: dockscope/probes/doctor.schema.json)")
    parser.add_argument("--component", action="append", choices=COMPONENTS, metavar="COMPONENT",
                        help=f"only this component (repeatable): {', '.join(COMPONENTS)}")
    parser.add_argument("--fail-on", choices=SEVERITIES, default="error",
                        help="exit 1 when a finding is at least this severe (default: error)")
    parser.add_argument("--config", metavar="PATH", help="config file with [doctor] exclusions (default: ~/.config/dockscope/config.toml)")
    parser.add_argument("--daemon-log", dest="doctor_daemon_log", metavar="PATH",
                        help="dockerd's log file (else DOCKSCOPE_DAEMON_LOG)")
    parser.add_argument("--no-layers", action="store_true", help="skip the layer efficiency of images in use")


def _context(client, args: argparse.Namespace) -> ProbeContext:
    from dockscope.engine.endpoint import resolve_endpoint
    from dockscope.engine.session import HostSession

    endpoint = resolve_endpoint(host=args.host, context=args.context, env=os.environ)
    daemon_log = args.doctor_daemon_log or getattr(args, "daemon_log", None)
    return gather_context(HostSession(endpoint, client), daemon_log=daemon_log, analyze_images=not args.no_layers)


def run_doctor(client, args: argparse.Namespace) -> int:
    """Run every probe and print the report; the exit code follows ``--fail-on``."""
    try:
        exclusions = load_exclusions(args.config)
    except ConfigError as error:
        print(f"dockscope doctor: {error}", file=sys.stderr)
        return EXIT_USAGE
    context = _context(client, args)
    if context.snapshot.stale:
        reason = next((e.message for e in context.snapshot.errors), "no answer")
        print(f"dockscope doctor: the daemon stopped answering: {clean(reason)}", file=sys.stderr)
        return EXIT_USAGE
    components = tuple(args.component or COMPONENTS)
    findings, errors = run_probes(context)
    shown = [f for f in findings if f.component in components]
    kept = [f for f in shown if not exclusions.excludes(f)]
    report = build_report(context, kept, errors, probes=list(load_probes()), excluded=len(shown) - len(kept))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=True))
    else:
        sys.stdout.write(render_text(report, [c for c in COMPONENTS if c in components]))
    return EXIT_FINDINGS if fails(kept, args.fail_on) else EXIT_OK
