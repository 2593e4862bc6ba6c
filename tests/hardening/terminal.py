"""Run ``dockscope`` in a real pseudo-terminal and capture every byte it writes.

Used by the hostile-text and fault tests and by ``benchmarks/scale_bench.py``::

    with PtyApp(["--pane", "containers"], env={"DOCKER_HOST": url}) as app:
        app.wait_for(b"Name")
        app.press("i")
        assert app.quit() == 0
    app.output  # all bytes written to the terminal
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_DOCKSCOPE = ROOT / ".venv" / "bin" / "dockscope"

#: Every escape sequence in terminal output: CSI, OSC, DCS/SOS/PM/APC, two-char escapes.
ESCAPE = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]|\x1b"
)
#: What Textual writes when it leaves: alternate screen off and the cursor shown again.
RESTORED = (b"\x1b[?1049l", b"\x1b[?25h")


def scaled(seconds: float) -> float:
    """A time budget met on a quiet machine, stretched when the machine is overloaded.

    With a load average above twice the core count every process gets a
    fraction of a core, and a UI that answers in 0.5 s when alone takes
    seconds. The budget grows with the overload, at most threefold.
    """
    overload = os.getloadavg()[0] / (2 * (os.cpu_count() or 1))
    return seconds * min(max(overload, 1.0), 3.0)


def dockscope_command() -> list[str]:
    """The installed ``dockscope`` entry point (the project venv's, or the one on PATH)."""
    if VENV_DOCKSCOPE.exists():
        return [str(VENV_DOCKSCOPE)]
    found = shutil.which("dockscope")
    return [found] if found else [sys.executable, "-m", "dockscope"]


def set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


class PtyApp:
    """A process on the slave side of a pty; a thread drains the master into :attr:`output`.

    Args:
        args: Arguments after the command.
        env: Extra environment (``TERM`` defaults to xterm-256color).
        size: (columns, rows) of the terminal.
        command: The program (default: ``dockscope``).
        preexec: Run in the child before exec (e.g. drop privileges).
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        size: tuple[int, int] = (200, 50),
        command: Sequence[str] | None = None,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.args = list(args)
        self.env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}
        self.env.pop("TEXTUAL", None)
        self.size = size
        self.command = list(command) if command else dockscope_command()
        self.preexec = preexec
        self.output = bytearray()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self._master = -1

    # --------------------------------------------------------------- process
    def start(self) -> "PtyApp":
        # a second start would orphan the first process: nothing would ever stop it
        assert self.process is None, "PtyApp started twice"
        master, slave = os.openpty()
        set_size(slave, *self.size)
        preexec = self.preexec

        def child_setup() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            if preexec is not None:
                preexec()

        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.command + self.args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=self.env,
            preexec_fn=child_setup,
            close_fds=True,
        )
        os.close(slave)
        self._master = master
        threading.Thread(target=self._drain, name="pty-drain", daemon=True).start()
        return self

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.2)
                if not ready:
                    if self.process is not None and self.process.poll() is not None and not self._pending():
                        break
                    continue
                data = os.read(self._master, 65536)
            except OSError:
                break
            if not data:
                break
            with self._changed:
                self.output += data
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _pending(self) -> bool:
        try:
            return bool(select.select([self._master], [], [], 0)[0])
        except (OSError, ValueError):
            return False

    def __enter__(self) -> "PtyApp":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code, or None when still running after ``timeout`` seconds."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._wait_drained(2.0)
        return code

    def _wait_drained(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._pending() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)

    def quit(self, key: str = "q", timeout: float = 10.0) -> int | None:
        """Press ``key`` and wait for the exit code."""
        self.press(key)
        return self.wait_exit(timeout)

    def stop(self) -> None:
        """Kill the process (whole session) if it still runs and close the pty."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(5)
        if self._master >= 0:
            time.sleep(0.05)
            try:
                os.close(self._master)
            except OSError:
                pass
            self._master = -1

    # ------------------------------------------------------------ interaction
    def press(self, *keys: str | bytes, pause: float = 0.0) -> None:
        """Type keys: a str is sent as UTF-8; names like ``"enter"`` map to their bytes."""
        for key in keys:
            data = KEYS.get(key, key) if isinstance(key, str) else key
            os.write(self._master, data.encode() if isinstance(data, str) else data)
            if pause:
                time.sleep(pause)

    def mark(self) -> int:
        """The current length of the output (to wait for what comes after it)."""
        with self._lock:
            return len(self.output)

    def wait_for(self, needle: bytes | re.Pattern, timeout: float = 10.0, start: int = 0) -> float | None:
        """Wait until ``needle`` appears in the output after ``start``; seconds since start of the process."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = needle.search(self.output, start) if isinstance(needle, re.Pattern) else self.output.find(needle, start) >= 0
                if found:
                    return time.monotonic() - self.started_at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if self.process is not None and self.process.poll() is not None and not self._pending():
                    return None
                self._changed.wait(min(left, 0.2))

    def wait_quiet(self, quiet: float = 0.5, timeout: float = 10.0) -> bool:
        """Wait until nothing was written for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.mark()
            time.sleep(quiet)
            if self.mark() == before:
                return True
        return False

    def text(self, start: int = 0) -> str:
        """The output after ``start`` with escape sequences removed (what was drawn, in draw order)."""
        with self._lock:
            data = bytes(self.output[start:])
        return ESCAPE.sub(b"", data).decode("utf-8", errors="replace")


KEYS = {
    "enter": "\r",
    "escape": "\x1b",
    "tab": "\t",
    "down": "\x1b[B",
    "up": "\x1b[A",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "pagedown": "\x1b[6~",
    "end": "\x1b[F",
    "home": "\x1b[H",
    "ctrl+c": "\x03",
    "ctrl+u": "\x15",
}


def escape_sequences(data: bytes) -> list[bytes]:
    """Every escape sequence in ``data``, in order."""
    return ESCAPE.findall(data)


def shape(sequence: bytes) -> bytes:
    """A sequence with its numbers replaced by ``#``: ``ESC[12;3H`` -> ``ESC[#;#H``.

    Textual moves the cursor and sets colours with varying numbers; the shape
    is what tells a kind of sequence apart. Private modes (``ESC[?1049h``) and
    OSC numbers keep their numbers, because there the number is the meaning.
    """
    if sequence.startswith(b"\x1b[?") or sequence.startswith(b"\x1b]"):
        return re.sub(rb"(?<=[;])[^;\x07\x1b]*", b"#", sequence) if sequence.startswith(b"\x1b]") else sequence
    return re.sub(rb"\d+", b"#", sequence)
