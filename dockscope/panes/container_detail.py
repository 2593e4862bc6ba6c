"""Container detail (Enter on a container): everything inspect, top and diff say, made readable.

Sections are built by pure functions from the raw inspect dict, so they can be
tested over recorded JSON. Environment values whose names look secret
(PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH) and credentials inside URLs
are masked until the user explicitly reveals them (``v``). Links to the
image, volumes and networks open their panes on that object.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from dockscope.engine.events import DockerEvent, die_exit_code, parse_event
from dockscope.probes.exitcodes import exit_code_meaning
from dockscope.textsafe import has_url_credentials, mask_url_credentials
from dockscope.ui.footer import Footer
from dockscope.ui.messages import OpenPane, Selection
from dockscope.ui.text import safe, safe_block, state_text

SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH")
MASK = "••••••"
#: Filesystem changes listed at most (a container rewriting a tree can have thousands).
MAX_CHANGES = 300
CHANGE_KINDS = {0: "changed", 1: "added", 2: "deleted"}

Raw = Mapping[str, Any]
Section = tuple[str, Text]


def looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def mask_env(entry: str, reveal: bool = False) -> tuple[str, bool]:
    """``NAME=value`` with a secret-looking value masked; returns the text and whether it was masked."""
    name, sep, value = entry.partition("=")
    if reveal or not sep:
        return entry, False
    if looks_secret(name) and value:
        return f"{name}={MASK}", True
    if has_url_credentials(value):
        return f"{name}={mask_url_credentials(value)}", True
    return entry, False


def _field(text: Text, label: str, value: object, style: str = "") -> None:
    text.append(f"{label:<14}", style="bold")
    text.append_text(safe(value, style, limit=2000))
    text.append("\n")


def _when(value: str) -> str:
    from dockscope.panes.containers import parse_docker_time

    moment = parse_docker_time(value)
    if moment is None:
        return "never"
    return f"{value[:19].replace('T', ' ')} UTC ({humanize.naturaltime(time.time() - moment)})"


#: How far back :func:`last_die` asks the daemon for a restarted container's last exit.
LAST_DIE_WINDOW_SECONDS = 24 * 3600


def last_die(client, inspect: Raw, now: float | None = None) -> DockerEvent | None:
    """The ``die`` event of a restarted container's previous run, or None.

    Docker sets ExitCode back to 0 when it starts a container again, so a
    restart loop caught running (or inspected between two runs on some
    engines) would not say why it died. The daemon still holds its recent
    events: one bounded request (``since``/``until``, filtered to this
    container's ``die``) reads the last one, whose ``exitCode`` is the answer.
    Failures are silent: the section then shows what inspect says.
    """
    state = inspect.get("State") or {}
    if not inspect.get("RestartCount") or not (state.get("Running") or state.get("Restarting")):
        return None
    until = int(now if now is not None else time.time()) + 1
    last = None
    try:
        stream = client.events(
            since=until - LAST_DIE_WINDOW_SECONDS, until=until,
            filters={"container": str(inspect.get("Id", "")), "event": "die"}, decode=True,
        )
        for raw in stream:
            if isinstance(raw, Mapping) and die_exit_code(event := parse_event(raw)) is not None:
                last = event
    except Exception:  # an old daemon, a timeout, a malformed event: what was read, else inspect alone
        pass
    return last


def _event_time(event: DockerEvent) -> str:
    """When ``event`` happened, as UTC ("?" for a time the platform cannot show)."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(event.time))
    except (OverflowError, OSError, ValueError):
        return "?"


def state_section(inspect: Raw, died: DockerEvent | None = None) -> Text:
    """Status, exit code and its meaning, OOM, error, times, restarts.

    ``died`` is the previous run's ``die`` event (:func:`last_die`) for a
    restarted container: its exit code is shown when inspect's was reset.
    """
    state = inspect.get("State") or {}
    policy = (inspect.get("HostConfig") or {}).get("RestartPolicy") or {}
    text = Text(end="")
    text.append_text(state_text(str(state.get("Status", "")), (state.get("Health") or {}).get("Status")))
    text.append("\n")
    code = state.get("ExitCode")
    if isinstance(code, int) and (state.get("Status") != "running" or code):
        oom = bool(state.get("OOMKilled"))
        _field(text, "Exit code", f"{code}: {exit_code_meaning(code, oom)}", "red" if code or oom else "")
    elif died is not None and (last := die_exit_code(died)) is not None:
        at = _event_time(died)
        meaning = exit_code_meaning(last, bool(state.get("OOMKilled")))
        _field(text, "Last exit", f"{last}: {meaning} (at {at}, before this run)", "red" if last else "")
    if state.get("OOMKilled"):
        _field(text, "OOMKilled", "yes: the kernel killed it at its memory limit", "bold red")
    if state.get("Error"):
        _field(text, "Error", state["Error"], "bold red")
    _field(text, "Started", _when(str(state.get("StartedAt", ""))))
    _field(text, "Finished", _when(str(state.get("FinishedAt", ""))))
    retries = f" (max {policy['MaximumRetryCount']})" if policy.get("MaximumRetryCount") else ""
    _field(text, "Restart", f"policy {policy.get('Name') or 'no'}{retries}, restarted {inspect.get('RestartCount', 0)} times")
    if state.get("Pid"):
        _field(text, "PID", state["Pid"])
    return text


def health_section(inspect: Raw) -> Text | None:
    health = (inspect.get("State") or {}).get("Health")
    check = (inspect.get("Config") or {}).get("Healthcheck") or {}
    if not health and not check:
        return None
    text = Text(end="")
    if check.get("Test"):
        _field(text, "Test", " ".join(str(p) for p in check["Test"]))
    if health:
        _field(text, "Status", f"{health.get('Status')} (failing streak {health.get('FailingStreak', 0)})")
        for probe in list(health.get("Log") or ())[-5:]:
            code = probe.get("ExitCode")
            text.append(f"  {str(probe.get('End', ''))[:19].replace('T', ' ')} exit {code}\n", style="red" if code else "green")
            text.append_text(safe_block(str(probe.get("Output", "")).strip() or "(no output)", "dim", limit=2000))
            text.append("\n")
    return text


def command_section(inspect: Raw) -> Text:
    config = inspect.get("Config") or {}
    text = Text(end="")
    _field(text, "Image", config.get("Image", ""))
    _field(text, "Image id", str(inspect.get("Image", ""))[:19])
    _field(text, "Entrypoint", _argv(config.get("Entrypoint")))
    _field(text, "Cmd", _argv(config.get("Cmd")))
    _field(text, "Runs", mask_url_credentials(_argv([inspect.get("Path", "")] + list(inspect.get("Args") or []))))
    if config.get("WorkingDir"):
        _field(text, "Workdir", config["WorkingDir"])
    if config.get("User"):
        _field(text, "User", config["User"])
    _field(text, "TTY", "yes" if config.get("Tty") else "no")
    return text


def _argv(value: Any) -> str:
    if not value:
        return "(none)"
    if isinstance(value, str):
        return value
    return " ".join(str(v) for v in value)


def env_section(inspect: Raw, reveal: bool) -> Text:
    text = Text(end="")
    masked_any = False
    for entry in (inspect.get("Config") or {}).get("Env") or ():
        shown, masked = mask_env(str(entry), reveal)
        masked_any |= masked
        text.append_text(safe(shown, "yellow" if masked else "", limit=2000))
        text.append("\n")
    if masked_any:
        text.append("(secret-looking values masked; press v to reveal)\n", style="dim italic")
    elif reveal:
        text.append("(values revealed; press v to mask)\n", style="yellow italic")
    return text


def labels_section(inspect: Raw) -> Text:
    text = Text(end="")
    for key, value in sorted(((inspect.get("Config") or {}).get("Labels") or {}).items()):
        text.append_text(safe(key, "cyan"))
        text.append("=")
        text.append_text(safe(mask_url_credentials(str(value)), limit=1000))
        text.append("\n")
    return text


def mounts_section(inspect: Raw) -> Text:
    text = Text(end="")
    for mount in inspect.get("Mounts") or ():
        text.append(f"{mount.get('Type', ''):<7}", style="bold")
        text.append_text(safe(mount.get("Name") or mount.get("Source") or "", "cyan"))
        text.append(" -> ")
        text.append_text(safe(mount.get("Destination", "")))
        text.append("" if mount.get("RW", True) else " (read-only)", style="yellow")
        text.append("\n")
    return text


def networks_section(inspect: Raw) -> Text:
    settings = inspect.get("NetworkSettings") or {}
    text = Text(end="")
    _field(text, "Mode", (inspect.get("HostConfig") or {}).get("NetworkMode", ""))
    for name, net in sorted((settings.get("Networks") or {}).items()):
        text.append_text(safe(name, "bold cyan"))
        ip = f"{net.get('IPAddress')}/{net.get('IPPrefixLen')}" if net.get("IPAddress") else "no address"
        text.append_text(safe(f"  {ip}  gw {net.get('Gateway') or '-'}  mac {net.get('MacAddress') or '-'}"))
        aliases = ", ".join(str(a) for a in net.get("Aliases") or ())
        if aliases:
            text.append_text(safe(f"  aliases {aliases}", "dim"))
        text.append("\n")
    ports = settings.get("Ports") or {}
    for port, bindings in sorted(ports.items()):
        targets = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings or ()) or "not published"
        text.append_text(safe(f"port {port} <- {targets}"))
        text.append("\n")
    return text


def resources_section(inspect: Raw) -> Text:
    host = inspect.get("HostConfig") or {}
    text = Text(end="")

    def size(value: Any) -> str:
        return humanize.naturalsize(value, binary=True) if value else "unlimited"

    _field(text, "Memory", size(host.get("Memory")))
    swap = host.get("MemorySwap")
    _field(text, "Memory+swap", "unlimited" if swap in (None, 0, -1) else size(swap))
    cpus = host.get("NanoCpus") or 0
    quota, period = host.get("CpuQuota") or 0, host.get("CpuPeriod") or 0
    _field(text, "CPUs", f"{cpus / 1e9:g}" if cpus else (f"{quota / period:g} (quota)" if quota > 0 and period else "unlimited"))
    if host.get("CpuShares"):
        _field(text, "CPU shares", host["CpuShares"])
    if host.get("CpusetCpus"):
        _field(text, "CPU set", host["CpusetCpus"])
    _field(text, "PIDs limit", host.get("PidsLimit") or "unlimited")
    _field(text, "Privileged", "YES" if host.get("Privileged") else "no", "bold red" if host.get("Privileged") else "")
    if host.get("CapAdd"):
        _field(text, "Cap add", ", ".join(host["CapAdd"]))
    log = host.get("LogConfig") or {}
    options = ", ".join(f"{k}={v}" for k, v in sorted((log.get("Config") or {}).items()))
    _field(text, "Logging", f"{log.get('Type', '')} {options}".strip())
    return text


def top_section(top: Raw | None, error: str = "") -> Text:
    if error:
        return safe_block(error, "dim")
    if not top:
        return Text("not running", style="dim", end="")
    titles = [str(t) for t in top.get("Titles") or ()]
    rows = [titles] + [[str(v) for v in row] for row in top.get("Processes") or ()]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(titles))]
    text = Text(end="")
    for index, row in enumerate(rows[:100]):
        cells = [value.ljust(widths[i]) if i < len(row) - 1 else value for i, value in enumerate(row)]
        text.append_text(safe("  ".join(cells), "bold" if index == 0 else "", limit=300))
        text.append("\n")
    return text


def diff_section(changes: Sequence[Raw] | None, error: str = "") -> Text:
    if error:
        return safe_block(error, "dim")
    if not changes:
        return Text("no change to the image's filesystem", style="dim", end="")
    text = Text(end="")
    styles = {"added": "green", "deleted": "red", "changed": "yellow"}
    for change in list(changes)[:MAX_CHANGES]:
        kind = CHANGE_KINDS.get(change.get("Kind"), "?")
        text.append(f"{kind:<8}", style=styles.get(kind, ""))
        text.append_text(safe(change.get("Path", "")))
        text.append("\n")
    if len(changes) > MAX_CHANGES:
        text.append(f"… and {len(changes) - MAX_CHANGES} more\n", style="dim")
    return text


def sections(
    inspect: Raw, top: Raw | None, changes: Sequence[Raw] | None, *, reveal: bool,
    errors: Mapping[str, str] | None = None, died: DockerEvent | None = None,
) -> list[Section]:
    """Every section of the detail view, in order (health only when there is a healthcheck).

    ``died``: the previous run's ``die`` event of a restarted container (:func:`last_die`).
    """
    errors = errors or {}
    parts: list[Section | None] = [
        ("State", state_section(inspect, died)),
        ("Health", health) if (health := health_section(inspect)) is not None else None,
        ("Image and command", command_section(inspect)),
        ("Environment", env_section(inspect, reveal)),
        ("Labels", labels_section(inspect)),
        ("Mounts", mounts_section(inspect)),
        ("Networks and ports", networks_section(inspect)),
        ("Resources", resources_section(inspect)),
        ("Processes (top)", top_section(top, errors.get("top", ""))),
        ("Filesystem changes (diff)", diff_section(changes, errors.get("diff", ""))),
    ]
    return [part for part in parts if part is not None]


def links(inspect: Raw) -> list[tuple[str, str, Text]]:
    """(pane id, key, label) for the image, each named volume and each network."""
    found: list[tuple[str, str, Text]] = []
    image = str(inspect.get("Image", ""))
    if image:
        found.append(("images", image, Text("image  ", style="bold", end="") + safe((inspect.get("Config") or {}).get("Image") or image[:19])))
    for mount in inspect.get("Mounts") or ():
        if mount.get("Type") == "volume" and mount.get("Name"):
            found.append(("volumes", str(mount["Name"]), Text("volume  ", style="bold", end="") + safe(mount["Name"])))
    for name, net in sorted(((inspect.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        if net.get("NetworkID"):
            found.append(("networks", str(net["NetworkID"]), Text("network  ", style="bold", end="") + safe(name)))
    return found


PANE_KIND = {"images": "image", "volumes": "volume", "networks": "network"}


class ContainerDetailScreen(ModalScreen[None]):
    """Full-screen detail of one container; Escape goes back."""

    DEFAULT_CSS = """
    ContainerDetailScreen { background: $background; }
    ContainerDetailScreen #detail-title { height: 1; background: $panel; padding: 0 1; }
    ContainerDetailScreen VerticalScroll { height: 1fr; padding: 0 1; }
    ContainerDetailScreen .section-title { text-style: bold; color: $accent; margin-top: 1; }
    ContainerDetailScreen #detail-links { height: auto; max-height: 8; border: round $secondary; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("v", "reveal", "Reveal secrets"),
        Binding("r", "reload", "Reload"),
        Binding("L", "logs", "Logs"),
    ]

    def __init__(self, container_id: str) -> None:
        super().__init__()
        self.container_id = container_id
        self.reveal = False
        self.inspect: Raw | None = None
        self.top: Raw | None = None
        self.died: DockerEvent | None = None
        self.changes: list[Raw] | None = None
        self.errors: dict[str, str] = {}
        self.shown: list[Section] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(f"container {self.container_id[:12]} …", end=""), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(Text("loading…", style="dim"), id="detail-loading")
        links_list = OptionList(id="detail-links")
        links_list.border_title = "Go to (Tab, then Enter)"
        yield links_list
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()
        self.action_reload()

    def action_reload(self) -> None:
        self._fetch()

    @work(thread=True, exit_on_error=False, group="container-detail", exclusive=True)
    def _fetch(self) -> None:
        from docker.errors import APIError

        client = self.app.session.client
        try:
            inspect = client.inspect_container(self.container_id)
        except Exception as error:  # gone, or the daemon is unreachable
            gone = isinstance(error, APIError) and getattr(error.response, "status_code", 0) == 404
            self.app.call_from_thread(self._show_error, "The container was removed." if gone else f"inspect failed: {error}")
            return
        errors: dict[str, str] = {}
        top = changes = None
        if (inspect.get("State") or {}).get("Running"):
            try:
                top = client.top(self.container_id)
            except Exception as error:  # stopped meanwhile, or paused on an old daemon
                errors["top"] = f"top failed: {error}"
        try:
            changes = client.diff(self.container_id)
        except Exception as error:  # some storage drivers cannot diff
            errors["diff"] = f"diff failed: {error}"
        died = last_die(client, inspect)
        self.app.call_from_thread(self._show, inspect, top, changes or [], errors, died)

    def _show_error(self, message: str) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        body.remove_children()
        body.mount(Static(safe_block(message, "bold red")))

    def _show(self, inspect: Raw, top: Raw | None, changes: list[Raw], errors: dict[str, str], died: DockerEvent | None = None) -> None:
        self.inspect, self.top, self.changes, self.errors, self.died = inspect, top, changes, errors, died
        name = str(inspect.get("Name", "")).lstrip("/")
        title = Text("container ", end="") + safe(name, "bold") + Text(f"  {self.container_id[:12]}", style="dim")
        self.query_one("#detail-title", Static).update(title)
        self._render_sections()
        options = self.query_one("#detail-links", OptionList)
        options.clear_options()
        for pane_id, key, label in links(inspect):
            options.add_option(Option(label, id=f"{pane_id}\x00{key}"))

    def _render_sections(self) -> None:
        if self.inspect is None:
            return
        body = self.query_one("#detail-body", VerticalScroll)
        scroll = body.scroll_y
        body.remove_children()
        widgets = []
        self.shown = sections(self.inspect, self.top, self.changes, reveal=self.reveal, errors=self.errors, died=self.died)
        for title, content in self.shown:
            widgets.append(Static(Text(title, end=""), classes="section-title"))
            content.rstrip()
            widgets.append(Static(content))
        body.mount_all(widgets)
        body.call_after_refresh(body.scroll_to, y=scroll, animate=False)

    def rendered_text(self) -> str:
        """The plain text of the sections shown (for tests)."""
        return "\n".join(f"{title}\n{content.plain}" for title, content in self.shown)

    def action_reveal(self) -> None:
        self.reveal = not self.reveal
        self._render_sections()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_logs(self) -> None:
        from dockscope.panes.container_logs import ContainerLogsScreen

        self.app.push_screen(ContainerLogsScreen(self.container_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        pane_id, _, key = (event.option.id or "").partition("\x00")
        self.dismiss(None)
        self.app.post_message(OpenPane(pane_id, Selection(PANE_KIND[pane_id], key)))
