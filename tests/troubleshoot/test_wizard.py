"""The wizard screen driven with the Pilot at 80x24, keyboard only, on the sandbox daemon."""

from __future__ import annotations

import time

import pytest
from textual.app import App
from textual.widgets import OptionList

from dockscope.screens.wizard import WizardScreen, architecture_map
from dockscope.troubleshoot import SYMPTOMS
from tests.troubleshoot.conftest import SANDBOX_LOG

pytestmark = pytest.mark.daemon


async def wait_for(pilot, condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


async def open_wizard(app, pilot, names=()) -> WizardScreen:
    """Wait for a snapshot holding ``names``, then press w."""
    await wait_for(pilot, lambda: app.snapshot is not None and all(
        any(c.name == n for c in app.snapshot.containers) for n in names), what="the snapshot")
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), what="the wizard")
    return app.screen


class Harness(App[None]):
    """Only the wizard over a fresh snapshot: each key of the full dashboard costs seconds under the Pilot."""

    def __init__(self, session, daemon_log=None) -> None:
        super().__init__()
        self.session = session
        self.snapshot = session.poll()
        self.daemon_log = daemon_log

    def on_mount(self) -> None:
        self.push_screen(WizardScreen(self.snapshot, self.session, daemon_log=self.daemon_log))


async def pick_symptom(pilot, screen: WizardScreen, symptom_id: str) -> None:
    index = [s.id for s in SYMPTOMS].index(symptom_id)
    await pilot.press(*["down"] * index, "enter")
    assert screen.view == "question" or not screen.chosen.questions


async def pick_option(pilot, screen: WizardScreen, option_id: str) -> None:
    """Move the highlight to ``option_id`` with the arrow keys and press Enter."""
    answers = screen.query_one("#answers", OptionList)
    target = answers.get_option_index(option_id)
    await pilot.press(*["down"] * (target - (answers.highlighted or 0)), "enter")


async def test_w_opens_the_wizard_over_the_app_snapshot_and_escape_closes_it(make_app, demo):
    app = make_app(daemon_log=SANDBOX_LOG)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wizard(app, pilot, [f"{demo.prefix}crashloop"])
        assert screen.latest_snapshot is app.snapshot and screen.daemon_log == SANDBOX_LOG
        assert screen.view == "symptoms"
        await wait_for(pilot, lambda: screen.focused is screen.query_one("#symptoms"), what="focus on the symptoms")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, WizardScreen), what="the wizard to close")


async def test_restarting_container_path_and_escape_back(make_session, demo):
    app = Harness(make_session(), daemon_log=SANDBOX_LOG)
    crashloop = f"{demo.prefix}crashloop"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pick_symptom(pilot, screen, "restarting")
        assert "Which container?" in str(screen.query_one("#prompt").content)
        await pick_option(pilot, screen, demo.containers["crashloop"])
        await wait_for(pilot, lambda: screen.view == "result", what="the diagnosis")
        assert screen.diagnosis.component == "container"
        shown = screen.rendered.plain
        assert "container.restart_loop" in shown and f"{crashloop} keeps restarting" in shown
        assert "fatal: /etc/worker.conf: no such file" in shown
        assert f"docker logs --tail 50 {crashloop}" in shown
        assert "Containers   ◀ check here" in str(screen.query_one("#archmap").content)
        await pilot.press("escape")
        assert screen.view == "question"
        await pilot.press("escape")
        assert screen.view == "symptoms"
        await pilot.press("escape")
        assert not isinstance(app.screen, WizardScreen)


async def test_two_containers_second_list_leaves_out_the_first(make_session, demo):
    app = Harness(make_session())
    web, db = demo.containers["web"], demo.containers["shop-db-1"]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pick_symptom(pilot, screen, "containers_cant_talk")
        await pick_option(pilot, screen, web)
        assert "Which container should answer?" in str(screen.query_one("#prompt").content)
        answers = screen.query_one("#answers", OptionList)
        assert web not in {answers.get_option_at_index(i).id for i in range(answers.option_count)}
        await pick_option(pilot, screen, db)
        await wait_for(pilot, lambda: screen.view == "result", what="the diagnosis")
        assert screen.diagnosis.component == "network"
        assert "shared user-defined networks: none" in screen.rendered.plain
        assert "Networks   ◀ check here" in str(screen.query_one("#archmap").content)


async def test_choice_path_without_containers(make_session, demo):
    app = Harness(make_session(), daemon_log=SANDBOX_LOG)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pick_symptom(pilot, screen, "image_huge")
        assert "Which image?" in str(screen.query_one("#prompt").content)
        await pick_option(pilot, screen, demo.images["app2"])
        await pilot.press("enter")  # "The image is huge"
        await wait_for(pilot, lambda: screen.view == "result", what="the diagnosis")
        assert screen.diagnosis.component == "image"
        assert f"image {demo.repo}/app:2 has a layer efficiency" in screen.rendered.plain


async def test_hostile_log_lines_show_as_text(make_session, demo, hostile_container):
    app = Harness(make_session())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pick_symptom(pilot, screen, "exits_at_start")
        hostile_id = next(c.id for c in app.snapshot.containers if c.name == hostile_container)
        await pick_option(pilot, screen, hostile_id)
        await wait_for(pilot, lambda: screen.view == "result", what="the diagnosis")
        shown = screen.rendered.plain
        assert "[/] [link=file:///etc/passwd]x[/link]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert not any(span.style and "link" in str(span.style) for span in screen.rendered.spans)


def test_map_highlights_exactly_one_component():
    for component in ("client", "daemon", "image", "registry", "container", "network", "volume", "storage"):
        text = architecture_map(component)
        assert text.plain.count("◀ check here") == 1
        highlighted = [text.plain[s.start:s.end].strip() for s in text.spans if "reverse" in str(s.style)]
        assert len(highlighted) == 1
    assert max(len(line) for line in architecture_map("storage").plain.splitlines()) <= 78
