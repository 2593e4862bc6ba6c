#!/usr/bin/env python3
"""Seconds from exec of ``dockscope --pane containers`` until its container list is drawn.

Issue 7's measure: dockscope runs in a pseudo-terminal (200x50 by default,
xterm-256color, :class:`tests.hardening.terminal.PtyApp`) against the daemon
given on the command line, ``--runs`` times one after the other::

    .venv/bin/python benchmarks/first_list.py unix:///run/dscope-ci/docker.sock
    .venv/bin/python benchmarks/first_list.py unix:///run/dockscope-sandbox/docker.sock --runs 9 --timeline

The list counts as drawn, as in ``benchmarks/scale_bench.py``, once the
terminal output holds container names (here: ``--names`` distinct names of
the daemon's containers, 10 by default, or all of them when there are
fewer); with no container at all, once the list's header ("Up / exit") is
drawn. dockscope draws all rows of one list call in one frame, so any of
these thresholds lands on the same frame.

``--keys`` also presses ``i`` as soon as the list is seen and times when the
images pane answers (its "Unique" header): "keys answered", counted from
exec too.

``--timeline`` sets ``DOCKSCOPE_TIMELINE`` (see :mod:`dockscope.timeline`) so
dockscope records when it reached each start-up phase, and prints the median
of each phase over the runs. The daemon is only read: ``GET /containers/json``
here, and whatever dockscope itself reads.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hardening.terminal import PtyApp  # noqa: E402

EMPTY_MARK = b"Up / exit"
IMAGES_MARK = b"Unique"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: Runs dockscope from the tree in argv[1]: the editable install's import hook would
#: otherwise find the working tree's package before anything on sys.path.
FROM_SOURCE = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
sys.path.insert(0, sys.argv.pop(1))
from dockscope.cli import main
sys.exit(main())
"""


@dataclass
class Run:
    """One start of dockscope: seconds since exec (None: not seen before the timeout)."""

    list_drawn: float | None = None
    #: CPU seconds (user + system, all threads) dockscope had used when the list was seen.
    cpu_drawn: float | None = None
    keys_answered: float | None = None
    #: phase -> (seconds since exec, CPU seconds of dockscope by then).
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)


def container_names(host: str) -> list[str]:
    """Names of every container of the daemon at ``host`` (one list call)."""
    import docker

    client = docker.APIClient(base_url=host, timeout=10)
    try:
        return [item["Names"][0].lstrip("/") for item in client.containers(all=True) if item.get("Names")]
    finally:
        client.close()


class Watcher:
    """Scans only what the terminal wrote since the last look (the benchmark shares 2 cores with dockscope)."""

    def __init__(self, app: PtyApp, pattern: re.Pattern[bytes] | None) -> None:
        self.app = app
        self.pattern = pattern
        self.seen: set[bytes] = set()
        self._scanned = 0

    def names_seen(self) -> int:
        output = bytes(self.app.output)
        start = max(self._scanned - 256, 0)  # a name may straddle two reads
        if self.pattern is not None:
            self.seen.update(self.pattern.findall(output, start))
        self._scanned = len(output)
        return len(self.seen)

    def wait(self, done, timeout: float) -> float | None:
        """Seconds from exec until ``done()`` holds (polled every 5 ms), None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return time.monotonic() - self.app.started_at
            if not self.app.running():
                return None
            time.sleep(0.005)
        return None


def names_pattern(names: list[str]) -> re.Pattern[bytes] | None:
    if not names:
        return None
    alternatives = sorted({re.escape(name.encode()) for name in names}, key=len, reverse=True)
    return re.compile(b"|".join(alternatives))


def one_run(args: argparse.Namespace, pattern: re.Pattern[bytes] | None, wanted: int) -> Run:
    run = Run()
    env = {"DOCKER_HOST": args.host, "HOME": os.environ.get("HOME", "/root")}
    timeline = None
    if args.timeline:
        handle, timeline = tempfile.mkstemp(prefix="dockscope-timeline-")
        os.close(handle)
        env["DOCKSCOPE_TIMELINE"] = timeline
    command = [sys.executable, "-c", FROM_SOURCE, str(Path(args.source).resolve())] if args.source else None
    with PtyApp(["--pane", "containers", *args.extra], env=env, size=args.size, command=command) as app:
        watcher = Watcher(app, pattern)
        if wanted:
            run.list_drawn = watcher.wait(lambda: watcher.names_seen() >= wanted, args.timeout)
        else:
            run.list_drawn = watcher.wait(lambda: EMPTY_MARK in app.output, args.timeout)
        if run.list_drawn is not None:
            run.cpu_drawn = cpu_seconds(app.pid)
        if args.keys and run.list_drawn is not None:
            mark = app.mark()
            app.press("i")
            run.keys_answered = watcher.wait(lambda: app.output.find(IMAGES_MARK, mark) >= 0, args.timeout)
        app.wait_quiet(0.3, timeout=5)
        if app.quit(timeout=10) is None:
            app.stop()
    if timeline is not None:
        run.phases = read_timeline(Path(timeline), app.started_at)
        os.unlink(timeline)
    return run


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (None when it is gone).

    Less hostage to the load of a shared machine than wall time: on 2 busy
    cores dockscope waits for the CPU as long as it uses it.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def read_timeline(path: Path, started_at: float) -> dict[str, tuple[float, float]]:
    """phase -> (seconds since exec, CPU seconds), the first time each phase was marked."""
    phases: dict[str, tuple[float, float]] = {}
    for line in path.read_text().splitlines():
        name, moment, cpu = line.split("\t")
        phases.setdefault(name, (float(moment) - started_at, float(cpu)))
    return phases


def summary(label: str, values: list[float | None]) -> str:
    seen = [v for v in values if v is not None]
    if not seen:
        return f"{label}: never seen"
    missed = len(values) - len(seen)
    text = f"{label}: median {statistics.median(seen):.2f} s, min {min(seen):.2f}, max {max(seen):.2f} ({len(seen)} runs"
    return text + (f", {missed} not seen)" if missed else ")")


def print_timeline(runs: list[Run]) -> None:
    names = {name for run in runs for name in run.phases}
    print("phase timeline (medians: seconds since exec, CPU seconds used by then):")
    for name in sorted(names, key=lambda n: statistics.median(r.phases[n][0] for r in runs if n in r.phases)):
        wall = statistics.median(r.phases[name][0] for r in runs if name in r.phases)
        cpu = statistics.median(r.phases[name][1] for r in runs if name in r.phases)
        print(f"  {wall:6.3f}  {cpu:6.3f}  {name}")
    drawn = [r for r in runs if r.list_drawn is not None and r.cpu_drawn is not None]
    if drawn:
        wall = statistics.median(r.list_drawn for r in drawn)
        cpu = statistics.median(r.cpu_drawn for r in drawn)
        print(f"  {wall:6.3f}  {cpu:6.3f}  list drawn (seen on the terminal)")


def parse_size(text: str) -> tuple[int, int]:
    columns, _, rows = text.lower().partition("x")
    return int(columns), int(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host", help="DOCKER_HOST of the daemon to list (only read)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", type=parse_size, default=(200, 50), help="terminal COLUMNSxROWS (default 200x50)")
    parser.add_argument("--names", type=int, default=10, help="distinct names that make the list drawn (default 10)")
    parser.add_argument("--timeline", action="store_true", help="record and print dockscope's start-up phases")
    parser.add_argument("--keys", action="store_true", help="also time a key pressed once the list is seen")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument(
        "--source", metavar="DIR",
        help="run the dockscope package found in DIR instead of the installed one "
        "(e.g. an older commit: git archive COMMIT dockscope | tar -x -C DIR)",
    )
    parser.add_argument("extra", nargs="*", help="more dockscope arguments (after --)")
    args = parser.parse_args(argv)
    names = container_names(args.host)
    wanted = min(len(names), args.names)
    source = f", dockscope from {args.source}" if args.source else ""
    print(f"{args.host}: {len(names)} containers{source}, terminal {args.size[0]}x{args.size[1]}, load {os.getloadavg()[0]:.2f}")
    runs = []
    for index in range(args.runs):
        run = one_run(args, names_pattern(names), wanted)
        runs.append(run)
        keys = f", keys answered {run.keys_answered:.3f}" if run.keys_answered is not None else ""
        drawn = f"{run.list_drawn:.3f}" if run.list_drawn is not None else "not seen"
        cpu = f", CPU {run.cpu_drawn:.2f} s" if run.cpu_drawn is not None else ""
        print(f"run {index + 1}: list drawn {drawn}{cpu}{keys}", flush=True)
    print(summary("list drawn", [r.list_drawn for r in runs]))
    print(summary("CPU used by then", [r.cpu_drawn for r in runs]))
    if args.keys:
        print(summary("keys answered", [r.keys_answered for r in runs]))
    if args.timeline:
        print_timeline(runs)
    print(f"load at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
