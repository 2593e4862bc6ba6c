"""A confirmation says yes only to ``y`` (or a click on Yes), never to keys typed ahead."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App

from dockscope.ui.confirm import ConfirmScreen


async def _answer(*keys: str) -> list[bool | None]:
    answers: list[bool | None] = []
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen(Text("Stop 1 container?")), answers.append)
        await pilot.press(*keys)  # no pause: typed ahead, as the dialog comes up
        await pilot.pause()
    return answers


@pytest.mark.parametrize("keys", [("7", "-", "e", "x", "enter"), ("tab", "enter"), ("tab", "tab", "enter"), ("shift+tab", "enter")])
async def test_typed_ahead_enter_and_tab_never_say_yes(keys) -> None:
    assert await _answer(*keys) == [False]


async def test_y_says_yes() -> None:
    assert await _answer("y") == [True]
