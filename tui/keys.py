"""The review app's keys: one table for the footer, the help screen and the command palette.

Every binding has a stable id, so the config file's `[keys]` section can remap it.
"""

from __future__ import annotations

from textual.binding import Binding

REVIEW_BINDINGS: list[Binding] = [
    Binding(
        "f",
        "cycle_filter",
        "Filter",
        id="filter",
        tooltip="Cycle: All, Fail + invalid, Error, Pass, Pending, Overridden",
    ),
    Binding(
        "slash",
        "search",
        "Search",
        id="search",
        tooltip="Show rows whose URL or reason contains a text",
    ),
    Binding(
        "escape",
        "clear_filter",
        "Clear filter",
        show=False,
        id="clear-filter",
        tooltip="Show every row again",
    ),
    Binding(
        "s",
        "cycle_sort",
        "Sort",
        id="sort",
        tooltip="Cycle: input order, status, reason, faces, ms, size",
    ),
    Binding("a", "accept", "Accept", id="accept", tooltip="Override the selected row to pass"),
    Binding("x", "reject", "Reject", id="reject", tooltip="Override the selected row to fail"),
    Binding(
        "u",
        "clear_override",
        "Undo",
        show=False,
        id="clear-override",
        tooltip="Clear the override: back to the checked verdict",
    ),
    Binding(
        "n",
        "edit_note",
        "Note",
        show=False,
        id="note",
        tooltip="Write why the selected row was accepted or rejected",
    ),
    Binding("r", "recheck", "Re-check", id="recheck", tooltip="Check the selected row again"),
    Binding(
        "R",
        "recheck_errors",
        "Re-check errors",
        id="recheck-errors",
        tooltip="Check every error row again",
    ),
    Binding("p", "toggle_pause", "Pause", id="pause", tooltip="Pause or resume checking"),
    Binding(
        "y",
        "copy_url",
        "Copy URL",
        id="copy-url",
        tooltip="Copy the selected URL to the clipboard (OSC 52: works over ssh)",
    ),
    Binding(
        "e",
        "export",
        "Export",
        id="export",
        tooltip="Write passing or failing URLs, or a full report",
    ),
    Binding(
        "d",
        "toggle_detail",
        "Detail",
        show=False,
        id="toggle-detail",
        tooltip="Show or hide the detail pane",
    ),
    Binding("question_mark", "help", "Help", id="help", tooltip="Show every key"),
    Binding("q", "quit_review", "Quit", id="quit", tooltip="Leave the review (all is saved)"),
]
