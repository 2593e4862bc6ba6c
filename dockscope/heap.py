"""Memory housekeeping: hand freed heap back to the system, and pace the cycle collector.

glibc keeps memory freed by Python in its arenas: after a large answer from
the daemon (``/containers/json`` or ``/system/df`` at 500 containers is a few
megabytes of JSON, decoded in a worker thread) the process stays as large as
its largest moment. ``malloc_trim(0)`` returns the free pages. Elsewhere (musl,
macOS) it is not there and this does nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def _malloc_trim() -> Callable[[int], int] | None:
    global _trim, _looked
    if not _looked:
        _looked = True
        import ctypes  # here, not at the top: imported before the first frame it cost ~10 ms
        import ctypes.util

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _trim = libc.malloc_trim
            _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError):  # not glibc
            _trim = None
    return _trim


def trim() -> bool:
    """Return free heap pages to the system; False where the C library cannot."""
    function = _malloc_trim()
    if function is None:
        return False
    function(0)
    return True


#: Allocations (of objects the cycle collector tracks) between two young collections.
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Collect young objects after 10,000 allocations instead of Python's 700.

    Python's defaults suit short scripts. Here, following a container that
    writes ~2,800 lines a second allocated ~40,000 tracked objects a second
    (lines for the ring, rows rendered, Textual's per-frame objects): a
    young collection 60 times a second, and every tenth of those led to a
    full collection of the ~140,000 long-lived objects (the ring, the caches,
    the widgets) every 1.5 s, 125-290 ms each with the UI thread held: the
    long tail of key latency. With 10,000, a full collection came once in
    45 s; key latency p95 went from 149-203 ms to 46-101 ms over six
    alternated pairs of runs (benchmarks/results/gc.md). Reference counting still
    frees all garbage that is not in a cycle at once; only cycles wait a
    little longer: idle, a full collection may then not come at all (none in
    10 minutes at 500 containers), which :class:`Housekeeper` makes up for.
    """
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


#: A full collection at most this often (seconds), when the user is not typing.
FULL_COLLECT_SECONDS = 120.0
#: No key or click for this long (seconds) counts as not typing.
QUIET_INPUT_SECONDS = 5.0


class Housekeeper:
    """What the app's 30-second timer does: a full collection now and then, then trim.

    With the young threshold at 10,000, an idle dashboard allocates too
    little for Python ever to decide on a full collection (none in 10
    minutes at 500 containers), and cyclic garbage that outlived two young
    collections (a replaced snapshot's rows, finished workers) stays:
    RSS crept from 72.7 to 79.3 MB between minute 3 and 10; with these
    collections, 72.0 to 75.4 (Python's pace: 71.6 to 73.4; gc.md). So every
    :data:`FULL_COLLECT_SECONDS`, when no key was pressed for
    :data:`QUIET_INPUT_SECONDS`, it collects everything (at 500 containers a
    pause of ~150 ms, 170 ms at most: not while someone types) and then gives
    the freed heap back.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.last_input = self.last_full = clock()
        self.full_collections = 0

    def input_seen(self) -> None:
        self.last_input = self._clock()

    def due(self) -> bool:
        now = self._clock()
        return now - self.last_full >= FULL_COLLECT_SECONDS and now - self.last_input >= QUIET_INPUT_SECONDS

    def tick(self) -> None:
        if self.due():
            gc.collect()
            self.last_full = self._clock()
            self.full_collections += 1
        trim()
