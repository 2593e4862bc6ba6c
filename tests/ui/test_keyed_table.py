"""KeyedTable.sync: columns fit the rows shown, also after the widest row goes or shrinks."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets.data_table import ColumnKey

from dockscope.panes.base import KeyedTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable((("name", "Name"), ("state", "State")))


def _width(table: KeyedTable, column: str) -> int:
    return table.columns[ColumnKey(column)].content_width


async def test_columns_narrow_when_the_widest_row_goes_or_shrinks() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(KeyedTable)
        wide = "restarting (health: starting) for a long while"
        table.sync({"a": (Text("a"), Text("running")), "b": (Text("b"), Text(wide))})
        await pilot.pause()
        assert _width(table, "state") == len(wide)
        table.sync({"a": (Text("a"), Text("running"))})  # the widest row is removed
        await pilot.pause()
        assert _width(table, "state") == len("running")
        table.sync({"a": (Text("a"), Text(wide))})
        await pilot.pause()
        assert _width(table, "state") == len(wide)
        table.sync({"a": (Text("a"), Text("exited"))})  # the widest cell shrinks
        await pilot.pause()
        assert _width(table, "state") == len("exited")
        table.sync({"a": (Text("a"), Text("a-longer-state")), "c": (Text("c"), Text("x"))})
        await pilot.pause()
        assert _width(table, "state") == len("a-longer-state")  # grows at once
