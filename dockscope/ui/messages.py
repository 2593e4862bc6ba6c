"""Messages that flow up from panes to the app (selection flows up, state down)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass(frozen=True)
class Selection:
    """The object the user is on: kind is container, image, network or volume."""

    kind: str
    key: str


class ObjectSelected(Message):
    """A pane's cursor moved to an object."""

    def __init__(self, selection: Selection) -> None:
        super().__init__()
        self.selection = selection


class OpenPane(Message):
    """Ask the app to show a pane (optionally focused on an object)."""

    def __init__(self, pane_id: str, selection: Selection | None = None) -> None:
        super().__init__()
        self.pane_id = pane_id
        self.selection = selection
