"""Two images compared: layers aligned, file differences largest first, one summary line.

Both images are analysed in one thread worker through :mod:`dockscope.layers`
(progress shown, Escape cancels and goes back), then compared with
:func:`dockscope.layers.diff_images`. A is the image marked first.
"""

from __future__ import annotations

import threading

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from dockscope.layers import FileDelta, ImageDiff, LayerPair, Progress
from dockscope.screens.layers import short_step
from dockscope.ui.footer import Footer
from dockscope.ui.text import safe

#: File differences listed (largest first); the rest are counted.
FILE_ROWS = 1000

DELTA_STYLES = {
    FileDelta.ADDED: "green",
    FileDelta.REMOVED: "red",
    FileDelta.GROWN: "yellow",
    FileDelta.SHRUNK: "cyan",
    FileDelta.CHANGED: "dim",
}


def signed(value: int) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "±") + humanize.naturalsize(abs(value))


def _side(layer) -> Text:
    if layer is None:
        return Text("—", style="dim", end="")
    text = Text(f"{humanize.naturalsize(layer.size):>9} ", end="")
    text.append_text(safe(short_step(layer.created_by) or layer.diff_id[7:19], limit=24))
    return text


def pair_cells(pair: LayerPair) -> tuple[Text, ...]:
    delta = pair.delta
    return (
        Text(str(pair.index), style="bold", end=""),
        Text("shared" if pair.shared else "changed", style="dim" if pair.shared else "bold yellow", end=""),
        _side(pair.a),
        _side(pair.b),
        Text(signed(delta) if not pair.shared else "", style="green" if delta < 0 else "red" if delta > 0 else "dim", end=""),
    )


def header_text(diff: ImageDiff, name_a: str, name_b: str) -> Text:
    text = Text("A ", style="bold", end="")
    text.append_text(safe(name_a, "bold", limit=60))
    text.append(f" ({humanize.naturalsize(diff.a.efficiency.written_bytes)})  B ", style="")
    text.append_text(safe(name_b, "bold", limit=60))
    text.append(f" ({humanize.naturalsize(diff.b.efficiency.written_bytes)})\n")
    text.append(f"{diff.shared_layers} shared layer(s), {len(diff.layers) - diff.shared_layers} changed; {len(diff.files)} file(s) differ\n")
    text.append_text(safe(diff.summary, "bold green" if diff.size_delta < 0 else "bold yellow" if diff.size_delta else "bold", limit=300))
    return text


class CompareScreen(Screen):
    """A versus B, through :func:`dockscope.layers.diff_images`."""

    DEFAULT_CSS = """
    CompareScreen #compare-head { height: auto; padding: 0 1; background: $panel; }
    CompareScreen #compare-layers { height: auto; max-height: 45%; min-height: 4; }
    CompareScreen #compare-files { height: 1fr; border-top: solid $panel; }
    """

    BINDINGS = [Binding("escape", "back", "Back (cancels)"), Binding("tab", "focus_next", "Switch focus", show=False)]

    def __init__(self, image_a: str, image_b: str, name_a: str = "", name_b: str = "") -> None:
        super().__init__()
        self.image_a, self.image_b = image_a, image_b
        self.name_a, self.name_b = name_a or image_a[7:19], name_b or image_b[7:19]
        self.diff: ImageDiff | None = None
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("analysing both images…  (Escape cancels)", style="dim"), id="compare-head")
            yield DataTable(id="compare-layers", cursor_type="row")
            yield DataTable(id="compare-files", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        layers = self.query_one("#compare-layers", DataTable)
        for key, label in (("pos", "#"), ("state", ""), ("a", "A"), ("b", "B"), ("delta", "B - A")):
            layers.add_column(label, key=key)
        files = self.query_one("#compare-files", DataTable)
        for key, label in (("delta", "Change"), ("bytes", "Bytes"), ("path", "Path"), ("a", "Size in A"), ("b", "Size in B")):
            files.add_column(label, key=key)
        layers.focus()
        self._compare()

    @work(thread=True, exit_on_error=False, group="image-compare")
    def _compare(self) -> None:
        from dockscope.layers import analyze_image, diff_images, local_images

        client = self.app.session.client
        try:
            others = local_images(client)
            a = analyze_image(client, self.image_a, others=others, cancel=self.cancel, progress=lambda p: self._progress("A", p))
            b = analyze_image(client, self.image_b, others=others, cancel=self.cancel, progress=lambda p: self._progress("B", p))
        except Exception as error:  # cancelled, gone, unreadable: said on the screen
            if not self.cancel.is_set():
                self.app.call_from_thread(self._failed, str(error))
            return
        if not self.cancel.is_set():
            self.app.call_from_thread(self.show_diff, diff_images(a, b))

    def _progress(self, which: str, progress: Progress) -> None:
        if self.cancel.is_set():
            return
        done = humanize.naturalsize(progress.done) if progress.unit == "bytes" else f"{progress.done} {progress.unit}"
        line = Text(f"{which}: {progress.stage} {done}  (Escape cancels)", style="dim", end="")
        self.app.call_from_thread(self.query_one("#compare-head", Static).update, line)

    def _failed(self, message: str) -> None:
        self.query_one("#compare-head", Static).update(safe(f"compare failed: {message}", "bold red", limit=400))

    def show_diff(self, diff: ImageDiff) -> None:
        self.diff = diff
        self.query_one("#compare-head", Static).update(header_text(diff, self.name_a, self.name_b))
        layers = self.query_one("#compare-layers", DataTable)
        for pair in diff.layers:
            layers.add_row(*pair_cells(pair), key=str(pair.index))
        files = self.query_one("#compare-files", DataTable)
        for index, change in enumerate(diff.files[:FILE_ROWS]):
            files.add_row(
                Text(change.delta.value, style=DELTA_STYLES[change.delta], end=""),
                Text(signed(change.bytes), end=""),
                safe(change.path, limit=100),
                Text("—" if change.size_a < 0 else humanize.naturalsize(change.size_a), style="dim", end=""),
                Text("—" if change.size_b < 0 else humanize.naturalsize(change.size_b), style="dim", end=""),
                key=str(index),
            )
        if len(diff.files) > FILE_ROWS:
            files.add_row(Text(f"… {len(diff.files) - FILE_ROWS} more", style="dim"), Text(""), Text(""), Text(""), Text(""))

    def action_back(self) -> None:
        self.cancel.set()
        self.dismiss()
