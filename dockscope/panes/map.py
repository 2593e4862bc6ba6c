"""The home screen: Docker's architecture as a live map of this host.

Client -> Daemon -> Images / Containers / Networks / Volumes -> Registry.
Each box shows its state in colour; its key (or Enter/click) opens its pane.
"""

from __future__ import annotations

from collections import Counter

import humanize
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from dockscope import __version__
from dockscope.engine.model import HostSnapshot
from dockscope.panes.base import Pane, register
from dockscope.ui.messages import OpenPane
from dockscope.ui.text import safe, show_text

OK, WARN, BAD = "ok", "warn", "bad"


def size(value: int | None) -> str:
    """Bytes for a narrow box: ``…`` while unknown, ``0 B`` rather than ``0 Bytes``."""
    if value is None:
        return "…"
    return humanize.naturalsize(value, binary=False, format="%.1f").replace(" Bytes", " B").replace(" Byte", " B")


class MapBox(Static, can_focus=True):
    """One component on the map; Enter or a click opens its pane."""

    DEFAULT_CSS = """
    MapBox { border: round $secondary; padding: 0 1; height: auto; min-height: 3; text-wrap: nowrap; text-overflow: ellipsis; }
    MapBox.wrap { text-wrap: wrap; }
    MapBox.ok { border: round $success; }
    MapBox.warn { border: round $warning; }
    MapBox.bad { border: round $error; }
    MapBox:focus { background: $boost; }
    """

    BINDINGS = [("enter", "open", "Open")]

    def __init__(self, pane_id: str | None, title: str, key: str = "", **kwargs) -> None:
        super().__init__("…", **kwargs)
        self.pane_id = pane_id
        # A Text title is never parsed as markup.
        self.border_title = Text.assemble((key, "bold reverse"), " " if key else "", title)

    def set_state(self, body: Text, state: str) -> None:
        show_text(self, body)
        for name in (OK, WARN, BAD):
            self.set_class(name == state, name)

    def action_open(self) -> None:
        if self.pane_id:
            self.post_message(OpenPane(self.pane_id))

    def on_click(self) -> None:
        self.action_open()


def _lines(*rows: Text | str, wrap: bool = False) -> Text:
    """Rows of a box, one per line; cut with an ellipsis unless ``wrap``."""
    text = Text("\n", end="").join(row if isinstance(row, Text) else Text(row) for row in rows)
    text.no_wrap = not wrap
    text.overflow = "fold" if wrap else "ellipsis"
    return text


def _pair(label: str, value: object, style: str = "") -> Text:
    text = Text(f"{label} ", style="dim", end="")
    text.append_text(safe(value, style))
    return text


def client_box(snapshot: HostSnapshot, api_version: str) -> tuple[Text, str]:
    state = {"connected": ("● connected", "green"), "connecting": ("… connecting", "yellow")}.get(
        snapshot.state, ("✖ disconnected (last data shown)", "bold red")
    )
    body = _lines(
        safe(snapshot.endpoint.display, "bold"),
        _pair("chosen by", snapshot.endpoint.source),
        _pair(f"dockscope {__version__}, API", api_version or "?"),
        Text(state[0], style=state[1]),
        )
    return body, OK if snapshot.state == "connected" else BAD


def daemon_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    daemon = snapshot.daemon
    if daemon is None:
        return Text("no answer yet"), WARN
    d_type = {True: "d_type ✓", False: "d_type ✗", None: ""}[daemon.supports_d_type]
    rows: list[Text | str] = [
        _pair("Engine", f"{daemon.server_version} (API {daemon.api_version}){' rootless' if daemon.rootless else ''}"),
        _pair("containerd", f"{daemon.containerd_version or '?'}  runc {daemon.runc_version or '?'}"),
        _pair("storage", f"{daemon.storage_driver} on {daemon.backing_filesystem or '?'} {d_type}".rstrip(),
              "" if daemon.storage_driver == "overlay2" and daemon.supports_d_type is not False else "yellow"),
        _pair("logs", f"{daemon.logging_driver}  cgroup {daemon.cgroup_driver} v{daemon.cgroup_version}"),
        _pair("root", daemon.docker_root_dir),
    ]
    if daemon.warnings:
        first = daemon.warnings[0].removeprefix("WARNING: ")
        rows.append(safe(f"⚠ {len(daemon.warnings)} warning(s): {first}", "yellow"))
    else:
        rows.append(Text("no daemon warnings", style="green"))
    state = WARN if daemon.warnings or daemon.supports_d_type is False or daemon.storage_driver != "overlay2" else OK
    return _lines(*rows), state


def images_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    images = snapshot.images
    dangling = sum(1 for i in images if i.dangling)
    disk = snapshot.disk
    body = _lines(
        f"{len(images)} images",
        Text(f"{dangling} dangling", style="yellow" if dangling else "green"),
        _pair("size", size(disk.images_size if disk else None)),
        _pair("reclaimable", size(disk.images_reclaimable if disk else None)),
    )
    return body, WARN if dangling else OK


def containers_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    states = Counter(c.state for c in snapshot.containers)
    unhealthy = sum(1 for c in snapshot.containers if c.health == "unhealthy")
    failed = sum(1 for c in snapshot.containers if c.state in ("exited", "created", "dead") and (c.exit_code or 0) != 0)
    body = _lines(
        Text(f"● {states['running']} running", style="green"),
        Text(f"❚❚ {states['paused']} paused", style="yellow" if states["paused"] else ""),
        Text(f"↻ {states['restarting']} restarting", style="bold red" if states["restarting"] else ""),
        Text(f"■ {states['exited'] + states['created'] + states['dead']} stopped", style="dim"),
        Text(f"✖ {failed} failed", style="red" if failed else ""),
        Text(f"✚ {unhealthy} unhealthy", style="bold red" if unhealthy else ""),
    )
    bad = states["restarting"] or unhealthy or states["dead"] or failed
    return body, BAD if bad else (WARN if states["paused"] else OK)


def networks_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    unused = sum(1 for n in snapshot.networks if n.unused)
    internal = sum(1 for n in snapshot.networks if n.internal)
    body = _lines(
        f"{len(snapshot.networks)} networks",
        Text(f"{unused} unused", style="yellow" if unused else "green"),
        f"{internal} internal",
    )
    return body, WARN if unused else OK


def volumes_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    orphaned = sum(1 for v in snapshot.volumes if v.orphaned)
    disk = snapshot.disk
    body = _lines(
        f"{len(snapshot.volumes)} volumes",
        Text(f"{orphaned} unused", style="yellow" if orphaned else "green"),
        _pair("size", size(disk.volumes_size if disk else None)),
        _pair("reclaimable", size(disk.volumes_reclaimable if disk else None)),
    )
    return body, WARN if orphaned else OK


def registry_box(snapshot: HostSnapshot) -> tuple[Text, str]:
    daemon = snapshot.daemon
    if daemon is None:
        return Text("no answer yet"), WARN
    registry = daemon.registry
    insecure = [r for r in registry.insecure if r != "127.0.0.0/8"]
    logins = ", ".join(registry.logged_in) or "none"
    store = f" (store: {registry.creds_store})" if registry.creds_store else ""
    mirrors = _pair("mirrors", ", ".join(registry.mirrors) or "none")
    mirrors.append("  ")
    mirrors.append_text(_pair("insecure", ", ".join(registry.insecure) or "none", "yellow" if insecure else ""))
    body = _lines(
        _pair("index", registry.index_server or "?"),
        mirrors,
        _pair("logged in to", logins + store),
    )
    return body, WARN if insecure else OK


@register
class MapPane(Pane):
    """The live architecture map (home screen)."""

    pane_id = "map"
    title = "Map"
    key = "m"
    order = 0

    DEFAULT_CSS = """
    MapPane VerticalScroll { height: 1fr; }
    MapPane #map-top { height: auto; }
    MapPane #box-client { width: 2fr; }
    MapPane #box-daemon { width: 3fr; }
    MapPane .arrow { width: 3; height: 100%; content-align: center middle; color: $text-muted; }
    MapPane #map-objects { layout: grid; grid-size: 4; grid-gutter: 0 1; height: auto; }
    MapPane #map-objects.narrow { grid-size: 2; }
    MapPane #map-bottom { height: auto; }
    MapPane #box-registry { width: 3fr; }
    MapPane #box-logs { width: 2fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.api_version = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(id="map-top"):
                yield MapBox(None, "Client", id="box-client", classes="wrap")
                yield Static("─▶", classes="arrow")
                yield MapBox(None, "Daemon", id="box-daemon")
            with Horizontal(id="map-objects"):
                yield MapBox("images", "Images", "i", id="box-images")
                yield MapBox("containers", "Containers", "c", id="box-containers")
                yield MapBox("networks", "Networks", "n", id="box-networks")
                yield MapBox("volumes", "Volumes", "v", id="box-volumes")
            with Horizontal(id="map-bottom"):
                yield MapBox(None, "Registry", id="box-registry")
                yield MapBox("daemon_logs", "Daemon log", "l", id="box-logs")

    def on_resize(self) -> None:
        self.query_one("#map-objects").set_class(self.size.width < 72, "narrow")

    def show_snapshot(self, snapshot: HostSnapshot) -> None:
        boxes = {
            "#box-client": client_box(snapshot, self.api_version),
            "#box-daemon": daemon_box(snapshot),
            "#box-images": images_box(snapshot),
            "#box-containers": containers_box(snapshot),
            "#box-networks": networks_box(snapshot),
            "#box-volumes": volumes_box(snapshot),
            "#box-registry": registry_box(snapshot),
            "#box-logs": (_lines("dockerd's own log:", "why it failed, when", Text("press l", style="bold")), OK),
        }
        for selector, (body, state) in boxes.items():
            self.query_one(selector, MapBox).set_state(body, state)
