"""Pilot walks over every link (container, image, layers, network, volume) and back, and the highlights."""

from __future__ import annotations

import time

from rich.style import Style
from textual.css.query import NoMatches

from dockscope.panes.base import KeyedTable, TablePane
from dockscope.screens.relations import RelationsScreen
from dockscope.ui.messages import OpenPane, Selection


async def until(pilot, condition, timeout: float = 60.0, what=lambda: "condition") -> None:
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        assert time.monotonic() < deadline, f"not met in time: {what()}"
        await pilot.pause(0.05)


def _holds(condition) -> bool:
    """A pane is made when first shown and its table exists a moment later: not there yet is not yet."""
    try:
        return bool(condition())
    except NoMatches:
        return False


def _pane(app, pane_id: str) -> TablePane:
    return app.query_one(f"#{pane_id}", TablePane)


async def _start(pilot, app, world, pane_id: str, selection: Selection) -> None:
    def ready() -> bool:
        snapshot = app.snapshot
        return (
            snapshot is not None and world.b in snapshot.container_by_id
            and world.volume in snapshot.volume_by_name and world.image in snapshot.image_by_id
            and world.network in snapshot.network_by_id
        )

    await until(pilot, ready)
    app.action_show_pane(pane_id)
    await until(pilot, lambda: _pane(app, pane_id).select(selection) and app.selection == selection)


def _node(screen: RelationsScreen, wanted):
    pending = [screen.tree.root]
    while pending:
        node = pending.pop(0)
        if node.data == wanted and node is not screen.tree.root:
            return node
        pending += list(node.children)
    raise AssertionError(f"{wanted} not in the relations tree of {screen.selection}")


async def _relations(pilot, app) -> RelationsScreen:
    """Press g and wait for the filled tree."""
    await pilot.press("g")
    await until(pilot, lambda: isinstance(app.screen, RelationsScreen) and bool(app.screen.tree.root.children))
    return app.screen


async def _follow(pilot, app, target: Selection, pane_id: str) -> None:
    """g, put the tree cursor on ``target``, Enter; then we are on it in its pane."""
    screen = await _relations(pilot, app)
    screen.tree.move_cursor(_node(screen, target))
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, RelationsScreen))
    assert app.current_pane == pane_id
    await until(
        pilot, lambda: _pane(app, pane_id).table.current_key == target.key and app.selection == target,
        what=lambda: f"on {target} in {pane_id}: cursor {_pane(app, pane_id).table.current_key}, selection {app.selection}",
    )


async def _back(pilot, app, pane_id: str, selection: Selection, key: str = "escape") -> None:
    await pilot.press(key)
    await until(
        pilot, lambda: app.current_pane == pane_id and app.selection == selection,
        what=lambda: f"back to {pane_id} {selection}: in {app.current_pane} on {app.selection}, focus {app.focused}, stack {app.nav_stack}",
    )
    await until(pilot, lambda: _pane(app, pane_id).table.current_key == selection.key, what=lambda: f"cursor on {selection.key}")


async def test_walk_every_link_and_back(make_app, world):
    a, b = Selection("container", world.a), Selection("container", world.b)
    network, volume, image = Selection("network", world.network), Selection("volume", world.volume), Selection("image", world.image)
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _start(pilot, app, world, "containers", a)
        await _follow(pilot, app, image, "images")            # container -> image
        await _follow(pilot, app, a, "containers")            # image -> containers
        await _back(pilot, app, "images", image, "backspace")
        await _back(pilot, app, "containers", a)
        await _follow(pilot, app, network, "networks")        # container -> network
        await _follow(pilot, app, b, "containers")            # network -> other container
        await _back(pilot, app, "networks", network, "backspace")
        await _back(pilot, app, "containers", a)
        await _follow(pilot, app, volume, "volumes")          # container -> volume
        await _follow(pilot, app, a, "containers")            # volume -> containers
        await _back(pilot, app, "volumes", volume, "backspace")
        await _back(pilot, app, "containers", a)
        assert app.nav_stack == []
        await pilot.press("escape")
        assert app.current_pane == "containers", "Escape with nothing to return to stays"


async def test_container_tree_reaches_other_containers_and_layers(make_app, world):
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _start(pilot, app, world, "containers", Selection("container", world.a))
        screen = await _relations(pilot, app)
        assert str(_node(screen, Selection("volume", world.volume)).label).endswith(" at /data")
        network_node = _node(screen, Selection("network", world.network))
        assert any(child.data == Selection("container", world.b) for group in network_node.children for child in group.children)
        layers = _node(screen, ("layers", world.image))
        layers.expand()
        await until(pilot, lambda: any("efficiency" in str(n.label) for n in layers.children))
        assert any(str(n.label).startswith("#0") for n in layers.children)
        screen.tree.move_cursor(layers)
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "LayersScreen", what=lambda: f"screen {app.screen}")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what=lambda: f"screen {app.screen}")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RelationsScreen))
        assert app.current_pane == "containers"


async def test_open_pane_message_is_a_link_too(make_app, world):
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _start(pilot, app, world, "containers", Selection("container", world.a))
        app.post_message(OpenPane("volumes", Selection("volume", world.volume)))
        await until(pilot, lambda: app.current_pane == "volumes" and _pane(app, "volumes").table.current_key == world.volume)
        await _back(pilot, app, "containers", Selection("container", world.a))


async def test_selection_highlights_related_rows_elsewhere(make_app, world):
    app = make_app(start_pane="containers", events=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _start(pilot, app, world, "containers", Selection("container", world.a))
        # A pane is made when first shown: it comes up with the rows related to the selection highlighted.
        highlighted: dict[str, tuple[frozenset[str], bool]] = {}
        first_show = app._first_show

        def spy(pane) -> None:
            first_show(pane)
            key = {"networks": world.network, "images": world.image}[pane.pane_id]
            highlighted[pane.pane_id] = (pane.table.related_keys, _drawn_highlighted(pane.table, key))

        app._first_show = spy
        for pane_id in ("networks", "images"):  # its cursor then selects its first row: start again each time
            await _select_in_containers(pilot, app, world.a)
            app.action_show_pane(pane_id)
            await until(pilot, lambda: pane_id in highlighted, what=lambda: f"{pane_id} shown")
        del app._first_show
        assert highlighted == {"networks": (frozenset({world.network}), True), "images": (frozenset({world.image}), True)}
        # Panes made and hidden follow the selection made elsewhere.
        await _select_in_containers(pilot, app, world.a)
        await until(pilot, lambda: _pane(app, "networks").table.related_keys == frozenset({world.network}))
        assert _pane(app, "images").table.related_keys == frozenset({world.image})
        # Hidden panes get the snapshot when shown: the related row is there, drawn highlighted.
        app.action_show_pane("images")
        assert _drawn_highlighted(_pane(app, "images").table, world.image), "a related row is drawn highlighted"
        app.action_show_pane("volumes")
        await until(pilot, lambda: world.volume in _pane(app, "volumes").table._cells)
        await until(pilot, lambda: _pane(app, "volumes").select(Selection("volume", world.volume)) and app.selection == Selection("volume", world.volume))
        await until(pilot, lambda: _pane(app, "containers").table.related_keys == frozenset({world.a}))
        assert _pane(app, "volumes").table.related_keys == frozenset(), "the selecting pane itself is not highlighted"


def _drawn_highlighted(table: KeyedTable, key: str) -> bool:
    return table._get_row_style(table.get_row_index(key), Style()).bgcolor is not None


async def _select_in_containers(pilot, app, container: str) -> None:
    """Back to the containers pane with ``container`` selected (its cursor may be on it already: no event)."""
    app.action_show_pane("containers")
    app.selection = Selection("container", container)
    await until(pilot, lambda: _pane(app, "containers").select(app.selection) and _pane(app, "containers").table.current_key == container)
