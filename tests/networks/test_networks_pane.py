"""The networks pane on the lab: subnets, members with IPv4 and aliases, unused, and the reachability dialog."""

from __future__ import annotations

import time

from dockscope.panes.networks import NetworksPane, ReachScreen, network_name
from dockscope.ui.messages import Selection


async def until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def test_names_with_spaces_are_quoted():
    assert network_name("backend") == "backend"
    assert network_name("my net") == "'my net'"
    assert network_name("") == "''"


async def test_rows_detail_and_reach_dialog(make_app, netlab):
    app = make_app(start_pane="networks", events=False)
    user_id = netlab.networks["user"]
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(NetworksPane)
        await until(pilot, lambda: netlab.networks["unused"] in pane.table._cells)
        cells = [str(c) for c in pane.table.get_row(user_id)]
        assert cells[0] == netlab.name("user")
        assert (cells[3], cells[4]) == (netlab.subnets["user"], netlab.gateways["user"])
        assert f"{netlab.name('a')} {netlab.subnets['user'].rsplit('.', 1)[0]}." in cells[6]
        assert [str(c) for c in pane.table.get_row(netlab.networks["internal"])][5] == "internal"
        assert [str(c) for c in pane.table.get_row(netlab.networks["unused"])][6] == "unused"
        await pilot.press("n")
        pane.select(Selection("network", user_id))

        def detail() -> str:
            return str(pane.query_one("#network-detail").render())

        await until(pilot, lambda: "aliases: beta, db" in detail() and "aliases: alpha" in detail())
        assert f"{netlab.name('s')} [created]" in detail()
        unused = [n for n in app.snapshot.networks if n.unused]
        assert f"{len(unused)} unused network" in detail() and "docker network prune" in detail()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReachScreen) and app.screen.answer is not None)
        screen = app.screen
        assert (screen.answer.source, screen.answer.target) == (netlab.name("a"), netlab.name("b"))
        assert screen.answer.verdict == "yes"
        await until(pilot, lambda: "beta" in str(screen.query_one("#reach-answer").render()))
        screen.choose(netlab.containers["a"], netlab.containers["e"])
        await pilot.pause(0.1)
        answer = str(screen.query_one("#reach-answer").render())
        assert "NO" in answer and f"docker network connect {netlab.name('other')} {netlab.name('a')}" in answer
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReachScreen))
