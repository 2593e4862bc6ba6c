"""The key footer, without the leak of Textual's own (use it wherever a screen has a footer)."""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Textual's ``Footer`` that lets go of the keys it has replaced.

    The footer composes itself again on every change of focus or bindings
    (opening and closing a prompt is two), each time with new ``FooterKey``
    widgets made with ``data_bind(compact=Footer.compact)``. Each binding is a
    watcher stored on the footer (the watched object), and Textual drops the
    watchers of removed widgets only when ``compact`` changes, which here it
    never does: every key ever shown stayed alive with its styles and caches
    (Textual 8.2.8; Textualize/textual#6666, open). In dockscope at 80x24 that
    was 42 keys per prompt: over 200 filter prompts in a terminal RSS went
    58 -> 185 MB, with this footer 56 -> 70 MB (the rest is Textual's bounded
    ``StylesCache.get_inner_outer`` LRU, textual#6665, filling up).

    ``mutate_reactive`` runs Textual's own pruning (watchers of closed
    widgets) without changing the value. It runs after the next refresh: a
    new key registers its watcher only then (``data_bind`` on a widget not yet
    mounted is deferred with ``call_later``), and a key replaced before that
    registers it all the same, already closed.
    """

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self.mutate_reactive, TextualFooter.compact)
