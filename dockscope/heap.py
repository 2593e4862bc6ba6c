"""Hand freed heap back to the system.

glibc keeps memory freed by Python in its arenas: after a large answer from
the daemon (``/containers/json`` or ``/system/df`` at 500 containers is a few
megabytes of JSON, decoded in a worker thread) the process stays as large as
its largest moment. ``malloc_trim(0)`` returns the free pages. Elsewhere (musl,
macOS) it is not there and this does nothing.
"""

from __future__ import annotations

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
