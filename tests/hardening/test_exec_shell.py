"""The exec shell (containers pane, key ``e``) seen from a real pseudo-terminal.

Issue 7: the terminal is always restored, also around an exec shell. dockscope
hands the terminal to ``docker exec -it <id> /bin/sh`` (``App.suspend``): it must
leave the alternate screen and switch mouse reporting off *before* the shell
writes anything, take the terminal back when the shell ends however it ends
(``exit``, ``exit 3``, the container killed under it, a CLI that cannot start),
say how it ended, keep answering keys, and restore the terminal when it quits.
The exec asks nothing first (it changes nothing by itself); under
``--read-only`` the key is disabled.
"""

from __future__ import annotations

import os
import re
import termios
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import RUN_ID
from tests.hardening.terminal import RESTORED, PtyApp, scaled

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

#: The busybox ash prompt of root in ``/`` (what the exec'd /bin/sh prints when ready).
PROMPT = b"/ # "
ALT_ON, ALT_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
#: What Textual's driver writes when it gives the terminal away: mouse and bracketed paste off,
#: alternate screen left, cursor shown.
HANDED_OVER = (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l", b"\x1b[?2004l", ALT_OFF, b"\x1b[?25h")
#: ... and what it writes when it takes the terminal back.
TAKEN_BACK = (ALT_ON, b"\x1b[?1000h", b"\x1b[?25l")
#: Wide enough for the longer messages on the pane's one message line.
WIDE = (260, 50)


@pytest.fixture
def shell_container(client, base_image, labels):
    """A running busybox container (it has /bin/sh, no bash) of this run; removed after."""
    name = f"t{RUN_ID}-sh-{uuid.uuid4().hex[:4]}"
    host_config = client.create_host_config(mem_limit="32m", log_config={"Type": "json-file", "Config": {"max-size": "1m"}})
    created = client.create_container(base_image, command=["sleep", "600"], name=name, labels=labels, host_config=host_config)
    client.start(created["Id"])
    yield created["Id"], name
    client.remove_container(created["Id"], force=True)


@contextmanager
def open_app(docker_host: str, *extra: str, path: str | None = None, size: tuple[int, int] = (80, 24)) -> Iterator[PtyApp]:
    """dockscope in a pty, connected; killed (its whole session) when the block ends."""
    env = {"DOCKER_HOST": docker_host}
    if path is not None:
        env["PATH"] = path
    with PtyApp(["--pane", "containers", *extra], env=env, size=size) as app:
        assert app.wait_for(re.compile(rb"(?<!dis)connected"), timeout=scaled(15)) is not None, app.text()[-2000:]
        yield app


def select_row(app: PtyApp, name: str) -> None:
    """Filter the pane down to ``name`` (one match: the cursor is on its row)."""
    assert app.wait_for(b"Up / exit", timeout=scaled(10)) is not None, "the list was never drawn"
    for key, drawn in (("i", b"Tags"), ("c", b"Name")):
        press_until_drawn(app, key, drawn)
    for key, expect in (("/", b"ilter: regex"), (name, name.encode()), ("\r", b"[1/")):
        mark = app.mark()
        app.press(key)
        assert app.wait_for(expect, timeout=scaled(5), start=mark) is not None, f"{expect!r} not drawn after {key!r}"
    app.wait_quiet(0.3, timeout=scaled(5))


def press_until_drawn(app: PtyApp, key: str, drawn: bytes) -> None:
    """Press ``key`` (one that changes nothing when repeated) until ``drawn`` appears.

    Keys typed in the first second after the list is drawn can go unanswered
    while the app still starts up; a pane switch is safe to repeat.
    """
    deadline = time.monotonic() + scaled(10)
    while time.monotonic() < deadline:
        mark = app.mark()
        app.press(key)
        if app.wait_for(drawn, timeout=0.5, start=mark) is not None:
            return
    raise AssertionError(f"key {key} never answered")


def open_shell(app: PtyApp) -> int:
    """Press ``e``; wait for the shell's prompt; return the output offset where the key was pressed."""
    mark = app.mark()
    app.press("e")
    assert app.wait_for(PROMPT, timeout=scaled(15), start=mark) is not None, app.text(mark)[-1500:]
    return mark


def assert_handed_over_before_the_shell(app: PtyApp, mark: int) -> None:
    """Between the key and the shell's prompt: every mode Textual set was undone, and not set again."""
    output = bytes(app.output)
    prompt = output.find(PROMPT, mark)
    before = output[mark:prompt]
    for sequence in HANDED_OVER:
        assert sequence in before, f"{sequence!r} not written before the shell started"
    assert before.rfind(ALT_ON) < before.rfind(ALT_OFF), "the alternate screen was entered again before the shell ran"
    assert before.rfind(b"\x1b[?1000h") < before.rfind(b"\x1b[?1000l"), "mouse reporting on again before the shell ran"


def run_in_shell(app: PtyApp, command: str, expect: bytes | re.Pattern) -> None:
    mark = app.mark()
    app.press(command + "\r")
    assert app.wait_for(expect, timeout=scaled(10), start=mark) is not None, app.text(mark)[-800:]


def wait_back(app: PtyApp, mark: int, name: str, said: str) -> None:
    """dockscope took the terminal back after ``mark``: modes set again, the list redrawn, ``said`` shown."""
    assert app.wait_for(ALT_ON, timeout=scaled(10), start=mark) is not None, "dockscope never took the terminal back"
    back = bytes(app.output).find(ALT_ON, mark)
    for sequence in TAKEN_BACK:
        assert app.wait_for(sequence, timeout=scaled(5), start=back) is not None, f"{sequence!r} not written on return"
    for drawn in (b"Up / exit", name.encode()):
        assert app.wait_for(drawn, timeout=scaled(5), start=back) is not None, f"the list was not redrawn ({drawn!r})"
    assert wait_text(app, said, back), f"{said!r} not shown: {app.text(back)[-1200:]}"


def wait_text(app: PtyApp, said: str, start: int, timeout: float = 10.0) -> bool:
    """Wait until ``said`` is drawn after ``start``, maybe wrapped over lines (any run of spaces matches one)."""
    pattern = re.compile(r"\s+".join(map(re.escape, said.split())))
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        if pattern.search(app.text(start)):
            return True
        app.wait_for(b"\x1b", timeout=0.2, start=app.mark())
    return False


def assert_answers_keys(app: PtyApp) -> None:
    for key, drawn in (("i", b"Tags"), ("c", b"Name")):
        mark = app.mark()
        app.press(key)
        assert app.wait_for(drawn, timeout=scaled(5), start=mark) is not None, f"key {key} not answered"


def fresh_pty_modes() -> list:
    """The termios modes of a new pty: what the app's terminal had before it started."""
    leader, follower = os.openpty()
    try:
        return termios.tcgetattr(follower)
    finally:
        os.close(leader)
        os.close(follower)


def assert_quits_restored(app: PtyApp) -> None:
    """q exits 0, no traceback, the alternate screen left and the cursor shown last, tty modes as before."""
    assert app.quit(timeout=scaled(10)) == 0
    output = bytes(app.output)
    assert b"Traceback" not in output
    for sequence in RESTORED:
        assert output.rfind(sequence) > output.rfind(ALT_ON)
    assert output.rfind(b"\x1b[?1000l") > output.rfind(b"\x1b[?1000h"), "mouse reporting left on"
    assert termios.tcgetattr(app._master) == fresh_pty_modes(), "the terminal's modes were not restored"


def test_exec_shell_hands_the_terminal_over_and_takes_it_back(docker_host, shell_container) -> None:
    container_id, name = shell_container
    with open_app(docker_host) as app:
        select_row(app, name)
        mark = open_shell(app)
        assert_handed_over_before_the_shell(app, mark)
        run_in_shell(app, "echo $((6*7))", re.compile(rb"\r\n42\r\n"))
        run_in_shell(app, "hostname", container_id[:12].encode())
        mark = app.mark()
        app.press("exit\r")
        wait_back(app, mark, name, f"shell in {name} ended (exit 0)")
        assert_answers_keys(app)
        assert_quits_restored(app)


def test_a_shell_that_exits_non_zero_is_reported(docker_host, shell_container) -> None:
    _, name = shell_container
    with open_app(docker_host) as app:
        select_row(app, name)
        open_shell(app)
        mark = app.mark()
        app.press("exit 3\r")
        wait_back(app, mark, name, f"shell in {name} ended (exit 3)")
        assert_answers_keys(app)
        assert_quits_restored(app)


def test_a_container_killed_under_the_shell_is_reported(docker_host, client, shell_container) -> None:
    container_id, name = shell_container
    with open_app(docker_host, size=WIDE) as app:
        select_row(app, name)
        open_shell(app)
        mark = app.mark()
        client.kill(container_id)
        wait_back(app, mark, name, "the container is no longer running")
        assert app.wait_for(b"exited", timeout=scaled(10), start=mark) is not None, "the row does not show the container exited"
        assert_answers_keys(app)
        assert_quits_restored(app)


def test_read_only_e_runs_nothing(docker_host, shell_container) -> None:
    """Under --read-only the Shell key is not offered and pressing it does nothing: no suspend, no docker child."""
    _, name = shell_container
    with open_app(docker_host, "--read-only", size=(200, 50)) as app:
        select_row(app, name)
        assert "Shell" not in app.text(), "the Shell key is offered under --read-only"
        mark = app.mark()
        app.press("e")
        app.wait_quiet(0.5, timeout=scaled(5))
        time.sleep(scaled(1.0))
        assert ALT_OFF not in bytes(app.output)[mark:], "the app gave the terminal away under --read-only"
        assert not _children(app.pid), "a process was started under --read-only"
        assert_answers_keys(app)
        assert_quits_restored(app)


def test_without_the_docker_cli_exec_says_so(docker_host, shell_container, tmp_path) -> None:
    container_id, name = shell_container
    with open_app(docker_host, path=str(tmp_path), size=WIDE) as app:
        select_row(app, name)
        mark = app.mark()
        app.press("e")
        assert wait_text(app, "needs the docker CLI", mark), app.text(mark)[-1200:]
        assert wait_text(app, f"docker exec -it {container_id[:12]} /bin/sh", mark), "the message does not say what to run"
        assert ALT_OFF not in bytes(app.output)[mark:], "the app gave the terminal away with nothing to run"
        assert_answers_keys(app)
        assert_quits_restored(app)


def test_a_docker_cli_that_cannot_start_gives_the_terminal_back(docker_host, shell_container, tmp_path) -> None:
    """A ``docker`` on PATH whose interpreter is missing: exec() fails inside App.suspend; the app must resume."""
    _, name = shell_container
    broken = stand_in_docker(tmp_path, "#!/nonexistent/interpreter\n")
    exec_with_stand_in(docker_host, name, str(tmp_path), f"could not start {broken}", size=WIDE)


def stand_in_docker(directory: Path, script: str) -> Path:
    """An executable ``docker`` in ``directory`` with ``script`` as its content."""
    docker = directory / "docker"
    docker.write_text(script)
    docker.chmod(0o755)
    return docker


def exec_with_stand_in(docker_host: str, name: str, path: str, said: str, **options) -> None:
    """``e`` on ``name`` with PATH=``path``: dockscope takes the terminal back, says ``said``, answers keys, quits clean."""
    with open_app(docker_host, path=path, **options) as app:
        select_row(app, name)
        mark = app.mark()
        app.press("e")
        wait_back(app, mark, name, said)
        assert_answers_keys(app)
        assert_quits_restored(app)


def _children(pid: int) -> list[int]:
    """Child process ids of ``pid`` (from every thread's children list)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_ctrl_c_while_the_shell_starts_gives_the_terminal_back(docker_host, shell_container, tmp_path) -> None:
    """Ctrl-C typed before the CLI puts the terminal in raw mode: SIGINT reaches dockscope's process group too.

    A stand-in ``docker`` sends SIGINT to its process group (what the terminal
    does on Ctrl-C in cooked mode) and exits 130, like the real CLI would.
    """
    _, name = shell_container
    stand_in_docker(tmp_path, "#!/bin/sh\ntrap '' INT\nkill -INT 0\nsleep 0.2\nexit 130\n")
    exec_with_stand_in(docker_host, name, f"{tmp_path}:/usr/bin:/bin", f"shell in {name} ended (exit 130)")
