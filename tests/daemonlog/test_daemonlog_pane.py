"""The daemon log pane on the sandbox daemon's real log and its events tab on the real event stream."""

from __future__ import annotations

import os
import time

from dockscope.daemonlog import parse_line
from dockscope.panes.daemon_logs import DaemonLogsPane, LogView
from tests.conftest import RUN_ID

SANDBOX_LOG = os.environ.get("DOCKSCOPE_DAEMON_LOG", "/var/log/dockscope-sandbox/dockerd-20.10.log")


async def until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def _status(pane: DaemonLogsPane, widget_id: str) -> str:
    return str(pane.query_one(widget_id).render())


async def test_log_tab_reads_filters_and_searches_the_real_log(make_app):
    app = make_app(daemon_log=SANDBOX_LOG, start_pane="daemon_logs", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DaemonLogsPane)
        view = app.query_one(LogView)
        # a log of more than four screens (a fresh daemon's has ~190 lines by now), so that rendering it all shows
        await until(pilot, lambda: view.size.height > 0 and view.row_count > 4 * view.size.height and not pane._indexing)
        assert "--daemon-log" in _status(pane, "#daemon-log-source")
        await until(pilot, lambda: view.visible_lines() and view.visible_lines()[-1] >= view.row_count - 3)
        # the first screen and the last one (followed), and a few lines the daemon wrote meanwhile
        assert view.rendered <= 3 * view.size.height, "only the rows on screen are rendered"
        total = view.row_count
        await pilot.press("e", "e")
        await until(pilot, lambda: pane.level == "warning" and view.filtered is not None and len(view.filtered) > 0)
        shown = view.source.lines(view.filtered[0], 1)[0]
        assert parse_line(shown).rank >= parse_line(b'level=warning').rank
        assert len(view.filtered) < total
        await pilot.press("e", "e")
        assert pane.level is None and view.filtered is None
        await pilot.press("slash", "x", "escape")
        assert not pane.query_one("#daemon-log-search").has_class("shown"), "Escape closes the search box"
        assert app.query_one(LogView).has_focus
        await pilot.press("slash", "backspace")
        await pilot.press(*"Starting up", "enter")
        await until(pilot, lambda: parse_line(view.source.lines(view.line_number(view.cursor), 1)[0]).message == "Starting up")
        assert not pane.follow, "a search stops following"
        app.follow_link("daemon_logs", None)
        await pilot.press("escape")
        assert app.nav_stack == [], "with no search box open, Escape goes back"


async def test_missing_log_says_why(make_app, tmp_path):
    app = make_app(daemon_log=str(tmp_path / "absent.log"), start_pane="daemon_logs", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DaemonLogsPane)
        await until(pilot, lambda: pane.discovery is not None)
        text = _status(pane, "#daemon-log-source")
        assert "absent.log" in text and "does not exist" in text
        assert app.query_one(LogView).row_count == 0


async def test_events_tab_shows_a_container_start_and_stop(make_app, client, labels, base_image):
    app = make_app(start_pane="daemon_logs")
    name = f"t{RUN_ID}-evtab"
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(DaemonLogsPane)
        await until(pilot, lambda: pane._feed is not None and pane._feed.connections >= 1)
        container = client.create_container(
            base_image, command=["sleep", "60"], name=name, labels=labels, host_config=client.create_host_config(mem_limit="32m")
        )["Id"]
        try:
            client.start(container)
            client.stop(container, timeout=0)

            def rows() -> list[tuple[str, str]]:
                table = pane.events_table
                return [(str(table.get_row_at(i)[2]), str(table.get_row_at(i)[3])) for i in range(table.row_count)]

            await until(pilot, lambda: {(name, "start"), (name, "die")} <= set(rows()))
            await pilot.press("t")
            assert str(pane.query_one("#daemon-tabs").active) == "daemon-events-tab"
            await pilot.press("1")
            assert not any(n == name for n, _ in rows()), "the container filter hides container events"
            assert "1:container" in _status(pane, "#daemon-events-status")
            await pilot.press("1")
            assert (name, "start") in rows()
        finally:
            client.remove_container(container, force=True)


async def test_follow_picks_up_new_lines_and_a_truncated_file(make_app, tmp_path):
    log = tmp_path / "dockerd.log"
    log.write_bytes(b"".join(b'time="2026-11-28T01:00:%02dZ" level=info msg="old %d"\n' % (i, i) for i in range(40)))
    app = make_app(daemon_log=str(log), start_pane="daemon_logs", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(LogView)

        def last_message() -> str:
            shown = view.visible_lines()
            return parse_line(view.source.lines(shown[-1], 1)[0]).message if shown else ""

        await until(pilot, lambda: last_message() == "old 39")
        with open(log, "ab") as handle:
            handle.write(b'time="2026-11-28T01:01:00Z" level=warning msg="appended"\n')
        await until(pilot, lambda: last_message() == "appended")
        log.write_bytes(b'time="2026-11-28T02:00:00Z" level=error msg="after rotation"\n')
        await until(pilot, lambda: view.row_count == 1 and last_message() == "after rotation")


async def test_events_that_came_while_hidden_are_shown_with_the_pane(make_app, client, labels, base_image):
    # A hidden pane only keeps the events (a row per event laid out the whole screen
    # under the pane being looked at); shown, its table holds every one of them.
    app = make_app(start_pane="containers")
    name = f"t{RUN_ID}-evhidden"
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await _made_and_hidden(pilot, app)
        await until(pilot, lambda: pane._feed is not None and pane._feed.connections >= 1)
        container = client.create_container(base_image, command=["true"], name=name, labels=labels)["Id"]
        try:
            client.start(container)
            await until(pilot, lambda: any(e.name == name and e.action == "die" for e in pane.events))
            table = pane.events_table
            assert not any(str(table.get_row_at(i)[2]) == name for i in range(table.row_count))
            await pilot.press("l")
            await until(pilot, lambda: app.current_pane == "daemon_logs")

            def shown() -> set[str]:
                return {str(table.get_row_at(i)[3]) for i in range(table.row_count) if str(table.get_row_at(i)[2]) == name}

            await until(pilot, lambda: {"create", "start", "die"} <= shown())
        finally:
            client.remove_container(container, force=True)


async def _made_and_hidden(pilot, app) -> DaemonLogsPane:
    """The pane is made when first shown: show it, then go back to the containers."""
    await pilot.press("l")
    await until(pilot, lambda: any(isinstance(p, DaemonLogsPane) for p in app.panes))
    await pilot.press("c")
    await until(pilot, lambda: app.current_pane == "containers")
    return app.query_one(DaemonLogsPane)


def _kept_by_feed(feed) -> tuple:
    """The events the app's feed keeps for late subscribers (subscribing returns them)."""

    def ignore(_event) -> None:
        pass

    kept = feed.subscribe(ignore)
    feed.unsubscribe(ignore)
    return kept


async def test_events_before_the_pane_was_first_shown_are_shown_with_it(make_app, client, labels, base_image):
    app = make_app(start_pane="containers")
    name = f"t{RUN_ID}-evbefore"
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.events_feed is not None and app.events_feed.connections >= 1)
        assert not any(isinstance(p, DaemonLogsPane) for p in app.panes)
        container = client.create_container(base_image, command=["true"], name=name, labels=labels)["Id"]
        try:
            client.start(container)
            await until(pilot, lambda: any(e.name == name and e.action == "die" for e in _kept_by_feed(app.events_feed)))
            await pilot.press("l")
            await until(pilot, lambda: any(isinstance(p, DaemonLogsPane) for p in app.panes))
            table = app.query_one(DaemonLogsPane).events_table

            def shown() -> set[str]:
                return {str(table.get_row_at(i)[3]) for i in range(table.row_count) if str(table.get_row_at(i)[2]) == name}

            await until(pilot, lambda: {"create", "start", "die"} <= shown())
        finally:
            client.remove_container(container, force=True)
