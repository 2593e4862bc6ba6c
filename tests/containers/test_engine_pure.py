"""Pure parts of the containers engine: stats maths, log frames and lines, errors in words."""

from __future__ import annotations

import struct

import pytest

from dockscope.engine.actions import ContainerActions, ReadOnlyError, explain
from dockscope.engine.logs import (
    FrameDecoder,
    LineAssembler,
    LogRing,
    PendingLines,
    empty_reason,
    parse_since,
    short_time,
    unreadable_reason,
)
from dockscope.engine.stats import cpu_percent, memory_used, online_cpus, sample_from, supports_one_shot

# Trimmed from a real /containers/{id}/stats?stream=false answer of the sandbox (cgroup v1).
V1_STATS = {
    "cpu_stats": {"cpu_usage": {"total_usage": 2_600_000_000, "percpu_usage": [1_300_000_000, 1_300_000_000]},
                  "system_cpu_usage": 40_000_000_000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 2_100_000_000}, "system_cpu_usage": 38_000_000_000, "online_cpus": 2},
    "memory_stats": {"usage": 10_000_000, "limit": 67_108_864,
                     "stats": {"total_inactive_file": 4_000_000, "inactive_file": 3_000_000, "cache": 5_000_000}},
}
# The same numbers as a cgroup v2 host reports them.
V2_STATS = {
    "cpu_stats": {"cpu_usage": {"total_usage": 2_600_000_000}, "system_cpu_usage": 40_000_000_000, "online_cpus": 4},
    "precpu_stats": {"cpu_usage": {"total_usage": 2_100_000_000}, "system_cpu_usage": 38_000_000_000},
    "memory_stats": {"usage": 10_000_000, "limit": 67_108_864, "stats": {"inactive_file": 3_000_000, "file": 6_000_000}},
}


def test_cpu_percent_is_the_docker_cli_formula() -> None:
    # (0.5e9 / 2e9) * 2 CPUs * 100
    assert cpu_percent(V1_STATS["cpu_stats"], V1_STATS["precpu_stats"]) == pytest.approx(50.0)
    assert cpu_percent(V2_STATS["cpu_stats"], V2_STATS["precpu_stats"]) == pytest.approx(100.0)


def test_cpu_percent_needs_a_previous_sample_and_falls_back_to_percpu() -> None:
    assert cpu_percent(V1_STATS["cpu_stats"], {}) is None
    assert cpu_percent(V1_STATS["cpu_stats"], {"cpu_usage": {"total_usage": 1}}) is None
    no_online = {"cpu_usage": {"total_usage": 5, "percpu_usage": [1, 2, 3]}, "system_cpu_usage": 10}
    assert online_cpus(no_online) == 3
    same_tick = dict(V1_STATS["precpu_stats"])
    assert cpu_percent(same_tick, same_tick) == 0.0


def test_memory_subtracts_inactive_file_like_the_cli() -> None:
    assert memory_used(V1_STATS["memory_stats"]) == 6_000_000  # usage - total_inactive_file (v1)
    assert memory_used(V2_STATS["memory_stats"]) == 7_000_000  # usage - inactive_file (v2)
    assert memory_used({"usage": 100, "stats": {"total_inactive_file": 500, "inactive_file": 40}}) == 60
    assert memory_used({"usage": 100, "stats": {}}) == 100
    assert memory_used({}) is None


def test_one_shot_sample_uses_our_previous_cpu_stats() -> None:
    one_shot = {**V1_STATS, "precpu_stats": {"cpu_usage": {"total_usage": 0}}}
    assert sample_from("c", one_shot).cpu_percent is None
    sample = sample_from("c", one_shot, previous_cpu=V1_STATS["precpu_stats"])
    assert sample.cpu_percent == pytest.approx(50.0)
    assert sample.memory_percent == pytest.approx(6_000_000 / 67_108_864 * 100)
    assert supports_one_shot("1.41") and supports_one_shot("1.45") and not supports_one_shot("1.40")


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_frames_split_anywhere_are_decoded() -> None:
    data = frame(1, b"hello\n") + frame(2, b"oops\n") + frame(1, b"")
    decoder = FrameDecoder()
    frames = []
    for index in range(0, len(data), 3):
        frames += decoder.feed(data[index : index + 3])
    assert frames == [("stdout", b"hello\n"), ("stderr", b"oops\n"), ("stdout", b"")]
    assert FrameDecoder(multiplexed=False).feed(b"raw tty") == [("stdout", b"raw tty")]


def test_long_lines_cut_into_16k_frames_are_joined_and_continuation_timestamps_dropped() -> None:
    assembler = LineAssembler(timestamps=True)
    line = b"x" * 40_000
    pieces = [line[i : i + 16384] for i in range(0, len(line), 16384)]
    lines = []
    for index, piece in enumerate(pieces):
        ts = f"2024-05-01T12:00:0{index}.000000001Z ".encode()
        lines += assembler.feed("stdout", ts + piece + (b"\n" if index == len(pieces) - 1 else b""))
    assert len(lines) == 1
    assert lines[0].text == "x" * 40_000
    assert lines[0].timestamp == "2024-05-01T12:00:00.000000001Z"


def test_streams_are_joined_separately_and_leftovers_flushed() -> None:
    assembler = LineAssembler(timestamps=False)
    assert assembler.feed("stdout", b"par") == []
    assert [l.text for l in assembler.feed("stderr", b"err line\n")] == ["err line"]
    assert [(l.stream, l.text) for l in assembler.feed("stdout", b"tial\nnext")] == [("stdout", "partial")]
    assert [(l.stream, l.text, l.seq) for l in assembler.flush()] == [("stdout", "next", 2)]


def test_invalid_utf8_and_controls_are_visible_not_acting() -> None:
    assembler = LineAssembler(timestamps=False)
    (line,) = assembler.feed("stdout", b"bad \xff\xfe byte \x1b]52;c;AAAA\x07 \x1b[2J end\r\n")
    assert "\\xff\\xfe" in line.text
    assert "\x1b" not in line.text and "\x07" not in line.text
    assert line.text.endswith("end")


def test_overlong_line_is_capped_and_says_so() -> None:
    assembler = LineAssembler(timestamps=False, max_line_bytes=100)
    (line,) = assembler.feed("stdout", b"y" * 250 + b"\n")
    assert len(line.text) == 100 and line.cut_bytes == 150
    assert line.display.endswith("[150 more bytes not kept]")


def test_ring_and_pending_stay_bounded() -> None:
    assembler = LineAssembler(timestamps=False)
    lines = assembler.feed("stdout", b"".join(b"line %d\n" % i for i in range(1000)))
    ring = LogRing(100)
    ring.extend(lines)
    assert len(ring) == 100 and ring.dropped == 900
    assert ring.first_seq == 900 and ring.get(950).text == "line 950" and ring.get(10) is None
    pending = PendingLines(50)
    pending.put(lines[:40])
    pending.put(lines[40:100])
    drained = pending.drain()
    assert len(drained) == 50 and pending.dropped == 50 and drained[-1].text == "line 99"
    assert pending.drain() == []


def test_since_parsing() -> None:
    assert parse_since("10m", now=10_000) == 9_400
    assert parse_since("2h", now=10_000) == 10_000 - 7200
    assert parse_since("90", now=100) == 10
    assert parse_since("2024-05-01T12:00:00Z") == 1714564800
    assert parse_since("2024-05-01T12:00") == 1714564800
    assert parse_since("") is None
    with pytest.raises(ValueError, match="not a duration"):
        parse_since("yesterday-ish")
    assert short_time("2024-05-01T12:00:00.123456789Z") == "2024-05-01 12:00:00.123"


def test_empty_and_unreadable_reasons_say_why() -> None:
    assert "driver 'none'" in unreadable_reason("anything", "none")
    gelf = unreadable_reason('configured logging driver does not support reading', "gelf")
    assert "'gelf'" in gelf and "cannot read" in gelf
    assert unreadable_reason("No such container: x", "json-file") is None
    assert "removed" in empty_reason(state="", driver="", since=None, started_at="", removed=True)
    assert "never started" in empty_reason(state="created", driver="json-file", since=None, started_at="0001-01-01T00:00:00Z")
    assert "since" in empty_reason(state="running", driver="json-file", since=1714564800, started_at="2024-05-01T11:00:00Z")
    assert "not written anything" in empty_reason(state="running", driver="json-file", since=None, started_at="2024-05-01T11:00:00Z")


class _Refusal(Exception):
    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(explanation)
        self.explanation = explanation
        self.response = type("Response", (), {"status_code": status})()


@pytest.mark.parametrize(
    ("status", "daemon_says", "expected"),
    [
        (404, "No such container: abc", "gone"),
        (409, "Container abc is restarting, wait until the container is running", "restarting"),
        (409, "removal of container abc is already in progress", "already in progress"),
        (409, "You cannot remove a running container abc. Stop the container before attempting removal", "running; stop it"),
        (500, "driver failed programming external connectivity: Bind for 127.0.0.1:8080: bind: address already in use", "port is already taken"),
        (409, "Container abc is paused, unpause the container before exec", "paused; unpause"),
    ],
)
def test_daemon_refusals_are_explained(status: int, daemon_says: str, expected: str) -> None:
    message = explain(_Refusal(status, daemon_says), "stop", "web")
    assert message.startswith("web: ") and expected in message


def test_read_only_refuses_before_any_request() -> None:
    class NoClient:
        def __getattr__(self, name):
            raise AssertionError(f"read-only actions must not reach the client ({name})")

    actions = ContainerActions(NoClient(), read_only=True)
    for call in (actions.start, actions.stop, actions.restart, actions.pause, actions.unpause, actions.kill, actions.remove, actions.find_shell):
        with pytest.raises(ReadOnlyError, match="read-only"):
            call("0123456789abcdef")
    with pytest.raises(ReadOnlyError):
        actions.prune()
    with pytest.raises(ReadOnlyError):
        actions.bulk("stop", [("a", "b")])


def test_exec_without_the_docker_cli_says_what_to_install(monkeypatch, tmp_path) -> None:
    from dockscope.engine.actions import ActionError, exec_command
    from dockscope.engine.model import Endpoint

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no docker binary on it
    with pytest.raises(ActionError, match=r"needs the docker CLI \(not found\): install docker-ce-cli") as raised:
        exec_command(Endpoint(url="unix:///run/docker.sock", source="test"), "f" * 64, "/bin/sh")
    assert "docker exec -it ffffffffffff /bin/sh" in str(raised.value)


def test_exec_through_a_context_uses_the_context(monkeypatch, tmp_path) -> None:
    from dockscope.engine.actions import exec_command
    from dockscope.engine.model import Endpoint

    fake_cli = tmp_path / "docker"
    fake_cli.write_text("#!/bin/sh\n")
    fake_cli.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    argv, env = exec_command(Endpoint(url="ssh://me@box", source="context", context="box"), "a" * 64, "/bin/bash")
    assert argv == [str(fake_cli), "--context", "box", "exec", "-it", "a" * 64, "/bin/bash"]


def test_log_timestamps_keep_their_fraction() -> None:
    from dockscope.engine.logs import timestamp_epoch

    assert timestamp_epoch("2024-05-01T12:00:00.250000000Z") == pytest.approx(1714564800.25)
    assert timestamp_epoch("2024-05-01T14:00:00.5+02:00") == pytest.approx(1714564800.5)
    assert timestamp_epoch("2024-05-01T12:00:00Z") == 1714564800
    assert timestamp_epoch("not a time") is None
