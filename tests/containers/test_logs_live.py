"""Logs from real containers: 16 KiB frames joined, invalid UTF-8, stderr, TTY, a fast writer, empty views."""

from __future__ import annotations

import time

import pytest

from dockscope.engine.logs import ChunkedDecoder, FrameDecoder, LineAssembler, LogStream, read_lines
from dockscope.panes.container_logs import COVERED_FLUSH_HZ, HOT_FLUSH_HZ, HOT_SHARE, ContainerLogsScreen, LogView
from dockscope.ui.confirm import PromptScreen
from tests.containers.conftest import wait_for

pytestmark = pytest.mark.daemon


def read_all(client, container_id: str, tty: bool = False, **options):
    options = {"follow": False, "tail": None, "since": None, **options}
    lines = []
    read_lines(LogStream(client, container_id, tty=tty, **options), tty, lines.extend)
    return lines


def exited(client, container_id: str) -> bool:
    return client.inspect_container(container_id)["State"]["Status"] == "exited"


def test_a_40k_line_split_into_frames_comes_back_whole(client, make_container) -> None:
    cid = make_container("longline", ["sh", "-c", "echo before; head -c 40000 /dev/zero | tr '\\000' x; echo; echo after"])
    wait_for(lambda: exited(client, cid), what="exit")
    stream = LogStream(client, cid, tty=False, follow=False, tail=None, since=None)
    decoder = FrameDecoder()
    frames = []
    for chunk in stream.chunks():
        frames += decoder.feed(chunk)
    assert len(frames) >= 4  # before, 3 pieces of at most 16 KiB, after
    assert max(len(payload) for _, payload in frames) <= 16384 + 64
    lines = read_all(client, cid)
    assert [len(line.text) for line in lines] == [6, 40000, 5]
    assert lines[1].text == "x" * 40000 and lines[2].text == "after"


@pytest.mark.parametrize(
    ("driver", "expected"),
    [
        ("local", "bad \\xff\\xfe bytes"),  # the local driver keeps the bytes: shown as \xNN
        ("json-file", "bad \ufffd\ufffd bytes"),  # json-file stored them as U+FFFD already
    ],
)
def test_invalid_utf8_escapes_and_stderr(client, make_container, driver: str, expected: str) -> None:
    script = "printf 'bad \\377\\376 bytes\\n'; printf '\\033]52;c;QUFB\\007 \\033[2J cleared?\\n'; echo to-stderr >&2"
    log_config = {"Type": driver, "Config": {"max-size": "1m"}}
    cid = make_container(f"utf8-{driver}", ["sh", "-c", script], log_config=log_config)
    wait_for(lambda: exited(client, cid), what="exit")
    lines = read_all(client, cid)
    texts = {line.text: line.stream for line in lines}
    assert texts[expected] == "stdout"
    assert texts["to-stderr"] == "stderr"
    escaped = next(t for t in texts if "cleared?" in t)
    assert "\x1b" not in escaped and "\x07" not in escaped


def test_tty_container_raw_stream(client, make_container) -> None:
    cid = make_container("tty", ["sh", "-c", "echo one; echo two"], tty=True)
    wait_for(lambda: exited(client, cid), what="exit")
    lines = read_all(client, cid, tty=True)
    assert [(line.stream, line.text) for line in lines] == [("stdout", "one"), ("stdout", "two")]


def chunked(*payloads: bytes) -> bytes:
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"


def test_chunked_decoder_whatever_the_cuts() -> None:
    payloads = [b"one", b"\r\n\r\n", b"x" * 70000, b"last"]
    body = chunked(*payloads) + b"trailer: ignored\r\n\r\n"
    for step in (1, 2, 3, 5, 7, 4096, len(body)):
        decoder = ChunkedDecoder()
        got = []
        for start in range(0, len(body), step):
            got += decoder.feed(body[start : start + step])
        assert got == payloads, step
        assert decoder.finished
    with pytest.raises(ValueError):
        ChunkedDecoder().feed(b"zz\r\nabc\r\n")


def test_one_frame_one_line_and_pieces_agree() -> None:
    """The shortcut for a frame holding one whole line gives what the piece-by-piece path gives."""
    stamp = b"2024-05-01T12:00:00.123456789Z "
    frames = [stamp + b"whole\n", stamp + b"half ", stamp + b"done\n", stamp + b"a\nb\n", stamp + b"\n", stamp + b"x" * 20 + b"\n"]
    lines = []
    assembler = LineAssembler(max_line_bytes=10)
    for frame in frames:
        lines += assembler.feed("stdout", frame)
    assert [(l.seq, l.text, l.cut_bytes) for l in lines] == [
        (0, "whole", 0), (1, "half done", 0), (2, "a", 0), (3, "b", 0), (4, "", 0), (5, "x" * 10, 10)
    ]
    assert {l.timestamp for l in lines} == {"2024-05-01T12:00:00.123456789Z"}


def test_a_fast_writer_is_read_many_lines_at_a_time(client, make_container) -> None:
    """The daemon sends one HTTP chunk per line; a read must take all that waits (one read per line held the GIL)."""
    cid = make_container("bulk", ["sh", "-c", "seq 1 5000"])
    wait_for(lambda: exited(client, cid), what="exit")
    stream = LogStream(client, cid, tty=False, follow=False, tail=None, since=None)
    time.sleep(1.0)  # the daemon fills the socket meanwhile
    pieces = stream.chunks()
    first = FrameDecoder().feed(next(pieces))
    # The old reader returned one line per read whatever waited (one HTTP chunk per line).
    # How much has waited is the daemon's affair: 20.10 had written 20 and more by now,
    # 26.1 sometimes only 11.
    assert len(first) >= 2, f"the first read brought {len(first)} lines"
    stream.close()
    assert [line.text for line in read_all(client, cid)] == [str(n) for n in range(1, 5001)]


def test_tail_and_since(client, make_container) -> None:
    cid = make_container("tail", ["sh", "-c", "for i in 1 2 3 4 5 6; do echo n$i; done"])
    wait_for(lambda: exited(client, cid), what="exit")
    assert [line.text for line in read_all(client, cid, tail=2)] == ["n5", "n6"]
    assert read_all(client, cid, since=time.time() + 3600) == []


async def wait_until(pilot, check, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


def spy(obj, name: str, calls: list) -> None:
    """Record ``(monotonic time, args, kwargs)`` of every call of ``obj.name``, then call it."""
    original = getattr(obj, name)

    def recorded(*args, **kwargs):
        calls.append((time.monotonic(), args, kwargs))
        return original(*args, **kwargs)

    setattr(obj, name, recorded)


def gaps_after(appends: list, bigger_than: int = -1) -> list[float]:
    """Seconds between each batch larger than ``bigger_than`` lines and the next batch."""
    return [later[0] - earlier[0] for earlier, later in zip(appends, appends[1:]) if len(earlier[1][0]) > bigger_than]


async def test_fast_writer_stays_bounded_and_keys_respond(make_app, make_container, client) -> None:
    """A hot stream is drawn at a bounded rate without laying the screen out per batch, and keys still act.

    Timing is asserted only as lower bounds (a timer can be late, never early)
    and as "the key's action ran"; latency figures are the benchmark's job.
    """
    cid = make_container(
        "fast", ["sh", "-c", "while :; do seq 1 300; sleep 0.1; done"],
        log_config={"Type": "json-file", "Config": {"max-size": "2m", "max-file": "1"}}, nano_cpus=500_000_000,
    )
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ContainerLogsScreen(cid, tail=100, ring_size=2000)
        await app.push_screen(screen)
        view = screen.query_one(LogView)
        appends: list = []
        spy(view, "append", appends)
        await wait_until(pilot, lambda: view.ring.dropped > 0, what="the ring to wrap")
        message = screen.query_one("#logs-message")
        updates: list = []
        spy(message, "update", updates)
        started = time.monotonic()
        await wait_until(pilot, lambda: len([a for a in appends if a[0] >= started]) >= 6, timeout=60, what="six batches")
        window = [a for a in appends if a[0] >= started]
        hot = gaps_after(window, bigger_than=view.size.height)
        assert hot, f"the stream never ran hot: batches of {[len(a[1][0]) for a in window]}"
        assert min(hot) >= 1 / HOT_FLUSH_HZ - 0.01, hot  # each hot batch redraws every row: at most HOT_FLUSH_HZ a second
        assert len(view.ring) <= 2000 and len(screen.pending.drain()) <= 2000
        counted = [u for u in updates if u[0] >= started]
        assert counted and not [u for u in counted if u[2].get("layout", True)], "the line counter laid the screen out"

        await pilot.press("slash")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the search prompt")
        covered_at = time.monotonic()
        await wait_until(pilot, lambda: len([a for a in appends if a[0] >= covered_at]) >= 3, timeout=60, what="lines behind the prompt")
        covered = [a for a in appends if a[0] >= covered_at]
        assert isinstance(app.screen, PromptScreen)
        assert min(gaps_after(covered)) >= 1 / COVERED_FLUSH_HZ - 0.01
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="the prompt to close")

        for key, action in (("T", "action_timestamps"), ("w", "action_wrap"), ("n", "action_next_match")):
            ran: list = []
            spy(screen, action, ran)
            # Pilot.press waits for the process to idle, which the reading thread never lets it do
            await pilot.press(key)
            await wait_until(pilot, lambda: ran, timeout=30, what=f"{key} to act during the hot stream")
        assert view.show_timestamps and view.wrap
        assert "following" in str(screen.query_one("#logs-title").render())

        # A starved machine: every render takes 0.1 s of wall time or more; the view must back off.
        render_row = view.render_line
        view.render_line = lambda y: (time.sleep(0.1 / view.size.height), render_row(y))[1]
        slowed_at = time.monotonic()
        await wait_until(pilot, lambda: len([a for a in appends if a[0] >= slowed_at]) >= 5, timeout=60, what="batches of a slow view")
        slow = gaps_after([a for a in appends if a[0] >= slowed_at], bigger_than=view.size.height)[2:]
        # It backs off (a view drawn at the hot rate would space every batch 1/HOT_FLUSH_HZ apart),
        # and never runs faster than the hot rate. Not every gap: a redraw of part of the
        # view (the line counter, a scroll) costs less than a whole one and shortens the next.
        assert slow and max(slow) >= 0.1 / HOT_SHARE - 0.01, slow
        assert min(slow) >= 1 / HOT_FLUSH_HZ - 0.01, slow
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert screen._stream is None
    client.kill(cid)


async def test_search_next_only_matching_and_save(make_app, make_container, client, tmp_path) -> None:
    cid = make_container("search", ["sh", "-c", "for i in $(seq 1 60); do echo line $i; done; sleep 0.3; echo ERROR boom >&2; sleep 0.3; echo after"])
    wait_for(lambda: exited(client, cid), what="exit")
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ContainerLogsScreen(cid)
        await app.push_screen(screen)
        view = screen.query_one(LogView)
        await wait_until(pilot, lambda: len(view.ring) == 62, what="all lines")
        assert screen.apply_search("line 1[0-9]$")
        first = view.current_match
        await pilot.press("n")
        assert view.current_match == first + 1
        await pilot.press("N")
        assert view.current_match == first
        assert not screen.apply_search("([bad")  # a bad regex changes nothing
        assert view.pattern.pattern == "line 1[0-9]$"
        screen.apply_search("ERROR")
        await pilot.press("o")
        shown = [line.text for line in view.shown_lines()]
        assert shown == ["line 59", "line 60", "ERROR boom", "after"]
        target = tmp_path / "saved.log"
        assert "saved 4 lines" in screen.save_to(str(target))
        saved = target.read_text().splitlines()
        assert saved[2].split(" ", 2)[1:] == ["stderr", "ERROR boom"]
        assert "already exists" in screen.save_to(str(target))


async def test_empty_views_say_why(make_app, make_container, client) -> None:
    silent = make_container("silent", ["sleep", "600"])
    never = make_container("never", ["sleep", "600"], start=False)
    nolog = make_container("nolog", ["sh", "-c", "echo lost"], log_config={"Type": "none", "Config": {}})
    gone = make_container("gone", ["sh", "-c", "echo bye; sleep 600"])
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for cid, expected in ((silent, "No output yet"), (never, "never started"), (nolog, "log driver 'none'")):
            screen = ContainerLogsScreen(cid)
            await app.push_screen(screen)
            if cid == silent:
                await pilot.pause(0.5)
                await pilot.press("escape")
                screen = ContainerLogsScreen(cid)
                screen.follow = False
                await app.push_screen(screen)
            await wait_until(pilot, lambda: screen.ended, what=f"the stream of {expected!r} to end")
            assert expected in screen.empty_text()
            assert expected in str(screen.query_one("#logs-message").render())
            await wait_until(pilot, lambda: screen.query_one("#logs-message").size.height >= 2, what="the reason's row to be laid out")
            await pilot.press("escape")
        screen = ContainerLogsScreen(gone)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: len(screen.query_one(LogView).ring) == 1, what="the first line")
        client.remove_container(gone, force=True)
        await wait_until(pilot, lambda: screen.ended == "removed", what="removal to be noticed")
        assert "removed" in str(screen.query_one("#logs-message").render())
