"""The export dialog: what to write (passing, failing, CSV, JSONL) and where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from ..exports import ExportKind, default_path
from .confirm import ConfirmScreen

KINDS: tuple[tuple[ExportKind, str], ...] = (
    ("passing", "Passing URLs (accepted in, rejected out)"),
    ("failing", "Failing URLs (fail + invalid)"),
    ("csv", "Full report, CSV"),
    ("jsonl", "Full report, JSON Lines"),
)


@dataclass(frozen=True)
class ExportRequest:
    """What the operator chose; the app writes it in a thread worker."""

    kind: ExportKind
    path: Path


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Enter writes; an existing file is only replaced after a yes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel")]

    def __init__(self, list_path: Path | None) -> None:
        super().__init__()
        self.list_path = list_path
        self.kind: ExportKind = "passing"

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text("Export", style="bold"))
            with RadioSet(id="export-kind"):
                for n, (kind, label) in enumerate(KINDS):
                    yield RadioButton(label, value=n == 0, name=kind)
            yield Label("Write to")
            yield Input(str(default_path(self.list_path, self.kind)), id="export-path")
            with Horizontal(id="export-buttons"):
                yield Button("Write", variant="primary", id="export-write")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.kind = KINDS[event.index][0]
        path = self.query_one("#export-path", Input)
        path.value = str(default_path(self.list_path, self.kind))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-write":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def submit(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.notify("Give a file name to write to.", severity="warning")
            return
        request = ExportRequest(self.kind, Path(raw).expanduser())
        if not request.path.exists():
            self.dismiss(request)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(request)

        question = f"{request.path} exists. Replace it?"
        self.app.push_screen(ConfirmScreen(question, yes="Replace", no="Keep"), answered)
