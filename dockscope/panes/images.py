"""Images: tags, sizes (shared and unique, honestly reckoned), the containers that use them.

Rows are local images. Dangling images (no tag) and images a container still
uses under a name that is no longer one of their tags (the tag moved to a
newer build, or the container was created by id) are marked. Shared and
unique bytes come from the layer chains (:mod:`dockscope.engine.image_usage`)
and show "…" until the disk-usage round has read them; a "?" marks the
daemon's own figure, used only when the layer sizes could not be mapped.

Keys: Enter or ``L`` the layers and files of the image, ``u`` the
containers using it, ``s``/``S`` sort, ``/`` filter (regex), space marks two
images and ``C`` compares them, ``D`` removes and ``P`` prunes dangling
images (asked first, default No; impossible with ``--read-only``).
"""

from __future__ import annotations

import re
import time

import humanize
from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from dockscope.engine.model import HostSnapshot, Image
from dockscope.panes.base import KeyedTable, TablePane, register
from dockscope.textsafe import clean
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import OpenPane, Selection
from dockscope.ui.text import safe, show_text


def size_text(size: int | None) -> str:
    return "…" if size is None else humanize.naturalsize(size)


def stale_refs(image: Image, snapshot: HostSnapshot) -> tuple[str, ...]:
    """Names under which containers use ``image`` that are not (any longer) its tags."""
    tags = set(image.tags)
    refs = []
    for container in (snapshot.container_by_id.get(c) for c in image.container_ids):
        if container is None or not container.image:
            continue
        ref = container.image
        if ref not in tags and f"{ref}:latest" not in tags:
            refs.append(ref)
    return tuple(dict.fromkeys(refs))


def is_id_of(ref: str, image: Image) -> bool:
    """Whether a container's image reference is (a prefix of) the image's id."""
    bare = ref.removeprefix("sha256:")
    return len(bare) >= 4 and image.id.removeprefix("sha256:").startswith(bare)


def status_text(image: Image, snapshot: HostSnapshot) -> Text:
    """``dangling``, ``untagged, in use``, ``tag gone: <old name>`` or ``tag gone (by id)``.

    The daemon's container list shows the image id in place of a name that
    no longer points at the container's image, so a tag moved or removed
    after the container was made looks the same as ``docker run <id>``.
    """
    if image.dangling:
        return Text("untagged, in use" if image.container_ids else "dangling", style="bold yellow" if image.container_ids else "yellow", end="")
    refs = stale_refs(image, snapshot)
    names = [r for r in refs if not is_id_of(r, image)]
    if names:
        return safe("tag gone: " + ", ".join(names), "yellow", limit=60)
    if refs:
        return Text("tag gone (by id)", style="yellow", end="")
    return Text("", end="")


def users_of(image: Image, snapshot: HostSnapshot) -> list[str]:
    return [snapshot.container_by_id[c].name for c in image.container_ids if c in snapshot.container_by_id]


def shared_cell(image: Image) -> Text:
    text = safe(size_text(image.shared_size))
    if image.usage_source == "daemon" and image.shared_size is not None:
        text.append("?", style="bold yellow")
    return text


def unique_cell(image: Image) -> Text:
    text = safe(size_text(image.unique_size))
    if image.usage_source == "daemon" and image.unique_size is not None:
        text.append("?", style="bold yellow")
    return text


def image_cells(image: Image, snapshot: HostSnapshot, now: float, marked: bool = False) -> tuple[Text, ...]:
    name = safe(", ".join(image.tags) or "<none>", "yellow" if image.dangling else "bold", limit=60)
    if marked:
        name = Text("● ", style="bold magenta", end="") + name
    return (
        name,
        safe(image.short_id, "dim"),
        safe(humanize.naturaldelta(max(now - image.created, 0)) + " ago" if image.created else ""),
        safe(humanize.naturalsize(image.size)),
        shared_cell(image),
        unique_cell(image),
        safe(", ".join(users_of(image, snapshot)), limit=60),
        status_text(image, snapshot),
    )


def matches(image: Image, snapshot: HostSnapshot, pattern: re.Pattern[str] | None) -> bool:
    """What ``/`` looks at: tags, id, container names, labels (``key=value``)."""
    if pattern is None:
        return True
    fields = [*image.tags, image.id, *users_of(image, snapshot), *(f"{k}={v}" for k, v in image.labels)]
    return any(pattern.search(field) for field in fields)


def image_detail(image: Image, snapshot: HostSnapshot) -> Text:
    """Every tag, the users, and where the shared/unique figures come from."""
    text = safe(image.short_id, "bold")
    text.append("  ")
    text.append_text(safe(", ".join(image.tags) or "<none> (dangling)", "" if image.tags else "yellow", limit=300))
    users = users_of(image, snapshot)
    if users:
        text.append("\n  used by: ", style="dim")
        text.append_text(safe(", ".join(users), limit=300))
    refs = stale_refs(image, snapshot)
    if refs:
        text.append("\n  containers use it as ", style="yellow")
        text.append_text(safe(", ".join(refs), "yellow", limit=200))
        text.append(", not one of its tags (an old name, or the tag moved)", style="yellow")
    text.append("\n  ")
    text.append(_usage_note(image), style="dim")
    return text


def _usage_note(image: Image) -> str:
    if image.usage_source == "layers":
        return f"shared {size_text(image.shared_size)}, unique {size_text(image.unique_size)} (from the layer chains)"
    if image.usage_source == "daemon":
        return "shared/unique marked ? are the daemon's SharedSize: its layer sizes could not be mapped, and that figure is unreliable"
    return "shared/unique: … until the disk-usage round reads the layers"


def explain_failure(error: BaseException) -> str:
    """A daemon refusal in words (409 in use, 404 gone)."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    detail = clean(getattr(error, "explanation", None) or error, limit=200)
    if status == 409:
        return f"refused, the image is in use or has dependent images (remove those containers or images first): {detail}"
    if status == 404:
        return "already gone (removed meanwhile)"
    return detail


@register
class ImagesPane(TablePane):
    """Local images."""

    pane_id = "images"
    title = "Images"
    key = "i"
    order = 20
    kind = "image"
    columns = (
        ("tags", "Tags"),
        ("id", "Id"),
        ("created", "Created"),
        ("size", "Size"),
        ("shared", "Shared"),
        ("unique", "Unique"),
        ("containers", "Containers"),
        ("status", "Status"),
    )

    DEFAULT_CSS = """
    ImagesPane #images-filter { display: none; dock: top; height: 1; border: none; padding: 0 1; }
    ImagesPane #images-filter.shown { display: block; }
    ImagesPane #images-detail { height: auto; max-height: 8; border-top: solid $panel; padding: 0 1; }
    """

    BINDINGS = [
        Binding("enter", "layers", "Layers", show=False),
        Binding("L", "layers", "Layers"),
        Binding("u", "users", "Containers using it"),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("space", "mark", "Mark", show=False),
        Binding("C", "compare", "Compare marked"),
        Binding("escape", "clear", "Clear", show=False),
        Binding("D", "remove", "Remove"),
        Binding("P", "prune", "Prune dangling"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: HostSnapshot | None = None
        self.pattern: re.Pattern[str] | None = None
        self.marked: list[str] = []
        self.notice = Text(end="")
        self._layers_asked: set[str] = set()

    def compose(self) -> ComposeResult:
        yield KeyedTable(self.columns, id="images-table")
        yield Input(placeholder="filter: regex on tags, id, containers, labels (Enter applies, empty clears)", id="images-filter")
        yield Static(id="images-detail")

    # ------------------------------------------------------------- rows
    def visible(self, snapshot: HostSnapshot) -> list[Image]:
        return [i for i in snapshot.images if matches(i, snapshot, self.pattern)]

    def rows(self, snapshot: HostSnapshot) -> dict[str, tuple[Text, ...]]:
        now = time.time()
        return {i.id: image_cells(i, snapshot, now, i.id in self.marked) for i in self.visible(snapshot)}

    def sort_values(self, snapshot: HostSnapshot) -> dict[str, tuple]:
        return {
            i.id: (
                i.display_name, i.short_id, -i.created, i.size, i.shared_size, i.unique_size,
                len(i.container_ids), status_text(i, snapshot).plain,
            )
            for i in self.visible(snapshot)
        }

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot
        self.marked = [m for m in self.marked if m in snapshot.image_by_id]
        super().show_snapshot(snapshot)
        self._show_detail()
        self._read_new_layers(snapshot)

    def _read_new_layers(self, snapshot: HostSnapshot) -> None:
        """On demand: images new since the last disk-usage round get their layers read now, once."""
        new = {i.id for i in snapshot.images if i.usage_source == "unknown"} - self._layers_asked
        if new and self.display and snapshot.disk is not None and not snapshot.stale:
            self._layers_asked |= new
            self._read_layers()

    @work(thread=True, exit_on_error=False, exclusive=True, group="image-layers")
    def _read_layers(self) -> None:
        snapshot = self.app.session.read_image_layers()
        if snapshot is not None:
            self.app.call_from_thread(self.app.apply_snapshot, snapshot)

    def _resync(self) -> None:
        if self.snapshot is not None:
            self.table.sync(self.rows(self.snapshot), self.sort_values(self.snapshot))
        self._show_detail()

    @property
    def selected(self) -> Image | None:
        key = self.table.current_key
        return self.snapshot.image_by_id.get(key) if self.snapshot and key else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        super().on_data_table_row_highlighted(event)
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table takes Enter before the pane's binding)."""
        event.stop()
        self.action_layers()

    def say(self, message: str, style: str = "") -> None:
        """One line under the detail (cleaned: it may quote the daemon's words)."""
        self.notice = Text(clean(message, limit=400), style=style, end="")
        self._show_detail()

    def _show_detail(self) -> None:
        text = Text(end="")
        if self.snapshot is not None and self.pattern is not None:
            text.append(f"[{len(self.visible(self.snapshot))}/{len(self.snapshot.images)} filter, Esc clears] ", style="bold cyan")
        if self.marked:
            text.append(f"[{len(self.marked)} marked{', C compares' if len(self.marked) == 2 else ''}] ", style="bold magenta")
        image = self.selected
        if image is not None and self.snapshot is not None:
            text.append_text(image_detail(image, self.snapshot))
        if self.notice.plain:
            text.append("\n")
            text.append_text(self.notice)
        show_text(self.query_one("#images-detail", Static), text)

    # ---------------------------------------------------- navigation
    def action_layers(self) -> None:
        image = self.selected
        if image is None:
            return
        from dockscope.screens.layers import LayersScreen

        self.app.push_screen(LayersScreen(image.id, image.display_name))

    def action_users(self) -> None:
        image = self.selected
        if image is None or self.snapshot is None:
            return
        users = [c for c in image.container_ids if c in self.snapshot.container_by_id]
        if not users:
            self.say("no container uses this image")
            return
        self.post_message(OpenPane("containers", Selection("container", users[0])))

    def action_mark(self) -> None:
        image = self.selected
        if image is None:
            return
        if image.id in self.marked:
            self.marked.remove(image.id)
        else:
            self.marked = (self.marked + [image.id])[-2:]
        self._resync()

    def action_compare(self) -> None:
        if len(self.marked) != 2 or self.snapshot is None:
            self.say("mark two images with space first (the first marked is A, the second B)")
            return
        from dockscope.screens.image_compare import CompareScreen

        a, b = (self.snapshot.image_by_id[m] for m in self.marked)
        self.app.push_screen(CompareScreen(a.id, b.id, a.display_name, b.display_name))

    # -------------------------------------------------- sort and filter
    def action_sort(self) -> None:
        ids = (None,) + self.table.column_ids
        column = ids[(ids.index(self.table.sort_column) + 1) % len(ids)]
        self.table.sort_by(column, self.table.sort_reverse)
        label = dict(self.columns).get(column, "") if column else "natural (tagged first, by name)"
        self.say(f"sorted by {label}{' (reversed)' if self.table.sort_reverse else ''}")

    def action_reverse_sort(self) -> None:
        self.table.sort_by(self.table.sort_column, not self.table.sort_reverse)
        self.say("sort reversed" if self.table.sort_reverse else "sort ascending")

    def action_filter(self) -> None:
        box = self.query_one("#images-filter", Input)
        box.add_class("shown")
        box.value = self.pattern.pattern if self.pattern else ""
        self.screen.set_focus(box)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "images-filter":
            return
        event.stop()
        if self.apply_filter(event.value):
            event.input.remove_class("shown")
            self.screen.set_focus(self.table)

    def apply_filter(self, text: str) -> bool:
        """Filter by a regex (case-insensitive); a bad regex changes nothing and says why."""
        try:
            pattern = re.compile(text, re.IGNORECASE) if text else None
        except re.error as error:
            self.say(f"bad regex {text!r}: {error}; filter unchanged", "bold red")
            return False
        self.pattern = pattern
        self.say("")
        self._resync()
        return True

    def action_clear(self) -> None:
        """Escape: close the filter box, else clear marks and filter, else go back (app)."""
        box = self.query_one("#images-filter", Input)
        if box.has_class("shown"):
            box.remove_class("shown")
            self.screen.set_focus(self.table)
            return
        if self.pattern is None and not self.marked:
            raise SkipAction()  # nothing to clear: let the app's Escape (back) run
        self.pattern = None
        self.marked = []
        self.say("")
        self._resync()

    # --------------------------------------------------- write actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Under --read-only, removing is neither shown nor possible."""
        return not (action in ("remove", "prune") and self.app.read_only)

    def action_remove(self) -> None:
        image = self.selected
        if self.app.read_only:
            self.say("read-only: nothing can be removed", "yellow")
        elif image is not None:
            question = Text("Remove image ", style="bold", end="")
            question.append_text(safe(image.short_id, "bold"))
            question.append("?\n\n  tags: ")
            question.append_text(safe(", ".join(image.tags) or "<none>", limit=400))
            if image.container_ids:
                question.append(f"\n  {len(image.container_ids)} container(s) use it: the daemon will refuse", style="yellow")
            self._ask(question, [image])

    def action_prune(self) -> None:
        if self.app.read_only:
            self.say("read-only: nothing can be removed", "yellow")
            return
        dangling = [i for i in self.visible(self.snapshot) if i.dangling and not i.container_ids] if self.snapshot else []
        if not dangling:
            self.say("no dangling image unused by containers" + (" among those shown" if self.pattern else ""))
            return
        total = sum(i.unique_size if i.unique_size is not None else i.size for i in dangling)
        question = Text(f"Remove {len(dangling)} dangling image(s), about {humanize.naturalsize(total)}?", style="bold", end="")
        if self.pattern is not None:
            question.append("\n  (only those the filter shows)", style="dim")
        for image in dangling[:15]:
            question.append(f"\n  {image.short_id}  {humanize.naturalsize(image.size)}")
        if len(dangling) > 15:
            question.append(f"\n  … and {len(dangling) - 15} more")
        self._ask(question, dangling)

    def _ask(self, question: Text, images: list[Image]) -> None:
        def answered(yes: bool | None) -> None:
            if yes and not self.app.read_only:
                self.say(f"removing {len(images)} image(s)…")
                self._remove([(i.id, i.tags) for i in images])

        self.app.push_screen(ConfirmScreen(question, yes_label="Remove"), answered)

    @work(thread=True, exit_on_error=False, group="image-remove")
    def _remove(self, images: list[tuple[str, tuple[str, ...]]]) -> None:
        """Remove by id; an image with several tags (which the daemon refuses without force) loses them one by one."""
        client = self.app.session.client
        failures = []
        for image_id, tags in images:
            try:
                self._remove_one(client, image_id, tags)
            except Exception as error:
                failures.append(f"{image_id[7:19]}: {explain_failure(error)}")
        self.app.call_from_thread(self._removed, len(images) - len(failures), failures)

    @staticmethod
    def _remove_one(client, image_id: str, tags: tuple[str, ...]) -> None:
        from docker.errors import APIError

        try:
            client.remove_image(image_id)
        except APIError as error:
            if error.status_code != 409 or len(tags) < 2 or "multiple repositories" not in str(error.explanation or ""):
                raise
            for tag in tags:  # the last untag deletes the image
                client.remove_image(tag)

    def _removed(self, removed: int, failures: list[str]) -> None:
        self.say(f"removed {removed} image(s)" + ("; " + "; ".join(failures) if failures else ""), "yellow" if failures else "")
        self.app.request_refresh(("images", "containers"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "image-remove":
            self.say(f"removal failed: {explain_failure(event.worker.error)}", "bold red")
