"""Switching panes under an open dialog must not take the dialog's keys away."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from dockscope.ui.confirm import PromptScreen

pytestmark = pytest.mark.daemon


@pytest.mark.parametrize("pane_id", ["images", "containers", "map"])
async def test_show_pane_under_a_dialog_keeps_its_focus(make_app, pane_id: str) -> None:
    # The app switches to its start pane after the first refresh; a screen pushed before
    # that (a slow machine, a test, a quick user) lost its focus to the pane's table.
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        answers: list[str | None] = []
        await app.push_screen(PromptScreen("name?"), answers.append)
        await pilot.pause()
        app.action_show_pane(pane_id)
        assert isinstance(app.screen.focused, Input)
        await pilot.press("a", "b", "enter")
        assert answers == ["ab"]
        # Back on the panes, the switched-to pane has the focus.
        focused = app.screen.focused
        assert focused is not None and app.current_pane == pane_id
        assert any(node.id == pane_id for node in focused.ancestors_with_self)
        if pane_id != "map":
            assert isinstance(focused, DataTable)


async def test_keys_tell_the_housekeeper_someone_is_typing(make_app) -> None:
    # A full collection waits until no key was pressed for a while (dockscope.heap.Housekeeper).
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.housekeeper.last_input = 0.0
        await pilot.press("down")
        assert app.housekeeper.last_input > 0.0
        app.housekeeper.last_input = 0.0
        await pilot.pause(0.2)
        assert app.housekeeper.last_input == 0.0, "only input counts"
