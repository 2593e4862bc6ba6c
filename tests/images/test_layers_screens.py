"""The layers screen and the compare screen on the known images, at 80x24.

b = base (2 layers) + a layer writing /b-<id> (20,000 bytes) + a layer of
0 bytes deleting it; a = base + /a-<id> (10,000 bytes).
"""

from __future__ import annotations

from dockscope.layers import format_size
from dockscope.screens.image_compare import CompareScreen
from dockscope.screens.layers import LayersScreen
from tests.images.test_images_pane import SIZE, filter_to, open_pane, select, until


def plain(cell) -> str:
    return str(getattr(cell, "plain", cell))


def own_id(known) -> str:
    return known.filter.split("=", 1)[1]


async def test_layers_screen_exact_sizes_files_and_wasted(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.b)
        await select(pilot, pane, known.b)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LayersScreen) and app.screen.analysis is not None,
                    what=lambda: getattr(app.screen, "error", ""))
        screen: LayersScreen = app.screen
        analysis = screen.analysis
        base_size = app.snapshot.image_by_id[known.base].size
        assert [layer.size for layer in analysis.layers][2:] == [20000, 0]
        assert sum(layer.size for layer in analysis.layers[:2]) == base_size
        assert analysis.base_layers == 2, "the base image boundary"
        table = screen.table
        assert plain(table.get_row("2")[2]).strip().startswith("20.0 kB") and "█" in plain(table.get_row("2")[2])
        assert plain(table.get_row("3")[2]).strip() == "0 Bytes"
        assert plain(table.get_row("0")[0]) == "0 base" and plain(table.get_row("2")[0]) == "2"
        assert plain(table.get_row("3")[4]) == f"rm /b-{own_id(known)}"
        # the top layer's files: one removal that hides 20,000 bytes
        labels = [plain(node.label) for node in screen.query_one("#layer-files").root.children]
        assert labels == ["removed (1 paths, 20.0 kB)"]
        assert analysis.efficiency.wasted_bytes == 20000 and analysis.own_efficiency.score == 0.0
        assert [(w.path, w.wasted_bytes) for w in analysis.top_wasted] == [(f"/b-{own_id(known)}", 20000)]
        wasted = screen.query_one("#layers-wasted")
        assert plain(wasted.get_row_at(0)[0]) == f"/b-{own_id(known)}"
        summary = plain(screen.query_one("#layers-progress").render())
        assert "wasted 20.0 kB" in summary and "own layers: wasted 20.0 kB, efficiency 0.0%" in summary
        # the layer that writes the file, and its full step on Enter
        table.move_cursor(row=2)
        await until(pilot, lambda: screen._shown_layer == 2)
        labels = [plain(node.label) for node in screen.query_one("#layer-files").root.children]
        assert labels == ["added (1 paths, 20.0 kB)"]
        await pilot.press("enter")
        assert f"head -c 20000 /dev/zero > /b-{own_id(known)}" in plain(screen.query_one("#layers-step").render())
        await pilot.press("m")
        merged = screen.query_one("#merged-files")
        assert not any(f"b-{own_id(known)}" in plain(n.label) for n in merged.root.children)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LayersScreen))
        assert app.current_pane == "images"


async def test_escape_cancels_a_running_analysis(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        await select(pilot, pane, known.a)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LayersScreen))
        screen = app.screen
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LayersScreen))
        assert screen.cancel.is_set()
        await until(pilot, lambda: not any(w.group == "layers-analysis" and w.is_running for w in app.workers))


async def test_compare_two_marked_images(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        await filter_to(pilot, pane, known.filter)
        await pilot.press("C")
        assert "mark two images" in pane.notice.plain
        for image_id in (known.a, known.b):
            await select(pilot, pane, image_id)
            await pilot.press("space")
        assert pane.marked == [known.a, known.b]
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.diff is not None)
        diff = app.screen.diff
        assert diff.shared_layers == 2 and diff.size_delta == 10000
        expected = f"B is {format_size(10000)} larger; the difference is in overwritten or deleted copies, not in the final files"
        assert diff.summary == expected
        assert [(f.path, f.delta.value, f.bytes) for f in diff.files] == [(f"/a-{own_id(known)}", "removed", -10000)]
        assert expected in plain(app.screen.query_one("#compare-head").render())
        layers = app.screen.query_one("#compare-layers")
        assert [plain(layers.get_row_at(i)[1]) for i in range(layers.row_count)] == ["shared", "shared", "changed", "changed"]
        assert plain(layers.get_row_at(2)[4]) == "+10.0 kB" and plain(layers.get_row_at(3)[4]) == "±0 Bytes"
        files = app.screen.query_one("#compare-files")
        assert [plain(c) for c in files.get_row_at(0)][:3] == ["removed", "-10.0 kB", f"/a-{own_id(known)}"]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))


async def test_hostile_paths_and_steps_show_as_text(make_app, client, own_labels, known):
    from dockscope.demo import build

    dockerfile = (
        f"FROM {known.tag('base')}\n"
        "RUN head -c 64 /dev/zero > \"$(printf '/w\\033]0;pwned\\007x')\" && touch '/[red]y' && echo '[link=file:///etc/passwd]z[/link]'\n"
    )
    hostile = build(client, f"{known.repo}/hostile:1", dockerfile, own_labels)
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, hostile)
        await select(pilot, pane, hostile)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LayersScreen) and app.screen.analysis is not None)
        screen = app.screen
        labels = [node.label for node in screen.query_one("#layer-files").root.children[0].children]
        names = [plain(label) for label in labels]
        assert any(name.startswith("[red]y ") for name in names), names
        assert all("\x1b" not in name and "\x07" not in name for name in names)
        assert not any(span.style and "red" in str(span.style) for label in labels for span in label.spans)
        step = plain(screen.table.get_row(str(len(screen.analysis.layers) - 1))[4])
        assert "[link=file:///etc/passwd]" in step or step.endswith("…")
