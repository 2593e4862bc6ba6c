"""KeyedTable.sync: columns fit the rows shown, also after the widest row goes or shrinks."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from dockscope.panes.base import DATATABLE_CELL_CACHE_SIZE, KeyedTable


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


async def test_added_rows_fit_their_columns_as_datatable_would_measure_them(monkeypatch) -> None:
    """KeyedTable fits new rows from its width counts; DataTable's measuring must agree."""
    cells = [
        ("plain", "running"), ("wide 漢字コンテナ", "up 3 days"), ("emoji 🐳🐳", "exited (137)"),
        ("combining e\u0301e\u0301e\u0301", "x"), ("", "restarting (health: starting)"),
    ]
    rows = {f"r{i}": (Text(name), Text(state)) for i, (name, state) in enumerate(cells)}
    widths = []
    for measure_ourselves in (True, False):
        app = TableApp()
        async with app.run_test(size=(100, 20)) as pilot:
            table = app.query_one(KeyedTable)
            if not measure_ourselves:  # DataTable's own way, for comparison
                monkeypatch.setattr(table, "_update_dimensions", lambda new_rows: DataTable._update_dimensions(table, new_rows))
            table.sync(rows)
            await pilot.pause()
            widths.append((_width(table, "name"), _width(table, "state"), table.virtual_size))
    assert widths[0] == widths[1]
    assert widths[0][:2] == (len("wide ") + 2 * 6, len("restarting (health: starting)"))


async def test_an_updated_cell_measures_its_column_again_only_when_it_was_the_last_widest(monkeypatch) -> None:
    # DataTable measures every cell of a column when an updated cell is narrower than the
    # column; with 500 rows of stats that made each sample cost O(rows).
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(KeyedTable)
        rows = {f"r{i}": (Text(f"r{i}"), Text("running")) for i in range(200)}
        table.sync(rows)
        await pilot.pause()
        whole_column_reads: list[object] = []
        get_column = KeyedTable.get_column
        monkeypatch.setattr(KeyedTable, "get_column", lambda self, key: whole_column_reads.append(key) or get_column(self, key))
        for i in range(199):  # all but one shrink: the column keeps its width, nothing is measured again
            table.update_row(f"r{i}", {"state": Text("up")})
            await pilot.pause()
        assert _width(table, "state") == len("running")
        assert whole_column_reads == []
        table.update_row("r199", {"state": Text("exited")})  # the last "running" goes
        await pilot.pause()
        assert _width(table, "state") == len("exited")
        assert len(whole_column_reads) == 1


async def test_a_changed_row_is_drawn_again_alone_and_shows_its_new_cells(monkeypatch) -> None:
    # update_cell redraws the whole table; with a new stats sample every few seconds for
    # each of 50 rows on screen, that re-rendered every visible cell of the table each time.
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({f"r{i}": (Text(f"r{i}"), Text("running")) for i in range(100)})
        await pilot.pause()
        await pilot.pause()
        drawn: list[int] = []
        render_line = KeyedTable.render_line
        monkeypatch.setattr(KeyedTable, "render_line", lambda self, y: drawn.append(y) or render_line(self, y))
        table.update_row("r5", {"state": Text("stopped")})  # same width: no column change
        await pilot.pause()
        await pilot.pause()
        assert drawn == [6], drawn  # the header is line 0
        assert "stopped" in app.export_screenshot()
        drawn.clear()
        rendered: list[int] = []  # columns of the cells DataTable itself renders
        render_cell = DataTable._render_cell
        monkeypatch.setattr(DataTable, "_render_cell", lambda self, row, column, *a: rendered.append((row, column)) or render_cell(self, row, column, *a))
        table.update_row("r7", {"state": Text("restarting")})  # wider: every row is drawn again
        await pilot.pause()
        await pilot.pause()
        assert len(drawn) > 20
        assert "restarting" in app.export_screenshot()
        # ... but only the cells of the wider column are rendered again, not the names
        assert rendered and all(column == 1 for row, column in rendered if row >= 0), rendered  # row -1: the header


async def test_rendering_updated_cells_leaves_no_dead_cache_entries_behind() -> None:
    # DataTable caches each rendered cell under its update counter, which every update bumps:
    # with a stats sample every second those entries were never read again, 10,000 of them.
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({f"r{i}": (Text(f"r{i}"), Text("running")) for i in range(20)})
        await pilot.pause()
        for n in range(600):
            table.update_row(f"r{n % 20}", {"state": Text(f"up {n}s")})
            if n % 20 == 19:
                await pilot.pause()  # drawn: each changed cell is rendered once
        await pilot.pause()
        assert app.query_one(KeyedTable).get_row("r5")[1].plain == "up 585s"
        assert len(table._cell_render_cache) <= DATATABLE_CELL_CACHE_SIZE
        assert len(table._cell_lines) <= 20 * 2 * 3  # our own cache: a few per cell on screen, not per update
