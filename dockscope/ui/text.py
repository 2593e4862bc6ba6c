"""Untrusted text to rich ``Text``: the only way Docker data reaches the screen.

Every helper here builds ``rich.text.Text`` directly from a string cleaned by
:mod:`dockscope.textsafe`; nothing is ever parsed as markup.
"""

from __future__ import annotations

from rich.text import Text

from dockscope.textsafe import clean, clean_log_line

#: Colours by state, shared by every pane and the map.
STATE_STYLES = {
    "running": "green",
    "healthy": "green",
    "paused": "yellow",
    "restarting": "bold red",
    "unhealthy": "bold red",
    "starting": "yellow",
    "exited": "dim",
    "created": "yellow",
    "dead": "bold red",
    "removing": "dim",
}


def safe(value: object, style: str = "", *, limit: int | None = 512) -> Text:
    """A single-line ``Text`` showing ``value`` with nothing able to act on the terminal."""
    return Text(clean(value, limit=limit), style=style, no_wrap=True, overflow="ellipsis", end="")


def safe_block(value: object, style: str = "", *, limit: int | None = 65536) -> Text:
    """Multi-line untrusted text (command output, health probe output)."""
    return Text(clean(value, limit=limit, keep_newlines=True, keep_tabs=True), style=style)


def log_text(line: bytes | str, *, keep_colours: bool = True, style: str = "") -> Text:
    """A log line: SGR colours optionally kept, every other escape dropped, controls shown."""
    cleaned = clean_log_line(line, keep_sgr=keep_colours)
    if keep_colours and "\x1b[" in cleaned:
        text = Text.from_ansi(cleaned, style=style, no_wrap=True, end="")
        text.spans = [span for span in text.spans if not _is_link(span.style)]
        return text
    return Text(cleaned, style=style, no_wrap=True, end="")


def _is_link(style: object) -> bool:
    return bool(getattr(style, "link", None))


def state_text(state: str, health: str | None = None) -> Text:
    """``running``/``exited``... coloured, with the health in brackets when known."""
    text = safe(state, STATE_STYLES.get(state, ""))
    if health:
        text.append(f" ({health})", STATE_STYLES.get(health, ""))
    return text


def joined(parts: list[Text], separator: str = ", ") -> Text:
    return Text(separator, end="").join(parts)
