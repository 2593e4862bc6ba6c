"""What a container's exit code means (shared by the probes and the containers pane)."""

from __future__ import annotations

import signal

#: Exit codes with a meaning of their own for a container.
EXIT_CODES: dict[int, str] = {
    0: "exited normally (its main process finished)",
    1: "application error (the process reported a failure; read its logs)",
    2: "misuse of a shell builtin or bad arguments",
    125: "the Docker daemon could not run the container (bad option or daemon error)",
    126: "the command was found but cannot be executed (permission or not a binary)",
    127: "the command was not found in the image (wrong path or missing binary)",
    130: "interrupted (SIGINT, Ctrl-C)",
    134: "aborted (SIGABRT): the process crashed on an assertion",
    137: "killed (SIGKILL): docker kill, or docker stop after the grace period",
    139: "segmentation fault (SIGSEGV): the process crashed",
    143: "terminated (SIGTERM): docker stop or the orchestrator asked it to stop",
}

OOM_MEANING = "killed by the kernel OOM killer: the container reached its memory limit"


def exit_code_meaning(code: int, oom_killed: bool) -> str:
    """A sentence for ``code``; 137 with ``oom_killed`` is the OOM killer, not a plain kill."""
    if oom_killed and code in (137, -9):
        return OOM_MEANING
    if code in EXIT_CODES:
        meaning = EXIT_CODES[code]
        return f"{meaning}; also flagged OOMKilled" if oom_killed else meaning
    if oom_killed:
        return OOM_MEANING
    if 128 < code < 160:
        return f"killed by signal {_signal_name(code - 128)}"
    return "application-specific exit code (read its logs)"


def _signal_name(number: int) -> str:
    try:
        return f"{signal.Signals(number).name} ({number})"
    except ValueError:
        return str(number)
