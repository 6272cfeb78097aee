"""The detail pane: the selected row's preview with face boxes, and every field in full."""

from __future__ import annotations

from PIL import Image as PILImage
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ..schema import Row
from ..textsafe import display_url, plain
from .results_table import COLOURS, status_label


def image_widgets() -> dict[str, type[Widget]]:
    """Preview widget per `--image-protocol`; empty when textual-image cannot start.

    textual-image probes the terminal when imported, so this runs when this module is
    imported, before the app starts. `auto` lets it pick Sixel, Kitty's TGP, half-cell or
    unicode from what the terminal answers. A pty without a size makes its probe fail.
    """
    try:
        import textual_image.widget as images
    except (ArithmeticError, OSError, ValueError):
        return {}
    return {
        "auto": images.Image,
        "sixel": images.SixelImage,
        "tgp": images.TGPImage,
        "halfcell": images.HalfcellImage,
        "unicode": images.UnicodeImage,
    }


PROTOCOLS = image_widgets()


def describe(row: Row, index: int) -> Text:
    """Every field of a row as plain text (URLs and messages never parsed as markup)."""
    text = Text()

    def field(name: str, value: object, style: str = "") -> None:
        text.append(f"{name:<10}", style="bold")
        text.append(plain(str(value)) + "\n", style=style)

    text.append(status_label(row) + "\n", style=COLOURS[row.status] + Style(bold=True))
    field("url", display_url(row.url))
    field("row", f"{index + 1} (lines {', '.join(str(n) for n in row.lines) or '-'})")
    field("reason", row.reason or "-")
    field("message", row.message or "-")
    size = f"{row.width}x{row.height}" if row.width and row.height else "-"
    field("size", size)
    field("format", row.format or "-")
    field("bytes", "-" if row.bytes is None else f"{row.bytes:,}")
    field("ms", "-" if row.elapsed_ms is None else row.elapsed_ms)
    field("backend", row.backend or "-")
    field("request", row.request_id or "-")
    field("override", row.override or "-")
    if row.note:
        field("note", row.note)
    if row.faces is None:
        field("faces", "-")
    else:
        field("faces", len(row.faces))
        for n, face in enumerate(row.faces, 1):
            x, y, w, h = face.box
            yaw = "-" if face.yaw is None else f"{face.yaw:.1f}°"
            text.append(f"  #{n} box {x},{y} {w}x{h} score {face.score:.2f} yaw {yaw}\n")
    return text


class DetailPane(VerticalScroll):
    """Preview on top, fields below; the app feeds it rows and decoded previews."""

    def __init__(self, protocol: str = "auto", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.protocol = protocol
        self.index: int | None = None

    def compose(self) -> ComposeResult:
        image_class = PROTOCOLS.get(self.protocol)
        if image_class is not None:
            yield image_class(id="preview")
        yield Static(id="preview-note")
        yield Static(id="fields")

    def show_row(self, row: Row | None, index: int | None) -> None:
        """Show a row's fields now; its preview comes later through `show_preview`."""
        changed = index != self.index
        self.index = index
        fields = self.query_one("#fields", Static)
        fields.update(Text("no row") if row is None or index is None else describe(row, index))
        if changed:
            self._set_image(None)
            note = "" if self.protocol in PROTOCOLS else "preview off"
            self.query_one("#preview-note", Static).update(note)

    def show_preview(self, index: int, image: PILImage.Image | None, error: str = "") -> None:
        """A preview arrived; ignored when the cursor has moved on since it was asked for."""
        if index != self.index:
            return
        self._set_image(image)
        self.query_one("#preview-note", Static).update(Text(plain(error)) if error else "")

    def _set_image(self, image: PILImage.Image | None) -> None:
        for widget in self.query("#preview"):
            widget.image = image  # type: ignore[attr-defined]
            widget.display = image is not None
