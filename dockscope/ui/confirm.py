"""Modal dialogs: a yes/no confirmation (default No) and a one-line prompt.

The question is a ``rich.text.Text`` built by the caller with
:func:`dockscope.ui.text.safe`, so names from Docker never pass through markup.
Dismissed with ``True``/``False`` (confirm) or the typed string / ``None``
(prompt); push them with ``app.push_screen(screen, callback)``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that cannot be undone. Enter on the default button says No."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 1 2; }
    ConfirmScreen #question { height: auto; max-height: 16; overflow-y: auto; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    #: No has the focus from the first frame: keys typed ahead (a filter meant for the
    #: table, then Enter) must never land on Yes.
    AUTO_FOCUS = "#no"

    def __init__(self, question: Text, *, yes_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            with Horizontal():
                yes = Button(f"{self.yes_label} (y)", variant="error", id="yes")
                yes.can_focus = False  # only the y key or a click says yes; Enter and Tab never reach it
                yield yes
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter gives it, Escape gives None."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 72; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    PromptScreen Label { margin-bottom: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question))
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
