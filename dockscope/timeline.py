"""Start-up phases written to a file, for ``benchmarks/first_list.py``.

With ``DOCKSCOPE_TIMELINE=/some/file`` in the environment, :func:`mark`
appends one ``phase<TAB>seconds<TAB>cpu`` line per call, where ``seconds``
is ``time.monotonic()`` (the same clock in every process on Linux, so the
benchmark can subtract the moment it started dockscope) and ``cpu`` the CPU
seconds of the process so far (less hostage than wall time to the load of a
shared machine). Without the variable
it does nothing. UI-free: imported before Textual.
"""

from __future__ import annotations

import os
import time

_PATH = os.environ.get("DOCKSCOPE_TIMELINE", "")


def mark(phase: str) -> None:
    """Record that ``phase`` was reached now (a no-op unless the variable is set)."""
    if not _PATH:
        return
    with open(_PATH, "a", encoding="utf-8") as out:
        out.write(f"{phase}\t{time.monotonic():.6f}\t{time.process_time():.6f}\n")
