"""A snapshot taken before the app starts (cli.run_app takes it while Textual imports) is on the first frame."""

from __future__ import annotations

import pytest

from dockscope.app import DockscopeApp
from dockscope.panes.base import KeyedTable

pytestmark = pytest.mark.daemon


async def test_first_snapshot_is_shown_before_any_poll_returns(make_session, demo) -> None:
    session = make_session()
    first = session.poll()
    assert demo.containers, "the demo host has containers"
    app = DockscopeApp(session, start_pane="containers", events=False, first_snapshot=first)
    # Hold the session's lock: the app's own first poll waits for it, so what is shown
    # can only come from the snapshot handed in.
    with session._lock:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.snapshot is first
            table = app.query_one("#containers-table", KeyedTable)
            shown = {row.key.value for row in table.ordered_rows}
            assert {c.id for c in first.containers} <= shown
            session._lock.release()
            try:
                await pilot.pause(0.5)
            finally:
                session._lock.acquire()
