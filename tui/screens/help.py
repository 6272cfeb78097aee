"""The `?` screen: every key of the app, as currently mapped (config `[keys]` included)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_table(bindings: list[Binding], keymap: dict[str, str]) -> Table:
    """Keys, what they do and their binding ids (the names `[keys]` in the config uses)."""
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("key")
    table.add_column("does")
    table.add_column(Text("id ([keys] in config)"), style="dim")
    for binding in bindings:
        keys = keymap.get(binding.id or "", binding.key)
        table.add_row(Text(keys), Text(binding.description), Text(binding.id or ""))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help-close")]

    def __init__(self, bindings: list[Binding], keymap: dict[str, str]) -> None:
        super().__init__()
        self.bindings = bindings
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(Text("Keys", style="bold"))
            yield Static(key_table(self.bindings, self.keymap))
            yield Static(
                Text(
                    "Filter f cycles: All, Fail + invalid, Error, Pass, Pending, Overridden "
                    "(by checked status; overrides are marked). ctrl+p: every action by name."
                )
            )

    def action_close(self) -> None:
        self.dismiss(None)
