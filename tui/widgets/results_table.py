"""The virtual results table: a Line API `ScrollView` that renders only the rows on screen.

It holds no copy of the rows: it reads the store's row list through a list of visible
indices (from `tui.view`), and caches the rendered `Strip` of each row until the store's
version or the width changes. 100,000 rows cost one list of ints.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..schema import Row
from ..store import ResultStore
from ..textsafe import display_url, plain, shorten_middle

SYMBOLS = {"pass": "✓", "fail": "✗", "error": "!", "invalid": "?", "pending": "·"}
COLOURS = {
    "pass": Style(color="green"),
    "fail": Style(color="red"),
    "error": Style(color="yellow"),
    "invalid": Style(color="magenta"),
    "pending": Style(dim=True),
}
OVERRIDE_MARKS = {"pass": " (accepted)", "fail": " (rejected)"}
# (title, width); the URL column takes what is left.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("status", 20),
    ("url", 0),
    ("reason", 18),
    ("size", 9),
    ("fmt", 4),
    ("faces", 5),
    ("ms", 6),
)
MIN_URL = 12


def status_label(row: Row) -> str:
    """`✓ pass`, `✗ fail (accepted)`: readable without colour."""
    mark = OVERRIDE_MARKS[row.override] if row.override else ""
    return f"{SYMBOLS[row.status]} {row.status}{mark}"


def row_cells(row: Row, url_width: int) -> list[str]:
    """The text of each column for one row, from outside text made plain."""
    size = f"{row.width}x{row.height}" if row.width and row.height else ""
    faces = "" if row.faces is None else str(len(row.faces))
    ms = "" if row.elapsed_ms is None else str(row.elapsed_ms)
    return [
        status_label(row),
        shorten_middle(display_url(row.url), url_width),
        plain(row.reason),
        size,
        plain(row.format or ""),
        faces,
        ms,
    ]


class ResultsTable(ScrollView, can_focus=True):
    """Every row of the store through a list of visible indices; a cursor; a sticky header."""

    DEFAULT_CSS = """
    ResultsTable { background: $surface; overflow-x: hidden; }
    ResultsTable > .results-table--header { text-style: bold; background: $panel; }
    ResultsTable > .results-table--cursor { background: $block-cursor-background; }
    ResultsTable:focus > .results-table--cursor { text-style: bold; }
    """
    COMPONENT_CLASSES = {"results-table--header", "results-table--cursor"}
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="cursor-up"),
        Binding("g,home", "cursor_first", "First", show=False, id="cursor-first"),
        Binding("G,end", "cursor_last", "Last", show=False, id="cursor-last"),
        Binding("pageup", "page_up_rows", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page_down_rows", "Page down", show=False, id="page-down"),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on store row `index` (None when the view is empty)."""

        index: int | None

    def __init__(self, store: ResultStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.shown: list[int] = list(range(len(store)))
        self.cursor = 0
        self._cache: dict[tuple[int, bool], Strip] = {}
        self._cache_key: tuple[int, int] = (-1, -1)
        self._last_highlight: int | None = -1

    # -- data -------------------------------------------------------------------------
    @property
    def current(self) -> int | None:
        """The store index under the cursor."""
        return self.shown[self.cursor] if self.shown else None

    def set_visible(self, visible: list[int], keep: int | None = None) -> None:
        """Show these rows; keep the cursor on store row `keep` when it is still visible."""
        self.shown = visible
        position = 0
        if keep is not None:
            try:
                position = visible.index(keep)
            except ValueError:
                position = min(self.cursor, max(len(visible) - 1, 0))
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(visible) + 1)
        self.move_to(position)
        self.refresh()

    def rows_changed(self) -> None:
        """The store moved on (a batch arrived, an override): redraw what is on screen."""
        self.refresh()

    # -- cursor -----------------------------------------------------------------------
    def move_to(self, position: int) -> None:
        self.cursor = max(0, min(position, len(self.shown) - 1))
        body = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)
        self.refresh()
        if self.current != self._last_highlight:
            self._last_highlight = self.current
            self.post_message(self.Highlighted(self.current))

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_cursor_first(self) -> None:
        self.move_to(0)

    def action_cursor_last(self) -> None:
        self.move_to(len(self.shown) - 1)

    def action_page_up_rows(self) -> None:
        self.move_to(self.cursor - max(self.scrollable_content_region.height - 2, 1))

    def action_page_down_rows(self) -> None:
        self.move_to(self.cursor + max(self.scrollable_content_region.height - 2, 1))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_to(round(self.scroll_y) + event.y - 1)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.shown) + 1)

    # -- rendering --------------------------------------------------------------------
    def _widths(self, width: int) -> list[int]:
        fixed = sum(w for _, w in COLUMNS) + len(COLUMNS) - 1
        return [w or max(width - fixed, MIN_URL) for _, w in COLUMNS]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("results-table--header")
            titles = [title for title, _ in COLUMNS]
            return self._strip(titles, self._widths(width), style, None, width)
        position = round(self.scroll_y) + y - 1
        if position >= len(self.shown):
            return Strip.blank(width, base)
        key = (self.store.version, width)
        if key != self._cache_key:
            self._cache.clear()
            self._cache_key = key
        selected = position == self.cursor
        index = self.shown[position]
        strip = self._cache.get((index, selected))
        if strip is None:
            style = base
            if selected:
                style = base + self.get_component_rich_style("results-table--cursor")
            row = self.store.rows[index]
            widths = self._widths(width)
            strip = self._strip(row_cells(row, widths[1]), widths, style, row.status, width)
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[(index, selected)] = strip
        return strip

    @staticmethod
    def _strip(
        cells: list[str], widths: list[int], style: Style, status: str | None, width: int
    ) -> Strip:
        segments: list[Segment] = []
        for column, (text, cell_width) in enumerate(zip(cells, widths, strict=True)):
            cell_style = style + COLOURS[status] if column == 0 and status else style
            segments.append(Segment(set_cell_size(text, cell_width), cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)
