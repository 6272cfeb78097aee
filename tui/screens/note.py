"""Writing the operator's note on one row (why it was accepted or rejected)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ..textsafe import display_url, shorten_middle


class NoteScreen(ModalScreen[str | None]):
    """Dismisses with the new note on enter (empty clears it), None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note-cancel")]

    def __init__(self, url: str, note: str) -> None:
        super().__init__()
        self.url = url
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            yield Label(Text(f"Note on {shorten_middle(display_url(self.url), 60)}"))
            yield Input(self.note, placeholder="why; enter saves, empty clears", id="note-input")
            yield Label(Text("enter: save   escape: cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
