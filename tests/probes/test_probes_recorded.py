"""Probes whose condition cannot be made on the shared sandbox daemon (another storage
driver, a full disk, insecure registries...), over JSON recorded from the real
daemon with only the field in question changed; the recording itself is the
healthy counterpart."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dockscope.engine.model import Endpoint
from dockscope.engine.snapshot import RawHost, build_snapshot
from dockscope.probes import ProbeContext, exit_code_meaning, load_probes, run_probes
from dockscope.daemonlog import parse_line
from dockscope.probes.daemonlog import as_line, lines_near, parse_time, read_daemon_log
from dockscope.probes.model import FsUsage
from tests.probes.conftest import evidence_text

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded-20.10"


def _load(name: str):
    return json.loads((RECORDED / f"{name}.json").read_text())


def _context(info_change=None, volumes=None, images=None, **fields) -> ProbeContext:
    info = copy.deepcopy(_load("info"))
    if info_change:
        info_change(info)
    raw = RawHost(
        containers=_load("containers"), images=images if images is not None else _load("images"),
        networks=_load("networks"), volumes=volumes if volumes is not None else _load("volumes"),
        info=info, version=_load("version"), inspects=_load("inspects"),
    )
    snapshot = build_snapshot(raw, seq=1, taken_at=1.0, endpoint=Endpoint(url="unix:///x.sock", source="test"))
    return ProbeContext(snapshot=snapshot, **fields)


def _ids(context: ProbeContext, probe_id: str):
    found, errors = run_probes(context, [probe_id])
    assert errors == ()
    return found


def _set_driver_status(info, driver, d_type):
    info["Driver"] = driver
    info["DriverStatus"] = [["Backing Filesystem", "xfs"], ["Supports d_type", d_type]]


def test_storage_driver_other_than_overlay2():
    hits = _ids(_context(lambda info: _set_driver_status(info, "devicemapper", "true")), "storage.driver")
    assert len(hits) == 1 and hits[0].severity == "warning" and "Driver|devicemapper" in evidence_text(hits[0])
    assert _ids(_context(), "storage.driver") == ()


def test_backing_filesystem_without_d_type():
    hits = _ids(_context(lambda info: _set_driver_status(info, "overlay2", "false")), "storage.driver")
    assert len(hits) == 1 and hits[0].severity == "error" and "Supports d_type|false" in evidence_text(hits[0])


@pytest.mark.parametrize("free, severity", [(5, "error"), (15, "warning"), (30, None)])
def test_disk_space_thresholds(free, severity):
    context = _context(data_root=FsUsage("/var/lib/docker", 100_000_000_000, free * 1_000_000_000))
    hits = _ids(context, "storage.disk_space")
    assert [h.severity for h in hits] == ([severity] if severity else [])
    if hits:
        assert f"free|{free}.0 GB of 100.0 GB" in evidence_text(hits[0])


def test_insecure_registry_and_mirror_configured():
    def configure(info):
        info["RegistryConfig"]["InsecureRegistryCIDRs"] = ["127.0.0.0/8", "10.0.0.0/8"]
        info["RegistryConfig"]["Mirrors"] = ["https://mirror.example.internal/"]

    context = _context(configure)
    insecure = _ids(context, "registry.insecure")
    assert len(insecure) == 1 and "10.0.0.0/8" in evidence_text(insecure[0]) and "127.0.0.0/8" not in insecure[0].summary
    mirrors = _ids(context, "registry.mirrors")
    assert len(mirrors) == 1 and "https://mirror.example.internal/" in evidence_text(mirrors[0])
    assert _ids(_context(), "registry.insecure") == () and _ids(_context(), "registry.mirrors") == ()


def test_daemon_warning_other_than_networking():
    context = _context(lambda info: info["Warnings"].append("WARNING: No swap limit support"))
    hits = _ids(context, "daemon.warnings")
    assert [h.summary for h in hits] == ["the daemon warns: No swap limit support"]


def test_ip_forwarding_not_reported_without_the_warning():
    assert len(_ids(_context(), "network.ip_forwarding")) == 1
    assert _ids(_context(lambda info: info.update(Warnings=[])), "network.ip_forwarding") == ()


def test_two_anonymous_volumes_are_not_a_pileup():
    volumes = [{"Name": c * 64, "Driver": "local", "Mountpoint": "/x", "Scope": "local", "Labels": None} for c in "ab"]
    assert _ids(_context(volumes=volumes), "volume.anonymous_pileup") == ()
    volumes.append({"Name": "c" * 64, "Driver": "local", "Mountpoint": "/x", "Scope": "local", "Labels": None})
    assert len(_ids(_context(volumes=volumes), "volume.anonymous_pileup")) == 1


def test_no_dangling_image_no_finding():
    tagged = [image for image in _load("images") if image.get("RepoTags") not in (None, [], ["<none>:<none>"])]
    assert _ids(_context(images=tagged), "image.dangling") == ()


def _log(tmp_path, *lines: str) -> str:
    path = tmp_path / "dockerd.log"
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


NOW = parse_time("2026-11-28T03:00:00Z")


def test_daemon_log_counterparts(tmp_path):
    path = _log(
        tmp_path,
        'time="2026-11-28T02:59:00.000000001Z" level=info msg="Loading containers: done."',
        'time="2026-11-28T01:00:00.000000001Z" level=error msg="Handler for POST /v1.41/images/create returned error: manifest unknown"',
    )
    log = read_daemon_log(path, {}, local=True)
    context = _context(daemon_log=log.records, daemon_log_source=log.location, daemon_log_kind=log.kind, now=NOW)
    assert _ids(context, "daemon.log_errors") == (), "info lines are not errors"
    assert _ids(context, "registry.pull_failed") == (), "a failure two hours ago is not in the last hour"
    assert _ids(context, "daemon.log_unread") == ()
    missing = read_daemon_log(str(tmp_path / "none.log"), {}, local=True)
    assert missing.records == () and "does not exist" in missing.problem
    unread = _ids(_context(now=NOW, daemon_log_problem=missing.problem), "daemon.log_unread")
    assert len(unread) == 1 and "--daemon-log" in unread[0].summary and "does not exist" in evidence_text(unread[0])


@pytest.mark.parametrize("message, cause", [
    ("pull access denied for x, repository does not exist or may require 'docker login': denied: requested access", "auth"),
    ("manifest for registry.local/app:9 not found: manifest unknown: manifest unknown", "manifest unknown"),
    ('Get \\"https://registry.local/v2/\\": dial tcp: lookup registry.local: no such host', "unreachable"),
])
def test_pull_failure_causes(tmp_path, message, cause):
    path = _log(tmp_path, f'time="2026-11-28T02:59:00Z" level=error msg="Handler for POST /v1.41/images/create returned error: {message}"')
    log = read_daemon_log(path, {}, local=True)
    hits = _ids(_context(daemon_log=log.records, daemon_log_source=log.location, daemon_log_kind=log.kind, now=NOW),
                "registry.pull_failed")
    assert len(hits) == 1 and hits[0].summary.endswith(cause)
    assert hits[0].confirm == f"grep -E images/create {path} | tail -50"


def test_daemon_log_times_and_windows(tmp_path):
    assert parse_time("2026-11-28T02:52:37.180582641Z") == pytest.approx(NOW - 442.819417, abs=1e-5)
    assert parse_time("2026-11-28T02:52:37Z") == NOW - 443
    assert parse_time("0001-01-01T00:00:00Z") is None and parse_time("garbage") is None
    record = parse_line('time="2026-11-28T02:52:37Z" level=error msg="boom" container=abc')
    assert as_line(record) == ("2026-11-28T02:52:37Z", "error: boom container=abc")
    records = [parse_line(f'time="{when}" level=info msg="{what}"') for when, what in
               (("2026-11-28T02:59:50Z", "near"), ("2026-11-28T02:00:00Z", "far"))] + [parse_line("no time")]
    assert lines_near(records, NOW, 30) == (("2026-11-28T02:59:50Z", "info: near"),)


@pytest.mark.parametrize("code, oom, words", [
    (0, False, "normally"), (1, False, "application error"), (125, False, "daemon could not run"),
    (126, False, "cannot be executed"), (127, False, "not found"), (137, True, "OOM killer"),
    (137, False, "SIGKILL"), (139, False, "segmentation fault"), (143, False, "SIGTERM"), (134, False, "SIGABRT"),
    (131, False, "signal SIGQUIT"), (3, False, "application-specific"),
])
def test_exit_code_meanings(code, oom, words):
    assert words in exit_code_meaning(code, oom)


def test_registry_has_25_probes_over_every_component():
    probes = load_probes()
    assert len(probes) >= 25
    assert {p.component for p in probes.values()} == {"client", "daemon", "image", "registry", "container", "network", "volume", "storage"}
    assert all(probe_id.split(".")[0] in ("client", "daemon", "image", "registry", "container", "network", "volume", "storage")
               for probe_id in probes)


def test_every_probe_is_named_by_a_test():
    here = Path(__file__).resolve().parent
    text = "\n".join(path.read_text() for path in here.glob("test_*.py"))
    untested = [probe_id for probe_id in load_probes() if f'"{probe_id}"' not in text]
    assert untested == []
