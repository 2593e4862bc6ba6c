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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cyclic_garbage():
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_housekeeper_collects_cycles_only_when_due_and_nobody_types() -> None:
    import gc

    clock = _Clock()
    keeper = heap.Housekeeper(clock)
    was_enabled = gc.isenabled()
    gc.disable()  # only the housekeeper may collect here
    try:
        garbage = _cyclic_garbage()
        clock.now += heap.FULL_COLLECT_SECONDS - 1
        keeper.tick()
        assert garbage() is not None and keeper.full_collections == 0, "not due yet: only a trim"
        clock.now += 2
        keeper.input_seen()
        clock.now += heap.QUIET_INPUT_SECONDS - 1
        keeper.tick()
        assert garbage() is not None and keeper.full_collections == 0, "a key pressed just now: no pause"
        clock.now += 1
        keeper.tick()
        assert garbage() is None and keeper.full_collections == 1
        garbage = _cyclic_garbage()
        clock.now += heap.FULL_COLLECT_SECONDS / 2
        keeper.tick()
        assert garbage() is not None and keeper.full_collections == 1, "at most one full collection per period"
    finally:
        if was_enabled:
            gc.enable()
