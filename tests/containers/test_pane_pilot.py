"""The containers pane driven through the Pilot: filter, sort, faulted only, marks, confirmations, detail, links."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input

from dockscope.panes.container_detail import ContainerDetailScreen
from dockscope.panes.containers import ContainersPane
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import Selection
from tests.containers.conftest import PREFIX, wait_for

pytestmark = pytest.mark.daemon

GROUP = f"{PREFIX}pl-(alpha|bravo|charlie)"
#: sleeps, but stops at once on SIGTERM (PID 1 has no default signal handlers).
STOPPABLE = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]


@pytest.fixture(scope="module")
def trio(client, make_container, state):
    """Three containers of ours: running (with secrets in env), exited 0, exited 3."""
    ids = {
        "alpha": make_container(
            "pl-alpha", ["sleep", "600"],
            env=["DB_PASSWORD=hunter2", "DATABASE_URL=postgres://app:s3cr3t@db:5432/x", "API_TOKEN=tok-123", "PLAIN=visible"],
            extra_labels={"com.docker.compose.project": "plshop", "com.docker.compose.service": "web"},
        ),
        "bravo": make_container("pl-bravo", ["true"]),
        "charlie": make_container("pl-charlie", ["sh", "-c", "exit 3"]),
    }
    wait_for(lambda: state(ids["bravo"])["Status"] == "exited" and state(ids["charlie"])["Status"] == "exited", what="exits")
    return ids


async def wait_until(pilot, check, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


def all_keys(pane: ContainersPane) -> list[str]:
    return [row.key.value for row in pane.table.ordered_rows]


def row_keys(pane: ContainersPane) -> list[str]:
    """Container rows only (no compose project header)."""
    return [key for key in all_keys(pane) if not key.startswith("group:")]


async def open_filtered(app, pilot, ids) -> ContainersPane:
    pane = app.query_one(ContainersPane)
    await wait_until(pilot, lambda: set(ids.values()) <= set(row_keys(pane)), what="our rows")
    await pilot.press("slash")
    box = pane.query_one("#containers-filter", Input)
    assert app.focused is box
    box.value = GROUP  # typed at once: each Pilot key press waits for the whole process to idle
    await pilot.press("enter")
    await wait_until(pilot, lambda: set(row_keys(pane)) == set(ids.values()), what="the filter")
    return pane


async def test_filter_sort_and_faulted_only(make_app, trio) -> None:
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_filtered(app, pilot, trio)
        assert app.focused is pane.table
        pane.apply_filter("([bad")
        assert "bad regex" in str(pane.query_one("#containers-message").render())
        assert set(row_keys(pane)) == set(trio.values())  # unchanged
        keys = all_keys(pane)
        assert "group:plshop" in keys and keys.index("group:plshop") == keys.index(trio["alpha"]) - 1
        header = [cell.plain for cell in pane.table.get_row("group:plshop")]
        assert header[0] == "▾ plshop" and header[1] == "1/1 running"
        await pilot.press("s")  # name: no project headers outside the natural order
        assert "group:plshop" not in all_keys(pane)
        assert row_keys(pane) == [trio["alpha"], trio["bravo"], trio["charlie"]]
        await pilot.press("S")
        assert row_keys(pane) == [trio["charlie"], trio["bravo"], trio["alpha"]]
        await pilot.press("s", "S")  # state, ascending: exited < running
        assert row_keys(pane)[-1] == trio["alpha"]
        await pilot.press("f")
        await wait_until(pilot, lambda: row_keys(pane) == [trio["charlie"]], what="faulted only")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(row_keys(pane)) > 3, what="everything back")


async def test_stats_strip_says_an_exited_container_has_no_figures(make_app, trio) -> None:
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_filtered(app, pilot, trio)
        label = pane.query_one("#cpu-label")

        def strip_for(key: str) -> str:
            pane.table.move_cursor(row=all_keys(pane).index(trio[key]))
            return str(label.render())

        await wait_until(pilot, lambda: "(exited)" in strip_for("charlie"), what=f"the exited strip: {strip_for('charlie')!r}")
        assert "…" not in strip_for("charlie") and "MEM –" in str(pane.query_one("#mem-label").render())
        await wait_until(pilot, lambda: "%" in strip_for("alpha"), what=f"a CPU figure for the running one: {strip_for('alpha')!r}")


async def test_cursor_survives_refreshes_and_detail_masks_secrets(make_app, client, trio) -> None:
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_filtered(app, pilot, trio)
        pane.table.move_cursor(row=all_keys(pane).index(trio["alpha"]))
        app.request_refresh(("containers",), full=True)
        await pilot.pause(1.0)
        assert pane.table.current_key == trio["alpha"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainerDetailScreen) and app.screen.shown, what="the detail")
        text = app.screen.rendered_text()
        assert "plshop" in text and "sleep 600" in text and "Processes (top)" in text
        assert "PLAIN=visible" in text and "hunter2" not in text and "s3cr3t" not in text and "tok-123" not in text
        assert "DB_PASSWORD=••••••" in text and "postgres://app:***@db:5432/x" in text
        await pilot.press("v")
        revealed = app.screen.rendered_text()
        assert "DB_PASSWORD=hunter2" in revealed and "app:s3cr3t@db" in revealed
        await pilot.press("v")
        assert "hunter2" not in app.screen.rendered_text()
        await pilot.press("tab", "down", "enter")  # the first link: the image
        await wait_until(pilot, lambda: app.current_pane == "images", what="the images pane")
        assert not isinstance(app.screen, ContainerDetailScreen)
        image_id = client.inspect_container(trio["alpha"])["Image"]
        assert app.selection == Selection("image", image_id)


async def test_mark_confirm_default_no_then_stop(make_app, client, make_container, state) -> None:
    ids = {k: make_container(f"pl-stop-{k}", STOPPABLE) for k in ("one", "two")}
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ContainersPane)
        await wait_until(pilot, lambda: set(ids.values()) <= set(row_keys(pane)), what="rows")
        pane.apply_filter(f"{PREFIX}pl-stop-")
        await wait_until(pilot, lambda: len(row_keys(pane)) == 2, what="filter")
        pane.table.move_cursor(row=0)
        await pilot.press("space", "space")
        assert pane.marked == set(ids.values())
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question.plain
        assert "Stop 2 containers?" in question
        for cid in ids.values():
            assert cid[:12] in question
        assert f"{PREFIX}pl-stop-one" in question
        await pilot.press("enter")  # the default button is No
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause(0.5)
        assert all(state(c)["Running"] for c in ids.values())
        await pilot.press("x")
        await pilot.press("y")
        await wait_until(pilot, lambda: all(not state(c)["Running"] for c in ids.values()), timeout=30, what="stopped")
        await wait_until(
            pilot, lambda: all(pane.table.get_cell(c, "state").plain == "exited" for c in ids.values()), what="the table to show it"
        )
