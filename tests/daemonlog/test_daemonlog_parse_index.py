"""Parsing and indexing the sandbox daemon's real log, following a growing file, discovery."""

from __future__ import annotations

import os

import pytest

from dockscope.daemonlog import LEVELS, LineIndex, discover, level_pattern, parse_line
from dockscope.daemonlog.parse import level_rank
from dockscope.daemonlog.sources import desktop_log_paths, journal_message

SANDBOX_LOG = os.environ.get("DOCKSCOPE_DAEMON_LOG", "/var/log/dockscope-sandbox/dockerd-20.10.log")


@pytest.fixture
def sandbox_lines() -> list[bytes]:
    with open(SANDBOX_LOG, "rb") as handle:
        data = handle.read()
    return data[: data.rfind(b"\n") + 1].split(b"\n")[:-1]


def test_every_sandbox_line_parses_into_time_level_message(sandbox_lines):
    assert len(sandbox_lines) > 50
    records = [parse_line(line) for line in sandbox_lines]
    for line, record in zip(sandbox_lines, records):
        if line.startswith(b'time="'):
            assert record.time.startswith("20"), line
            assert record.level in LEVELS, line
            assert record.message or b'msg=""' in line, line
    starting = next(r for r in records if r.message == "Starting up")
    assert starting.level == "info"
    assert any(("module", "grpc") in r.fields for r in records)


def test_quoted_values_and_other_formats():
    record = parse_line('time="t" level=error msg="say \\"hi\\"\\nthere" container=abc err="a b=c"')
    assert (record.level, record.message) == ("error", 'say "hi"\nthere')
    assert record.fields == (("container", "abc"), ("err", "a b=c"))
    tty = parse_line("WARN[2026-11-28T00:00:00.000000000Z] disk low          dir=/var/lib/docker")
    assert (tty.level, tty.time, tty.message, tty.fields) == ("warning", "2026-11-28T00:00:00.000000000Z", "disk low", (("dir", "/var/lib/docker"),))
    js = parse_line(b'{"level":"fatal","msg":"boom","time":"x","n":3}')
    assert (js.level, js.message, js.fields) == ("fatal", "boom", (("n", "3"),))
    plain = parse_line(b"panic: runtime error\xff")
    assert (plain.level, plain.message) == ("", "panic: runtime error\\xff")


def test_index_reads_exactly_the_file(sandbox_lines):
    index = LineIndex(SANDBOX_LOG)
    index.update()
    count = index.line_count
    assert count >= len(sandbox_lines)
    assert index.lines(0, len(sandbox_lines)) == sandbox_lines
    assert index.lines(63, 3) == sandbox_lines[63:66]
    assert index.lines(count - 2, 10) == index.lines(count - 2, 2)
    index.close()


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_level_scan_agrees_with_the_parser(sandbox_lines, level):
    index = LineIndex(SANDBOX_LOG)
    index.update()
    expected = [i for i, line in enumerate(sandbox_lines) if parse_line(line).rank >= level_rank(level)]
    found = [i for i in index.scan(level_pattern(level)) if i < len(sandbox_lines)]
    assert found == expected
    index.close()


def test_search_finds_the_first_match_after_the_cursor_and_wraps(sandbox_lines):
    index = LineIndex(SANDBOX_LOG)
    index.update()
    needle = "Loading containers"
    hits = [i for i, line in enumerate(sandbox_lines) if needle.lower().encode() in line.lower()]
    assert hits
    assert index.search(needle.upper(), 0) == hits[0]
    assert index.search(needle, hits[0] + 1) == (hits[1] if len(hits) > 1 else hits[0])
    assert index.search("no such text anywhere 1f0e", 0) is None
    index.close()


def test_follow_a_growing_file_and_a_truncated_one(tmp_path):
    path = tmp_path / "dockerd.log"
    path.write_bytes(b'time="1" level=info msg="one"\ntime="2" level=info msg="tw')
    index = LineIndex(str(path))
    assert index.update() == 1
    with open(path, "ab") as handle:
        handle.write(b'o"\n' + b"".join(b'time="3" level=warning msg="n%d"\n' % i for i in range(200)))
    assert index.update() == 201
    assert parse_line(index.lines(1, 1)[0]).message == "two"
    assert parse_line(index.lines(200, 1)[0]).message == "n198"
    path.write_bytes(b'time="9" level=error msg="after rotation"\n')
    assert index.generation == 0
    index.update()
    assert index.generation == 1, "line numbers changed meaning"
    assert index.line_count == 1
    assert parse_line(index.lines(0, 1)[0]).message == "after rotation"
    index.close()


def test_discovery_order_and_reasons(tmp_path):
    log = tmp_path / "d.log"
    log.write_text("x\n")
    assert discover(str(log), {}, journal=lambda unit: None).source.found_by == "--daemon-log"
    by_env = discover(None, {"DOCKSCOPE_DAEMON_LOG": str(log)}, journal=lambda unit: None)
    assert (by_env.source.location, by_env.source.found_by) == (str(log), "DOCKSCOPE_DAEMON_LOG")
    missing = discover(str(tmp_path / "nope.log"), {}, journal=lambda unit: None)
    assert missing.source is None and "does not exist" in missing.explain()
    journald = discover(None, {}, journal=lambda unit: None, home=str(tmp_path))
    assert (journald.source.kind, journald.source.location) == ("journald", "docker")
    remote = discover(None, {}, local=False, journal=lambda unit: None)
    assert remote.source is None and "remote" in remote.explain()
    desktop = tmp_path / ".docker/desktop/log/vm/dockerd.log"
    desktop.parent.mkdir(parents=True)
    desktop.write_text("x\n")
    found = discover(None, {}, journal=lambda unit: "no journal here", home=str(tmp_path), platform="linux")
    if not any(os.path.exists(p) for p in ("/var/log/docker.log", "/var/log/dockerd.log", "/var/log/upstart/docker.log")):
        assert found.source.location == str(desktop)
        assert found.tried[0] == "no journal here"


def test_desktop_paths_per_platform_and_journal_messages():
    assert desktop_log_paths("/Users/me", {}, "darwin")[0].endswith("com.docker.docker/Data/log/vm/dockerd.log")
    assert desktop_log_paths("C:\\Users\\me", {"LOCALAPPDATA": "L:"}, "win32")[0] == "L:\\Docker\\log\\vm\\dockerd.log"
    assert journal_message({"MESSAGE": 'time="t" level=info msg="x"'}) == b'time="t" level=info msg="x"'
    assert journal_message({"MESSAGE": [104, 105, 255]}) == b"hi\xff"
