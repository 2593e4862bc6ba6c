#!/usr/bin/env python3
"""Key latency and cycle-collector pauses while following a chatty container, per collector pace.

One command (as root, with the sandbox daemon up)::

    .venv/bin/python benchmarks/gc_bench.py                  # 3 rounds; writes benchmarks/results/gc.md
    .venv/bin/python benchmarks/gc_bench.py --rss-minutes 10 # and RSS side by side at 500 containers

Each round runs the log-follow measurement of ``scale_bench.py`` (a
container writing ~3,000 lines/s, the search prompt opened and closed every
~0.5 s, key latency from press to prompt drawn) once with Python's default
young-collection threshold (700) and once with dockscope's
(:data:`dockscope.heap.YOUNG_THRESHOLD`), alternated so both see the same
machine. dockscope runs under this file (``--child``), which sets the
threshold asked for and logs every collection's generation and duration.
Single runs on a shared machine vary a lot; read the rounds side by side.

With ``--rss-minutes M`` it then starts ``--count`` (500) idle containers and
runs three dockscopes at once on the same daemon and terminal size (young
700; 10,000 without the housekeeper's idle full collections; 10,000 as
shipped), sampling each one's RSS every 30 s for M minutes: a slower
collector leaves more cyclic garbage alive between collections, and this
shows how much, and what the idle collections take back.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_YOUNG = 700
#: Set in a child's environment: no full collections from dockscope's housekeeper (as before it had them).
NO_IDLE_COLLECT = "DOCKSCOPE_BENCH_NO_IDLE_COLLECT"


def child(young: int, log_path: str, argv: list[str]) -> int:
    """Run dockscope with the young threshold ``young``, every collection logged as 'generation milliseconds'."""
    log = open(log_path, "w", buffering=1)
    started = [0.0]

    def on_collect(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            log.write(f"{info['generation']} {1000 * (time.perf_counter() - started[0]):.2f}\n")

    gc.callbacks.append(on_collect)
    import dockscope.heap

    dockscope.heap.YOUNG_THRESHOLD = young  # what heap.tune_collector sets, first thing in main
    if os.environ.get(NO_IDLE_COLLECT):
        dockscope.heap.Housekeeper.due = lambda self: False
    from dockscope.cli import main

    return main(argv)


def summarise(log_path: str) -> dict[int, list[float]]:
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    for line in Path(log_path).read_text().splitlines():
        generation, ms = line.split()
        pauses[int(generation)].append(float(ms))
    return pauses


def child_command(young: int) -> tuple[list[str], str]:
    """The command running dockscope through :func:`child` at pace ``young``, and its collection log's path."""
    with tempfile.NamedTemporaryFile(prefix="dockscope-gc-", suffix=".log", delete=False) as handle:
        return [sys.executable, __file__, "--child", str(young), handle.name], handle.name


def rss_arms() -> list[tuple[str, int, bool]]:
    """(label, young threshold, idle full collections) of each dockscope the RSS watch runs at once."""
    from dockscope.heap import YOUNG_THRESHOLD

    return [
        (f"young {DEFAULT_YOUNG}", DEFAULT_YOUNG, True),
        (f"young {YOUNG_THRESHOLD:,}, no idle collections", YOUNG_THRESHOLD, False),
        (f"young {YOUNG_THRESHOLD:,} (as shipped)", YOUNG_THRESHOLD, True),
    ]


def rss_side_by_side(bench, fleet, minutes: float) -> tuple[list[str], list[str]]:
    """Run each arm of :func:`rss_arms` at once on the idle fleet: a row of RSS and collections so far every 30 s,
    and a line per arm on its full collections."""
    import re

    from tests.hardening.terminal import PtyApp

    names = re.compile(rb"0bench-" + fleet.run.encode() + rb"-(\d{3})")
    logs, apps = [], []
    try:
        for _label, young, idle_collect in rss_arms():
            command, log_path = child_command(young)
            logs.append(log_path)
            env = {"DOCKER_HOST": bench.SANDBOX_HOST, NO_IDLE_COLLECT: "" if idle_collect else "1"}
            apps.append(PtyApp(["--pane", "containers"], env=env, command=command).start())
        for app in apps:
            if app.wait_for(names, timeout=60) is None:
                raise RuntimeError("the container list was never drawn")
        time.sleep(5)
        rows = []
        began = time.monotonic()
        while True:
            elapsed = time.monotonic() - began
            rss = " | ".join(f"{bench.rss_mb(app.pid):.1f}" for app in apps)
            counts = " | ".join(" / ".join(str(len(summarise(log)[g])) for g in (0, 1, 2)) for log in logs)
            row = f"| {elapsed / 60:.1f} | {rss} | {counts} |"
            print(row, flush=True)
            rows.append(row)
            if elapsed >= minutes * 60 or not all(app.running() for app in apps):
                break
            time.sleep(max(0.0, 30 - (time.monotonic() - began - elapsed)))
        fulls = []
        for (label, _young, _idle), log in zip(rss_arms(), logs):
            full = summarise(log)[2]
            fulls.append(
                f"- {label}: {len(full)} full collections, "
                + (f"{statistics.mean(full):.0f} ms mean, {max(full):.0f} ms max" if full else "none")
            )
        return rows, fulls
    finally:
        for app in apps:
            if app.running():
                app.quit(timeout=15)
            app.stop()
        for log in logs:
            os.unlink(log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="presses per run (default: 30 s)")
    parser.add_argument("--rss-minutes", type=float, default=0.0, help="then RSS of both paces side by side (default: skip)")
    parser.add_argument("--count", type=int, default=500, help="idle containers for the RSS watch (default: 500)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "gc.md"), help="markdown report (- for none)")
    args = parser.parse_args()

    import scale_bench as bench
    from dockscope.engine.connect import open_client
    from dockscope.engine.endpoint import resolve_endpoint
    from dockscope.heap import YOUNG_THRESHOLD

    client = open_client(resolve_endpoint(host=bench.SANDBOX_HOST, env={}), timeout=120)
    info = bench.machine_info(client)
    fleet = bench.Fleet(client, uuid.uuid4().hex[:6])
    rows: list[str] = []
    rss_rows: list[str] = []
    rss_fulls: list[str] = []
    try:
        fleet.build_image()
        for round_ in range(1, args.rounds + 1):
            for young in (DEFAULT_YOUNG, YOUNG_THRESHOLD):
                command, log_path = child_command(young)
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                figures = bench.measure_log_follow(client, fleet, args.seconds, quiet_seconds=10, command=command)
                pauses = summarise(log_path)
                os.unlink(log_path)
                latencies = figures.latencies_ms or [float("nan")]
                row = (
                    f"| {round_} | {young:,} | {load} | {figures.lines_per_s:,.0f} | {len(figures.latencies_ms)} ({figures.missed}) "
                    f"| {statistics.median(latencies):.0f} | {bench.percentile(latencies, 0.95):.0f} | {max(latencies):.0f} "
                    f"| {figures.cpu_pct:.0f} | {len(pauses[0])} / {len(pauses[1])} / {len(pauses[2])} "
                    f"| {statistics.mean(pauses[2]) if pauses[2] else 0:.0f} ({max(pauses[2], default=0):.0f}) "
                    f"| {sum(map(sum, pauses.values())) / 1000:.1f} | {figures.rss_mb[-1][1] if figures.rss_mb else 0:.0f} |"
                )
                print(row, flush=True)
                rows.append(row)
        if args.rss_minutes > 0:
            fleet.grow_to(args.count)
            rss_rows, rss_fulls = rss_side_by_side(bench, fleet, args.rss_minutes)
    finally:
        fleet.clear()
    text = "\n".join(
        [
            "# Cycle-collector pace: key latency while following a chatty container",
            "",
            f"Measured {info['when']} with `benchmarks/gc_bench.py {' '.join(sys.argv[1:])}` on {info['machine']}; "
            f"dockerd {info['engine']}. Terminal 200x50; each run follows for 10 s with no key, then presses / and Escape "
            f"every ~0.5 s for {args.seconds:g} s. Young threshold {DEFAULT_YOUNG} is Python's default, "
            f"{YOUNG_THRESHOLD:,} dockscope's (`dockscope.heap.tune_collector`). Latency: press until the prompt is drawn. "
            "Collections and GC time cover the whole run, start-up included.",
            "",
            "| round | young threshold | load at start | lines/s | presses (missed) | latency median ms | p95 ms | max ms "
            "| CPU % | collections gen0 / gen1 / gen2 | full collection ms mean (max) | GC time s | RSS MB at end |",
            "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
            *rows,
            "",
        ]
        + (
            [
                f"## RSS side by side at {args.count} containers",
                "",
                f"Three at once for {args.rss_minutes:g} minutes after the first list, idle on the containers pane "
                "(200x50), RSS every 30 s. 'Idle collections': dockscope's housekeeper runs a full collection every "
                "2 minutes when no key was pressed for 5 s (`dockscope.heap.Housekeeper`). Collections count from start "
                "(gen0 / gen1 / gen2; gen2 is a full collection).",
                "",
                "| minutes | " + " | ".join(f"RSS MB, {label}" for label, _y, _i in rss_arms()) + " | "
                + " | ".join(f"collections, {label}" for label, _y, _i in rss_arms()) + " |",
                "| ---: | ---: | ---: | ---: | --- | --- | --- |",
                *rss_rows,
                "",
                *rss_fulls,
                "",
            ]
            if rss_rows
            else []
        )
    )
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        raise SystemExit(child(int(sys.argv[2]), sys.argv[3], sys.argv[4:]))
    raise SystemExit(main())
