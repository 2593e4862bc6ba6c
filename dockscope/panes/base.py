"""The common base of the panes and the table they share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar, Self

from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from dockscope.engine.model import HostSnapshot
from dockscope.engine.relations import related_keys
from dockscope.ui.messages import ObjectSelected, Selection
from dockscope.ui.text import same_renderable

#: Rendered cells a KeyedTable keeps (a 200x50 screen shows about 500).
CELL_CACHE_SIZE = 4096
#: What is left of DataTable's own cell cache (the header cells; see KeyedTable.__init__).
DATATABLE_CELL_CACHE_SIZE = 256

#: pane id -> pane class, filled by :func:`register`.
PANES: dict[str, type["Pane"]] = {}


def register(cls: type["Pane"]) -> type["Pane"]:
    """Class decorator: make a pane known to the app (its key, title and order)."""
    PANES[cls.pane_id] = cls
    return cls


class Pane(Widget):
    """A view of the snapshot. Panes never talk to Docker for the list itself."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    key: ClassVar[str] = ""
    order: ClassVar[int] = 100

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        """Called by the app with every new snapshot."""

    def show_selection(self, selection: Selection | None) -> None:
        """Called by the app when the selection changes (in any pane)."""

    def select(self, selection: Selection) -> bool:
        """Move the cursor to ``selection``; True when this pane holds it."""
        return False

    @property
    def is_on_screen(self) -> bool:
        """The pane the app's content switcher shows (or a pane on its own, as in tests)."""
        return getattr(self.parent, "current", self.id) == self.id


class KeyedTable(DataTable):
    """A DataTable whose rows are keyed by Docker id and updated in place.

    :meth:`sync` adds, updates and removes rows to match a mapping; it never
    clears the table, so the cursor, the scroll position and the column
    widths survive every refresh.
    """

    COMPONENT_CLASSES = {"keyedtable--related"}
    #: Set while update_row writes cells: their whole-table refresh becomes one row's
    #: (a class default: DataTable's constructor refreshes before ours runs).
    _row_only = False

    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    KeyedTable > .keyedtable--related { background: $accent 25%; text-style: bold; }
    """

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        #: Rows related to the selection in another pane, drawn highlighted.
        self.related_keys: frozenset[str] = frozenset()
        self._column_spec = tuple(columns)
        self._cells: dict[str, tuple[RenderableType, ...]] = {}
        #: column id -> how many cells of each width it holds (see :meth:`_count_width`).
        self._widths: dict[str, Counter[int]] = {key: Counter() for key, _ in self._column_spec}
        #: Rendered cells, each kept with the cell object it was rendered from (see :meth:`_render_cell`).
        self._cell_lines: LRUCache[tuple, tuple[RenderableType, list[list[Segment]]]] = LRUCache(CELL_CACHE_SIZE)
        # DataTable's own cell cache is keyed by its update counter, which every
        # update_cell bumps: each of our misses (see _render_cell) left an entry no
        # key would match again, up to 10,000 of them (the RSS crept for an hour).
        # It only serves the header now, and a cell between its store and its read.
        self._cell_render_cache.maxsize = DATATABLE_CELL_CACHE_SIZE
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.sort_keys: dict[str, object] = {}

    def on_mount(self) -> None:
        for key, label in self._column_spec:
            self.add_column(label, key=key)

    @property
    def column_ids(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self._column_spec)

    @property
    def current_key(self) -> str | None:
        """The Docker id under the cursor."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while the table shrinks
            return None

    def sync(self, rows: Mapping[str, Sequence[RenderableType]], sort_keys: Mapping[str, tuple] | None = None) -> None:
        """Make the table show exactly ``rows`` (key -> cells), touching only what changed.

        Args:
            rows: Cells per row key, in the natural order of the pane.
            sort_keys: Optional typed sort values per row key (one per column),
                used instead of the cell text when sorting by a column.
        """
        keep = self.current_key
        columns = self.column_ids
        narrower: set[str] = set()  # columns whose widest cell left with a row
        for key in [k for k in self._cells if k not in rows]:
            self.remove_row(key)
            for column, cell in zip(columns, self._cells.pop(key)):
                if self._count_width(column, cell, -1):
                    narrower.add(column)
        counts = [self._widths[column] for column in columns]
        for key, cells in rows.items():
            old = self._cells.get(key)
            if old is None:
                self._cells[key] = tuple(cells)
                for widths, cell in zip(counts, cells):
                    widths[_cell_width(cell)] += 1  # _count_width(+1), without the fit check no one reads here
                self.add_row(*cells, key=key)
            elif old is not cells:  # a pane may hand back the very tuple of an unchanged row
                self.update_row(key, dict(zip(columns, cells)))
        for column in narrower:
            self._measure_again(column)
        self.sort_keys = dict(sort_keys or {})
        self._apply_sort(list(rows))
        if keep is not None and keep in self._cells:
            self.move_cursor(row=self.get_row_index(keep), animate=False, scroll=False)

    def update_row(self, key: str, changes: Mapping[str, RenderableType]) -> None:
        """Set some cells of row ``key`` (column id -> cell); only those that changed are touched.

        Unless a column changes width, only that row is drawn again (if it is in view):
        ``update_cell`` asks to redraw the whole table, 50 rows for one new sample.
        """
        cells = self._cells.get(key)
        if cells is None:
            return
        merged = list(cells)
        touched: list[tuple[str, RenderableType, bool]] = []
        for index, column in enumerate(self.column_ids):
            after = changes.get(column, merged[index])
            if after is merged[index] or same_renderable(merged[index], after):
                continue
            widest_left = self._count_width(column, merged[index], -1)
            grows = self._count_width(column, after, +1)
            touched.append((column, after, grows or widest_left))
            merged[index] = after
        if not touched:
            return
        self._cells[key] = tuple(merged)
        resized = any(width for _column, _after, width in touched)
        self._row_only = not resized
        try:
            for column, after, width in touched:
                self.update_cell(key, column, after, update_width=width)
        finally:
            self._row_only = False
        if not resized:
            self._redraw_row(self.get_row_index(key))

    def _redraw_row(self, index: int) -> None:
        """Redraw the row at ``index`` if it is in view.

        DataTable.refresh_row finds the row's region through ``ordered_rows``,
        which it rebuilds (all 500 rows) after every update: a poll that aged
        300 rows spent most of its time there. Every row here is one line high.
        """
        header = self.header_height if self.show_header else 0
        line = header + index - int(self.scroll_y)
        if header <= line < self.size.height:
            self.refresh(Region(0, line, self.size.width, 1))

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if self._row_only and not (regions or layout or recompose):
            return self  # update_row redraws just its row
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _count_width(self, column: str, cell: RenderableType, change: int) -> bool:
        """Count a cell of ``column`` in (+1) or out (-1); True when the column must be measured again.

        That is when an added cell is wider than the column, or the last cell as wide as
        the column went. DataTable measures every cell of a column when an updated cell is
        narrower than the column, so asking only then keeps a stats sample O(1), not O(rows).
        """
        widths = self._widths[column]
        width = _cell_width(cell)
        widths[width] += change
        fitted = self.columns[ColumnKey(column)].content_width
        if change > 0:
            return width > fitted
        if widths[width] <= 0:
            del widths[width]
            return width >= fitted
        return False

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Fit the columns to rows just added, from the width counts :meth:`sync` keeps.

        DataTable measures every cell of every new row with Rich (and builds
        each row's renderables to do so): 4,500 cells before the first frame at
        500 containers, a quarter of the time from the first snapshot to the
        list on screen. Our rows are one line high and unlabelled, and every
        cell was counted when it came in, so the widest is already known.
        Rows that are not ours (none today) take DataTable's way.
        """
        rows = [key for key in new_rows if key in self.rows]
        if any(key.value not in self._cells or self.rows[key].label is not None or self.rows[key].auto_height for key in rows):
            super()._update_dimensions(rows)
            return
        for column in self.ordered_columns:
            widths = self._widths.get(column.key.value)
            if widths:
                column.content_width = max(column.content_width, max(widths))
        data_width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(data_width + self._row_label_column_width, self._total_row_height + header)

    def _measure_again(self, column: str) -> None:
        """Fit ``column`` to the cells left: DataTable never narrows a column when rows go."""
        if not self._cells:
            return
        index = self.column_ids.index(column)
        widest = max(self._widths[column], default=0)
        key = next(k for k, cells in self._cells.items() if _cell_width(cells[index]) == widest)
        self.update_cell(key, column, self._cells[key][index], update_width=True)

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        """Sort by ``column`` (None: the pane's natural order) and keep the cursor on its row."""
        self.sort_column, self.sort_reverse = column, reverse
        keep = self.current_key
        self._apply_sort(list(self._cells))
        if keep is not None:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def _apply_sort(self, natural_order: list[str]) -> None:
        if not self._cells:
            return
        position = {key: index for index, key in enumerate(natural_order)}
        if self.sort_column is None:
            ordered = natural_order
        else:
            column = self.column_ids.index(self.sort_column)
            ordered = sorted(self._cells, key=lambda k: self._sort_value(k, column, position), reverse=self.sort_reverse)
        if list(ordered) == [row.key.value for row in self.ordered_rows]:
            return  # already in order: DataTable.sort would rebuild and repaint for nothing
        rank = {key: index for index, key in enumerate(ordered)}
        # DataTable.sort hands the key function cell values, not row keys; the
        # first cell of each row is a distinct object we hold, so map it back.
        owner = {id(cells[0]): key for key, cells in self._cells.items()}
        self.sort(self.column_ids[0], key=lambda cell: rank.get(owner.get(id(cell), ""), 0))

    def _sort_value(self, row_key: str, column: int, position: Mapping[str, int]) -> tuple:
        typed = self.sort_keys.get(row_key)
        if typed is not None:
            value = typed[column]
            return (value is None, value if value is not None else 0, position.get(row_key, 0))
        cell = self._cells[row_key][column]
        return (False, str(getattr(cell, "plain", cell)).lower(), position.get(row_key, 0))

    def set_related(self, keys: frozenset[str]) -> None:
        """Highlight the rows with these keys (the relations of another pane's selection)."""
        if keys == self.related_keys:
            return
        self.related_keys = keys
        self._update_count += 1  # the row render cache is keyed by this counter
        self.refresh()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A cell's lines, rendered again only when that cell (or how it is drawn) changed.

        DataTable keys its own cell cache on a counter that every ``update_cell``
        bumps, so one new stats sample re-rendered every visible cell of the table:
        at 500 containers, 88 % of an idle dockscope's UI time. Here the key is how
        the cell is drawn, and the hit must be the very cell object it was made from.
        """
        if row_index < 0 or column_index < 0:  # the header and row labels: DataTable's own cache
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        cells = self._cells.get(row_key.value) if row_key is not None else None
        if cells is None or column_index >= len(cells):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = cells[column_index]
        key = (
            row_index, column_index, base_style, width, cursor, hover,
            self.show_cursor, self._show_hover_cursor, self._pseudo_class_state,
        )
        hit = self._cell_lines.get(key)
        if hit is not None and hit[0] is cell:
            return hit[1]
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cell_lines[key] = (cell, lines)
        return lines

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._cell_lines.clear()

    def notify_style_update(self) -> None:
        self._cell_lines.clear()
        super().notify_style_update()

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        style = super()._get_row_style(row_index, base_style)
        if row_index < 0 or not self.related_keys:
            return style
        try:
            key = self.ordered_rows[row_index].key.value
        except IndexError:  # the table shrank between layout and render
            return style
        if key in self.related_keys:
            return style + self.get_component_rich_style("keyedtable--related")
        return style


def _cell_width(cell: RenderableType) -> int:
    """Cells of one line: a Text knows it; anything else is measured as a string."""
    width = getattr(cell, "cell_len", None)
    return width if isinstance(width, int) else cell_len(str(cell))



class TablePane(Pane):
    """A pane that is one keyed table of one kind of object."""

    DEFAULT_CSS = """
    TablePane { height: 1fr; }
    """

    #: The kind of object in the rows (container, image, network, volume).
    kind: ClassVar[str] = ""
    #: (column key, label) pairs.
    columns: ClassVar[tuple[tuple[str, str], ...]] = ()

    def compose(self):
        yield KeyedTable(self.columns, id=f"{self.pane_id}-table")

    @property
    def table(self) -> KeyedTable:
        return self.query_one(KeyedTable)

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[RenderableType, ...]]:
        """Cells per row key for this snapshot."""
        raise NotImplementedError

    def sort_values(self, snapshot: HostSnapshot) -> dict[str, tuple] | None:
        """Typed per-column sort values per row key (None: sort by the cell text)."""
        return None

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        self.table.sync(self.rows(snapshot), self.sort_values(snapshot))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        # A hidden pane's cursor moves when its rows change: that is not the user choosing.
        # Nor is a row that was under the cursor only while sync inserted rows above it
        # (sync puts the cursor back on its key): such a stale event names another row.
        key = event.row_key.value
        if key is None or not self.display or key != getattr(event.data_table, "current_key", key):
            return
        self.post_message(ObjectSelected(Selection(self.kind, key)))

    def show_selection(self, selection: Selection | None) -> None:
        """Highlight the rows related to an object selected in another pane."""
        snapshot = getattr(self.app, "snapshot", None)
        keys: frozenset[str] = frozenset()
        if selection is not None and snapshot is not None and selection.kind != self.kind:
            keys = related_keys(snapshot, selection.kind, selection.key, self.kind)
        self.table.set_related(keys)

    def select(self, selection: Selection) -> bool:
        if selection.kind != self.kind:
            return False
        try:
            index = self.table.get_row_index(selection.key)
        except Exception:  # not a row here (yet)
            return False
        self.table.move_cursor(row=index)
        return True
