"""What a quiet host costs to show: a poll or a cursor move must not repaint the whole screen.

Setting an app-level reactive repaints every widget on the screen by default;
at 200x50 with 500 rows that full frame was the largest single cost of an idle
dockscope (benchmarks/results/scale.md, idle CPU).
"""

from __future__ import annotations

import pytest
from textual._compositor import Compositor

pytestmark = pytest.mark.daemon


@pytest.fixture
def full_frames(monkeypatch) -> list[int]:
    """Counts the compositor's full-screen renders (one entry per frame)."""
    frames: list[int] = []
    render_full_update = Compositor.render_full_update

    def counting(self, *args, **kwargs):
        frames.append(1)
        return render_full_update(self, *args, **kwargs)

    monkeypatch.setattr(Compositor, "render_full_update", counting)
    return frames


async def test_polls_and_cursor_moves_repaint_only_what_changed(make_app, demo, full_frames: list[int]) -> None:
    app = make_app(start_pane="containers", events=False, poll_seconds=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(50):
            await pilot.pause(0.1)
            if app.snapshot is not None and app.snapshot.seq >= 2 and app.current_pane == "containers":
                break
        await pilot.pause(0.3)
        full_frames.clear()
        first_seq = app.snapshot.seq
        for _ in range(40):
            await pilot.pause(0.1)
            if app.snapshot.seq >= first_seq + 5:
                break
        polls = app.snapshot.seq - first_seq
        assert polls >= 5, "the app did not poll"
        assert len(full_frames) <= 1, f"{len(full_frames)} full-screen frames for {polls} polls"

        full_frames.clear()
        for _ in range(5):
            await pilot.press("down")
            await pilot.pause(0.05)
        assert app.selection is not None and app.selection.kind == "container"
        assert len(full_frames) <= 1, f"{len(full_frames)} full-screen frames for 5 cursor moves"
