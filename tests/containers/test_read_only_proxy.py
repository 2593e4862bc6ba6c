"""--read-only proved on the wire: a recording proxy between dockscope and the daemon sees only GET/HEAD.

A full Pilot session visits every pane, presses every key its bindings
offer there, and on the containers pane every action key (shown or not),
opens the detail and the logs and presses their keys too. No confirmation may
appear; the proxy must record real reads (stats, logs, inspect, top, diff),
and not one request with another method.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from textual import events
from textual.actions import SkipAction
from textual.widgets import Input

from dockscope.app import DockscopeApp
from dockscope.engine.connect import open_client
from dockscope.engine.endpoint import resolve_endpoint
from dockscope.engine.session import HostSession
from dockscope.panes.container_detail import ContainerDetailScreen
from dockscope.panes.container_logs import ContainerLogsScreen
from dockscope.panes.containers import ContainersPane
from tests.containers.conftest import PREFIX, wait_for
from tests.support.proxy import RecordingProxy

pytestmark = pytest.mark.daemon

#: Keys that leave the session or only switch panes (visited on purpose below).
NOT_PRESSED = {"q", "ctrl+q", "ctrl+c", "ctrl+p", "m", "c", "i", "n", "v", "l", "escape", "tab", "shift+tab"}
MOVING = ("show_pane", "scroll", "cursor", "page", "copy", "delete", "paste", "cut", "select", "home", "end", "screenshot")
CONTAINER_WRITE_KEYS = ("u", "x", "R", "p", "K", "D", "e", "P")
DETAIL_KEYS = ("v", "r", "v")
LOGS_KEYS = ("f", "f", "T", "w", "n", "N", "o", "G")


async def wait_until(pilot, check, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


async def tap(app, pilot, key: str) -> None:
    """Send one key like a terminal would (Pilot.press waits for the process to idle; the proxy never is)."""
    chars = {"space": " ", "enter": "\r", "escape": "\x1b", "tab": "\t", "slash": "/"}
    char = key if len(key) == 1 else chars.get(key)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)
    await pilot.pause(0.05)


async def back_to_base(app, pilot) -> None:
    """Close whatever a key opened (a prompt, a dialog, a detail screen)."""
    for _ in range(4):
        if app.screen is app.base_screen:
            return
        assert type(app.screen).__name__ != "ConfirmScreen", "a confirmation appeared in read-only mode"
        await tap(app, pilot, "escape")
        await pilot.pause(0.1)
    assert app.screen is app.base_screen


def bindings_here(app, pane_id: str, pressed: set[tuple[str, str, str]]) -> list[str]:
    """The action keys active now not pressed yet (an app-wide key once in the session, a pane's key once per pane).

    Moving the cursor, scrolling and editing text change nothing, so they are left out.
    """
    keys = []
    for key, active in app.active_bindings.items():
        action = active.binding.action
        if key in NOT_PRESSED or action.startswith(MOVING) and action != "select_cursor":
            continue
        owner = "app" if active.node is app else pane_id
        if (key, action, owner) not in pressed:
            pressed.add((key, action, owner))
            keys.append(key)
    return keys


@pytest.fixture
def target(make_container, state):
    """A running container of ours, with output, for the containers pane to act on."""
    cid = make_container("ro-target", ["sh", "-c", "echo hello from ro; sleep 600"])
    wait_for(lambda: state(cid)["Running"], what="running")
    return cid


async def test_a_read_only_session_sends_only_get_and_head(docker_host, target) -> None:
    with RecordingProxy(docker_host) as proxy:
        endpoint = resolve_endpoint(host=proxy.url, env={})
        app = DockscopeApp(HostSession(endpoint, open_client(endpoint, timeout=15)), read_only=True, start_pane="map")
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.snapshot is not None and target in app.snapshot.container_by_id, what="a snapshot")
            pressed: set[tuple[str, str, str]] = set()
            for pane_key, pane_id in (("m", "map"), ("i", "images"), ("n", "networks"), ("v", "volumes"), ("l", "daemon_logs"), ("c", "containers")):
                await tap(app, pilot, pane_key)
                await pilot.pause(0.2)
                for key in bindings_here(app, pane_id, pressed):
                    if isinstance(app.focused, Input):  # a search box opened: keys would be typed into it
                        app.action_show_pane(pane_id)
                    await tap(app, pilot, key)
                    await back_to_base(app, pilot)
            pane = app.query_one(ContainersPane)
            for _ in range(2):  # close the filter box "/" opened, then clear what the keys toggled
                with contextlib.suppress(SkipAction):  # nothing left to clear: Escape would go Back
                    pane.action_clear()
            pane.apply_filter(f"{PREFIX}ro-target")
            await wait_until(pilot, lambda: pane.table.row_count == 1, what="our row")
            app.set_focus(pane.table)
            pane.table.move_cursor(row=0)
            shown = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
            assert not shown & set(CONTAINER_WRITE_KEYS) and "L" in shown  # hidden from the footer
            await tap(app, pilot, "space")
            for key in CONTAINER_WRITE_KEYS:
                await tap(app, pilot, key)
                await back_to_base(app, pilot)
            pane.action_remove()  # and refused even when called directly
            assert "read-only" in str(pane.query_one("#containers-message").render())
            pane.marked.clear()
            await tap(app, pilot, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ContainerDetailScreen) and app.screen.shown, what="the detail")
            for key in DETAIL_KEYS:
                await tap(app, pilot, key)
            await back_to_base(app, pilot)
            app.action_show_pane("containers")
            app.set_focus(pane.table)
            await tap(app, pilot, "L")
            await wait_until(pilot, lambda: isinstance(app.screen, ContainerLogsScreen) and len(app.screen.view.ring) >= 1, what="logs")
            app.screen.apply_search("hello")
            for key in LOGS_KEYS:
                await tap(app, pilot, key)
            await back_to_base(app, pilot)
            await pilot.pause(2.5)  # one more stats round
        requests = list(proxy.requests)
    writes = [f"{r.method} {r.path}" for r in requests if r.method not in ("GET", "HEAD")]
    assert writes == []
    seen = {r.endpoint.replace(target, "<id>") for r in requests}
    for read in ("/containers/json", "/containers/<id>/json", "/containers/<id>/logs", "/containers/<id>/top", "/containers/<id>/changes", "/events"):
        assert read in seen, f"{read} never requested: the session did not really run ({sorted(seen)[:20]})"
    assert any(path.startswith("/containers/") and path.endswith("/stats") for path in seen)
