"""Freed heap goes back to the system (glibc, as on these machines)."""

from __future__ import annotations

from dockscope import heap


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_trim_returns_freed_heap() -> None:
    # Many mid-sized blocks (malloc, not mmap) freed except the last: glibc cannot
    # shrink the heap past a live block at its top, so only malloc_trim gives them back.
    blocks = [bytearray(64 * 1024) for _ in range(800)]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])
    keep = blocks[-1]
    del blocks
    before = _rss_kib()
    assert heap.trim()
    after = _rss_kib()
    assert before - after > 20 * 1024, (before, after)
    assert keep[0] == ord("x")


def test_every_command_paces_the_collector_before_parsing() -> None:
    import subprocess
    import sys

    code = (
        "import gc\n"
        "defaults = gc.get_threshold()\n"
        "from dockscope.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(defaults, gc.get_threshold())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    defaults, now = out.strip().splitlines()[-1].split(") (")
    young, middle, old = (int(x) for x in now.strip("()").split(","))
    assert (young, middle, old) == (heap.YOUNG_THRESHOLD, *[int(x) for x in defaults.strip("()").split(",")][1:])
    assert young > 700
