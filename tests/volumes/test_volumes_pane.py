"""The volumes pane on the real daemon: users, orphans, bind mounts, writes outside volumes, confirmed removal."""

from __future__ import annotations

import time

from dockscope.panes.volumes import VolumesPane
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import Selection


async def until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def _cells(pane: VolumesPane, key: str) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in pane.table.get_row(key)]


async def _open(pilot, app, vollab) -> VolumesPane:
    pane = app.query_one(VolumesPane)
    await until(pilot, lambda: vollab.volumes["orphan"] in pane.table._cells)
    await pilot.press("v")
    return pane


async def _select(pilot, pane: VolumesPane, name: str) -> None:
    pane.select(Selection("volume", name))
    await until(pilot, lambda: pane.table.current_key == name)


async def test_rows_show_users_orphans_and_binds(make_app, vollab):
    app = make_app(start_pane="volumes", events=False)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await _open(pilot, app, vollab)
        used = _cells(pane, vollab.volumes["used"])
        assert used[4] == f"{vollab.prefix}keeper"
        stopped = _cells(pane, vollab.volumes["stopped-user"])
        assert (stopped[4], stopped[5]) == ("", f"{vollab.prefix}idle")
        assert _cells(pane, vollab.volumes["orphan"])[4] == "orphaned"
        assert _cells(pane, vollab.volumes["anonymous"])[:3] == [vollab.volumes["anonymous"][:12] + "…", "local", "anonymous"]
        await pilot.press("s")
        await until(pilot, lambda: _cells(pane, vollab.volumes["used"])[3] not in ("…", "0B"))
        await _select(pilot, pane, vollab.volumes["used"])
        await until(pilot, lambda: "/data" in str(pane.query_one("#volume-detail").render()))
        await pilot.press("b")
        assert pane.has_class("binds")
        key = f"{vollab.containers['keeper']}\0/config"
        assert [str(c) for c in pane.binds_table.get_row(key)][2:] == [vollab.bind_source, "/config", "ro"]


async def test_writes_outside_volumes_are_reported(make_app, vollab):
    app = make_app(start_pane="volumes", events=False)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await _open(pilot, app, vollab)
        await pilot.press("o")
        await until(pilot, lambda: pane.write_reports is not None)
        names = {r.name: r for r in pane.write_reports}
        assert f"{vollab.prefix}writer" in names and names[f"{vollab.prefix}writer"].growing
        assert f"{vollab.prefix}keeper" not in names
        await until(pilot, lambda: "will not survive" in str(pane.query_one("#volume-detail").render()))


async def test_remove_orphan_asks_first_default_no(make_app, vollab, client):
    name = vollab.volumes["to-remove"]
    app = make_app(start_pane="volumes", events=False)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await _open(pilot, app, vollab)
        await _select(pilot, pane, name)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert any(v["Name"] == name for v in client.volumes()["Volumes"]), "Enter means No"
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert name in str(app.screen.question) and vollab.volumes["used"] not in str(app.screen.question)
        await pilot.press("n")
        await _select(pilot, pane, name)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not any(v["Name"] == name for v in client.volumes()["Volumes"]))
        await until(pilot, lambda: name not in pane.table._cells)


async def test_read_only_cannot_remove(make_app, vollab, client):
    app = make_app(start_pane="volumes", events=False, read_only=True)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await _open(pilot, app, vollab)
        await _select(pilot, pane, vollab.volumes["orphan"])
        await pilot.press("d", "p")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        pane.action_remove()
        assert "read-only" in pane.notice
        assert any(v["Name"] == vollab.volumes["orphan"] for v in client.volumes()["Volumes"])
