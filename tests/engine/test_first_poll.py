"""The first snapshot taken in a child process while the dashboard imports Textual (dockscope.startup)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: forking the test process, which has threads, is not safe.
PROGRAM = """
import argparse, json, sys
from dockscope import cli
from dockscope.startup import FirstPollError, begin_first_poll

args = argparse.Namespace(host=sys.argv[1], context=None, timeout=5.0)
opened = begin_first_poll(args, cli._connect_and_poll)()
if isinstance(opened, FirstPollError):
    print(json.dumps({"error": str(opened), "direct": str(cli._try_connect(args))}))
    raise SystemExit(0)
endpoint, session, snapshot = opened
report = {
    "client": type(session.client).__name__,
    "docker_before_use": "docker" in sys.modules,
    "opened_before_use": session.client.opened,
    "api_version": session.api_version,
    "seq": snapshot.seq,
    "containers": sorted(c.id for c in snapshot.containers),
    "endpoint": endpoint.url,
}
second = session.poll()
report.update(second_seq=second.seq, second_stale=second.stale, opened_after_use=session.client.opened,
              second_containers=sorted(c.id for c in second.containers))
print(json.dumps(report))
"""


def run(host: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, host], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True,
    )
    return json.loads(result.stdout)


def test_child_takes_the_first_snapshot_and_the_client_is_made_on_first_use(docker_host, client, demo):
    report = run(docker_host)
    assert report["endpoint"] == docker_host
    assert report["client"] == "LazyClient"
    assert not report["docker_before_use"], "this process did not import docker-py for the first frame"
    assert not report["opened_before_use"]
    assert report["api_version"] == client.api_version
    assert report["seq"] == 0, "the session's own snapshots (from 1) come after it"
    ours = set(demo.containers.values())
    assert ours and ours <= set(report["containers"])
    assert report["second_seq"] == 1 and not report["second_stale"]
    assert report["opened_after_use"]
    assert ours <= set(report["second_containers"])


def test_a_failed_connect_in_the_child_reads_as_it_would_here(tmp_path):
    report = run(f"unix://{tmp_path}/no-daemon.sock")
    assert report["error"] == report["direct"]
    assert "no-daemon.sock" in report["error"]
