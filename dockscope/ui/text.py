"""Untrusted text to rich ``Text``: the only way Docker data reaches the screen.

Every helper here builds ``rich.text.Text`` directly from a string cleaned by
:mod:`dockscope.textsafe`; nothing is ever parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text

from dockscope.textsafe import clean, clean_log_line

if TYPE_CHECKING:  # headless commands use these helpers without loading textual
    from textual.widgets import Static

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
    """A single-line ``Text`` showing ``value`` with nothing able to act on the terminal.

    ``limit`` counts terminal cells, not characters, so a row of wide
    characters is cut at the same width as a row of ASCII.
    """
    text = Text(clean(value, limit=limit), style=style, no_wrap=True, overflow="ellipsis", end="")
    if limit is not None and text.cell_len > limit:
        text.truncate(limit, overflow="ellipsis")
    return text


def safe_block(value: object, style: str = "", *, limit: int | None = 65536) -> Text:
    """Multi-line untrusted text (command output, health probe output)."""
    return Text(clean(value, limit=limit, keep_newlines=True, keep_tabs=True), style=style)


def log_text(line: bytes | str, *, keep_colours: bool = True, style: str = "") -> Text:
    """A log line: SGR colours optionally kept, every other escape dropped, controls shown.

    Only the SGR sequences that :func:`~dockscope.textsafe.clean_log_line`
    kept reach rich's ANSI parser; anything it would still leave in the plain
    text (an escape it did not understand) is made visible, and links are
    dropped from the styles.
    """
    cleaned = clean_log_line(line, keep_sgr=keep_colours)
    if keep_colours and "\x1b[" in cleaned:
        text = Text.from_ansi(cleaned, style=style, no_wrap=True, end="")
        if "\x1b" in text.plain:
            return Text(clean(text.plain, limit=None, keep_tabs=True), style=style, no_wrap=True, end="")
        text.spans = [span for span in text.spans if not _is_link(span.style)]
        return text
    return Text(cleaned, style=style, no_wrap=True, end="")


def _is_link(style: object) -> bool:
    return bool(getattr(style, "link", None)) or bool(getattr(style, "meta", None))


def state_text(state: str, health: str | None = None) -> Text:
    """``running``/``exited``... coloured, with the health in brackets when known."""
    text = safe(state, STATE_STYLES.get(state, ""))
    if health:
        text.append(f" ({clean(health, limit=32)})", STATE_STYLES.get(health, ""))
    return text


def joined(parts: list[Text], separator: str = ", ") -> Text:
    return Text(separator, end="").join(parts)


def same_renderable(before: RenderableType, after: RenderableType) -> bool:
    """Equality that also sees a change of style (rich's ``Text.__eq__`` ignores it)."""
    if hasattr(before, "plain") and hasattr(after, "plain"):
        return (before.plain, before.style, before.spans) == (after.plain, after.style, after.spans)
    return before == after


def show_text(widget: Static, content: Text) -> None:
    """``widget.update(content)`` unless it shows that already.

    Every ``Static.update`` asks for a layout of the whole screen and a repaint;
    lines redrawn on a timer or on every snapshot mostly say the same thing.
    """
    if not same_renderable(widget.content, content):
        widget.update(content)
