"""Opening and closing prompts does not keep widgets alive (issue 7: RSS grew with every prompt).

Each change of focus makes the footer compose new keys; Textual's own footer
kept every key it ever made (Textualize/textual#6666). The footer of
:mod:`dockscope.ui.footer` lets them go: the count of live ``FooterKey``
objects must not grow with the number of prompts.
"""

from __future__ import annotations

import asyncio
import gc
import time

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Footer as TextualFooter, Input
from textual.widgets._footer import FooterKey

from dockscope.panes.container_logs import ContainerLogsScreen
from dockscope.ui.confirm import PromptScreen
from dockscope.ui.footer import Footer


def live(kind: type) -> int:
    """Objects of ``kind`` still alive after a full collection."""
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, kind))


class KeysApp(App[None]):
    """A table, a prompt and a footer with a dozen keys."""

    BINDINGS = [Binding(key, f"press_{key}", f"Key {key}") for key in "abcdefghijkl"]

    def __init__(self, footer: type[TextualFooter]) -> None:
        super().__init__()
        self.footer_class = footer

    def compose(self) -> ComposeResult:
        yield DataTable()
        yield Input()
        yield self.footer_class()


async def test_footer_recomposed_120_times_keeps_only_its_keys() -> None:
    """What every focus change does to the footer, 120 times: the replaced keys are freed.

    With Textual's Footer (``KeysApp(TextualFooter)``) the count grows by the
    13 keys shown at every recompose: 625 after 50, 2425 after 200 (measured).
    """
    app = KeysApp(Footer)
    async with app.run_test(size=(80, 24)) as pilot:
        shown = app.query_one(Footer)
        await _recompose(shown, 30)
        after_30 = await _settled(pilot)
        await _recompose(shown, 90)
        after_120 = await _settled(pilot)
        on_screen = len(shown.query(FooterKey))
    assert on_screen == 13
    assert after_120 <= after_30 <= 2 * on_screen, f"live FooterKeys: {after_30} after 30 recomposes, {after_120} after 120"


async def _recompose(footer: TextualFooter, count: int) -> None:
    """Recompose ``footer`` ``count`` times from its own message pump (as its bindings_changed does)."""
    finished = asyncio.get_running_loop().create_future()

    async def again() -> None:
        for _ in range(count):
            await footer.recompose()
        finished.set_result(None)

    footer.call_later(again)
    await asyncio.wait_for(finished, timeout=120)


@pytest.mark.daemon
async def test_containers_filter_prompt_opened_and_closed_keeps_no_widget(make_app) -> None:
    """The containers pane's filter prompt (/ then Escape), in the real app on the sandbox daemon."""
    app = make_app(start_pane="containers")
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(pilot, lambda: app.snapshot is not None, "first snapshot")
        pane = app.query_one("#containers")
        await _prompts(pilot, pane, 2)
        keys_before, widgets_before = await _settled(pilot), live(Widget)
        await _prompts(pilot, pane, 6)
        keys_after, widgets_after = await _settled(pilot), live(Widget)
        batch = _footer_keys(app)
    # Before the fix: +42 keys (and widgets) per prompt. A footer's worth may be in flight when counted.
    assert keys_after <= keys_before + batch, f"FooterKeys {keys_before} -> {keys_after} over 6 prompts (widgets {widgets_before} -> {widgets_after})"
    assert widgets_after <= widgets_before + batch + 5, f"widgets {widgets_before} -> {widgets_after} over 6 prompts"


@pytest.mark.daemon
async def test_logs_search_prompt_opened_and_closed_keeps_no_widget(make_app, client, base_image, labels) -> None:
    """The logs view's search prompt (a pushed PromptScreen): neither its keys nor the prompts stay alive."""
    created = client.create_container(base_image, command=["sh", "-c", "echo hello; sleep 600"], labels=labels,
                                      host_config=client.create_host_config(mem_limit="32m"))
    client.start(created["Id"])
    try:
        app = make_app(start_pane="containers")
        async with app.run_test(size=(80, 24)) as pilot:
            await _wait(pilot, lambda: app.snapshot is not None, "first snapshot")
            await app.push_screen(ContainerLogsScreen(created["Id"]))
            await pilot.pause()
            await _searches(pilot, 2)
            keys_before = await _settled(pilot)
            await _searches(pilot, 6)
            keys_after, prompts = await _settled(pilot), live(PromptScreen)
            batch = _footer_keys(app)
    finally:
        client.remove_container(created["Id"], force=True)
    # Before the fix: +18 keys per search prompt.
    assert keys_after <= keys_before + batch, f"FooterKeys {keys_before} -> {keys_after} over 6 search prompts"
    assert prompts == 0, f"{prompts} closed prompts still alive"


def _footer_keys(app: App) -> int:
    """Keys shown now by the footer of the screen on top."""
    return len(app.screen.query_one(Footer).query(FooterKey))


async def _settled(pilot, tries: int = 20) -> int:
    """Live FooterKeys once no more than the footer's own are alive (or after ``tries`` refreshes)."""
    count = live(FooterKey)
    for _ in range(tries):
        if count <= _footer_keys(pilot.app):
            break
        await pilot.pause(0.05)
        count = live(FooterKey)
    return count


async def _prompts(pilot, pane, count: int) -> None:
    for _ in range(count):
        pane.action_filter()
        await pilot.pause()
        pane.action_clear()
        await pilot.pause()


async def _searches(pilot, count: int) -> None:
    for _ in range(count):
        await pilot.press("slash")
        assert isinstance(pilot.app.screen, PromptScreen), type(pilot.app.screen).__name__
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ContainerLogsScreen)


async def _wait(pilot, check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.1)
