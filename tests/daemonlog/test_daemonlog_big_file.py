"""A generated 1 GB daemon log: opened in steps, read, searched and filtered without loading it.

Prints the figures (time to the first screen, full index, search, scan, RSS);
asserts only correctness and a memory bound, never a duration.
"""

from __future__ import annotations

import time

import pytest

from dockscope.daemonlog import LineIndex, level_pattern, parse_line

GIB = 1024 * 1024 * 1024
NEEDLE = "needle-7f3a unique marker"


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def _block() -> tuple[bytes, int, int]:
    """About 1 MiB of realistic dockerd lines; returns (bytes, lines, error lines)."""
    templates = [
        'time="2026-11-28T03:{m:02d}:{s:02d}.{n:09d}Z" level=info msg="ignoring event" container={n:064x} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"',
        'time="2026-11-28T03:{m:02d}:{s:02d}.{n:09d}Z" level=debug msg="Calling GET /v1.41/containers/json?all=1"',
        'time="2026-11-28T03:{m:02d}:{s:02d}.{n:09d}Z" level=warning msg="Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."',
        'time="2026-11-28T03:{m:02d}:{s:02d}.{n:09d}Z" level=error msg="Handler for POST /v1.41/containers/{n:x}/start returned error: driver failed programming external connectivity"',
    ]
    lines, errors, n = [], 0, 0
    size = 0
    while size < 1024 * 1024:
        template = templates[3] if n % 1000 == 999 else templates[n % 3]
        line = template.format(m=n % 60, s=(n // 60) % 60, n=n).encode() + b"\n"
        errors += template.count("level=error")
        lines.append(line)
        size += len(line)
        n += 1
    return b"".join(lines), len(lines), errors


@pytest.fixture
def gigabyte_log(tmp_path):
    block, block_lines, block_errors = _block()
    blocks = -(-GIB // len(block))
    path = tmp_path / "dockerd-1g.log"
    needle_at = None
    with open(path, "wb") as handle:
        for number in range(blocks):
            handle.write(block)
            if number == blocks - 3:
                needle_at = (number + 1) * block_lines
                handle.write(f'time="2026-11-28T04:00:00Z" level=error msg="{NEEDLE}"\n'.encode())
    yield path, blocks * block_lines + 1, needle_at, blocks * block_errors + 1
    path.unlink()


def test_open_read_search_and_filter_a_gigabyte_without_loading_it(gigabyte_log):
    path, total_lines, needle_at, error_lines = gigabyte_log
    size = path.stat().st_size
    assert size >= GIB
    rss_before = _rss_kib()
    started = time.perf_counter()
    index = LineIndex(str(path))
    index.update(max_bytes=8 * 1024 * 1024)
    first_screen = index.lines(0, 50)
    first_screen_s = time.perf_counter() - started
    assert len(first_screen) == 50 and parse_line(first_screen[0]).level == "info"
    assert index.remaining_bytes() > size // 2
    index.update()
    indexed_s = time.perf_counter() - started
    assert index.line_count == total_lines
    assert index.remaining_bytes() == 0
    middle = total_lines // 2
    assert len(index.lines(middle, 30)) == 30
    started = time.perf_counter()
    found = index.search(NEEDLE.upper(), 0)
    search_s = time.perf_counter() - started
    assert found == needle_at
    assert parse_line(index.lines(found, 1)[0]).message == NEEDLE
    started = time.perf_counter()
    errors = index.scan(level_pattern("error"))
    scan_s = time.perf_counter() - started
    assert len(errors) == error_lines
    assert needle_at in errors
    rss_growth_mib = (_rss_kib() - rss_before) / 1024
    index.close()
    print(
        f"\n1 GiB log: {size / GIB:.2f} GiB, {total_lines:,} lines; first 50 lines after {first_screen_s * 1000:.0f} ms; "
        f"full index {indexed_s:.1f} s; search to line {found:,} {search_s:.1f} s; "
        f"error filter {len(errors):,} lines {scan_s:.1f} s; RSS growth {rss_growth_mib:.0f} MiB"
    )
    assert rss_growth_mib < 200, "the index must not hold the file in memory"
