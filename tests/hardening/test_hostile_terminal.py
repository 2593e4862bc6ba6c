"""Hostile text placed for real on the daemon, shown by dockscope in a real pseudo-terminal.

The app runs in a pty (200x50, xterm-256color) and is driven through every
pane; every byte it writes is captured. A baseline capture of the same tour
without the payloads says which sequences Textual writes on its own; the
hostile capture may not add any kind of sequence, must not contain the
sequences the payloads carry, and must show the payloads as visible text.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import RUN_ID
from tests.hardening.hostile import Hostile, create_hostile, name_is_rejected, remove_hostile
from tests.hardening.payloads import FORBIDDEN, PAYLOADS, log_bytes
from tests.hardening.terminal import RESTORED, PtyApp, escape_sequences, shape

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

#: Sequences whose numbers vary with every frame (colours, cursor position).
_FRAME_SHAPE = re.compile(rb"\x1b\[(#;)*#?[mH]")
TABLE_PANES = ("c", "i", "n", "v")
ANY_OUTPUT = re.compile(rb".", re.DOTALL)
FILTER_PLACEHOLDER = b"filter: regex"
FILTER_APPLIED = b"filter, Esc clears"


@pytest.fixture(scope="module")
def plain_log(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("log") / "dockerd.log"
    path.write_bytes(b"".join(b"time=\"2026-01-01\" level=info msg=\"line %d\"\n" % n for n in range(50)))
    return str(path)


@pytest.fixture(scope="module")
def hostile_log(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("log") / "dockerd.log"
    path.write_bytes(log_bytes())
    return str(path)


@pytest.fixture(scope="module")
def baseline(docker_host, plain_log) -> bytes:
    """The tour before any payload exists on the daemon."""
    return tour(docker_host, plain_log, hostile=False).output


@pytest.fixture(scope="module")
def hostile(baseline, client, labels, base_image):
    made = create_hostile(client, f"t{RUN_ID}-", labels, base_image)
    yield made
    remove_hostile(client, made)


@pytest.fixture(scope="module")
def hostile_run(hostile: Hostile, docker_host, hostile_log, client) -> "TourResult":
    return tour(docker_host, hostile_log, hostile=True)


class TourResult:
    """What a tour wrote: all bytes, the text drawn per step, and how it ended."""

    def __init__(self, app: PtyApp, drawn: dict[str, str], alive: bool, exit_code: int | None) -> None:
        self.output = bytes(app.output)
        self.drawn = drawn
        self.alive = alive
        self.exit_code = exit_code


#: pane key -> text its switch draws (a column header or a label of that pane only).
PANE_MARKS = {"m": b"Registry", "c": b"Up / exit", "i": b"Tags", "n": b"Gateway", "v": b"Mountpoint", "l": b"source"}


def tour(docker_host: str, daemon_log: str, hostile: bool, prefix: str = f"t{RUN_ID}-") -> TourResult:
    """Open dockscope in a pty and visit every pane and view: both ends of each list, events, wizard,
    and with ``hostile`` the detail and the logs of the hostile containers (the baseline skips
    those two: they draw with the same kinds of sequences as every other screen).

    Every step waits for what it should draw before the next key, so a slow
    screen cannot send keys to the wrong place (letters typed into a table
    instead of the filter box would run actions).
    """
    drawn: dict[str, str] = {}
    with PtyApp(["--daemon-log", daemon_log], env={"DOCKER_HOST": docker_host}) as app:
        assert app.wait_for(b"connected", timeout=20) is not None, app.text()[-2000:]
        app.wait_quiet(0.3)
        drawn["m"] = app.text()
        for key in TABLE_PANES + ("l",):
            start = app.mark()
            _press(app, key, PANE_MARKS[key])
            _press(app, "end")
            _press(app, "home")
            drawn[key] = app.text(start)
        start = app.mark()
        _press(app, "t")  # the daemon's events, with the hostile names in their attributes
        _press(app, "end")
        drawn["events"] = app.text(start)
        if hostile:
            drawn["detail"] = _open_container(app, prefix + "hostile-created", "enter", b"ZQX")
            drawn["logs"] = _open_container(app, prefix + "hostile-logs", "L", b"ZQX-END-OF-PAYLOADS")
        _show_containers(app)
        drawn["wizard"] = _press(app, "w", ANY_OUTPUT, settle=0.5)
        _press(app, "escape", PANE_MARKS["c"])
        alive = app.running()
        exit_code = app.quit(timeout=30)
        return TourResult(app, drawn, alive, exit_code)


def _press(app: PtyApp, key: str, expect: bytes | re.Pattern | None = None, settle: float = 0.15, timeout: float = 10.0) -> str:
    """Press ``key``, wait for ``expect`` (or for any answer, at most a second), then a quiet screen.

    Returns what was drawn meanwhile.
    """
    start = app.mark()
    app.press(key)
    if expect is not None:
        assert app.wait_for(expect, timeout=timeout, start=start) is not None, f"{key!r}: {expect!r} not drawn"
    else:
        app.wait_for(ANY_OUTPUT, timeout=1.0, start=start)
    app.wait_quiet(settle, timeout=timeout)
    return app.text(start)


def _show_containers(app: PtyApp) -> None:
    """Switch to the containers pane by way of the map, so the switch draws its header.

    Pressing ``c`` on the containers pane itself draws nothing new (a row-only
    refresh does not repaint the header either), so waiting for the header after
    it fails whenever the tour is already there.
    """
    _press(app, "m", PANE_MARKS["m"])
    _press(app, "c", PANE_MARKS["c"])


def _open_container(app: PtyApp, name: str | None, key: str, expect: bytes | re.Pattern) -> str:
    """Open a view of a container with ``key`` (filtered down to ``name`` first); Escape back, filter cleared."""
    _show_containers(app)
    if name is not None:
        _press(app, "/", FILTER_PLACEHOLDER)
        _press(app, name, name.encode())
        _press(app, "enter", FILTER_APPLIED)
    drawn = _press(app, key, expect, settle=0.5, timeout=20)
    drawn += _press(app, "v" if key == "enter" else "pageup")
    _press(app, "escape", PANE_MARKS["c"])
    if name is not None:
        _press(app, "/", name.encode())
        _press(app, "ctrl+u", FILTER_PLACEHOLDER)
        _press(app, "enter", PANE_MARKS["c"])
    return drawn


def test_docker_rejects_payloads_in_container_names(client, base_image) -> None:
    assert name_is_rejected(client, base_image, "zqx\x1b]0;x\x07")
    assert name_is_rejected(client, base_image, "zqx[@click=app.quit]")


def test_app_survives_the_tour_and_quits_cleanly(hostile_run: TourResult) -> None:
    assert hostile_run.alive
    assert hostile_run.exit_code == 0
    assert b"Traceback" not in hostile_run.output


def test_payloads_reached_the_screen_as_text(hostile_run: TourResult) -> None:
    """Without this the other assertions could pass on a screen that never showed a payload."""
    for step in ("n", "l", "detail", "logs"):  # the events tab may show only newer events of other work
        assert "ZQX" in hostile_run.drawn[step], f"{step}: no payload drawn"
    everything = "".join(hostile_run.drawn.values())
    for visible in ("␛]52;c;", "␛]0;", "␛[6n", "␛P$qm", "<9b>2J", "[@click=app.quit]x[/]", "<U+202E>", "ZQX[bold"):
        assert visible in everything, visible
    assert "ZQX-END-OF-PAYLOADS" in hostile_run.drawn["logs"], "the container's log lines were not all shown"
    assert "\\xff" in hostile_run.drawn["l"], "invalid UTF-8 in the daemon log does not show as \\xNN"


def test_no_payload_sequence_reached_the_terminal(hostile_run: TourResult, baseline: bytes) -> None:
    output = hostile_run.output
    for label, sequence in FORBIDDEN.items():
        assert output.count(sequence) <= baseline.count(sequence), f"{label}: {sequence!r} written to the terminal"
    for name, payload in PAYLOADS.items():
        for sequence in escape_sequences(payload.encode("utf-8", "surrogatepass")):
            if not _FRAME_SHAPE.fullmatch(shape(sequence)):
                assert output.count(sequence) <= baseline.count(sequence), f"{name}: {sequence!r}"


def test_no_new_kind_of_escape_sequence(hostile_run: TourResult, baseline: bytes) -> None:
    known = {shape(s) for s in escape_sequences(baseline)}
    new = {shape(s) for s in escape_sequences(hostile_run.output)} - known
    assert {s for s in new if not _FRAME_SHAPE.fullmatch(s)} == set()


def test_output_is_valid_utf8_without_c1_controls(hostile_run: TourResult) -> None:
    text = hostile_run.output.decode("utf-8")  # strict: no raw invalid bytes from the data
    assert not re.search("[\x80-\x9f]", text), "a C1 control (e.g. 0x9b CSI) was written"
    assert "\x00" not in text


def test_terminal_restored_on_exit(hostile_run: TourResult) -> None:
    output = hostile_run.output
    for sequence in RESTORED:
        assert output.rfind(sequence) > output.rfind(b"\x1b[?1049h"), sequence
    assert output.rfind(b"\x1b[?25h") > output.rfind(b"\x1b[?25l")
    assert output.rfind(b"\x1b[?1000l") > output.rfind(b"\x1b[?1000h")


def test_detail_of_a_container_with_a_5mb_env_value_opens(hostile: Hostile, docker_host: str) -> None:
    with PtyApp(["--pane", "containers"], env={"DOCKER_HOST": docker_host}) as app:
        assert app.wait_for(PANE_MARKS["c"], timeout=20) is not None
        drawn = _open_container(app, f"t{RUN_ID}-hostile-hugeenv", "enter", b"ZQX-SMALL-ENV")
        assert "ZQX" in drawn
        assert app.quit(timeout=10) == 0
