"""The command palette's provider: every action of the review app, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action): the same actions the keys run.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Filter: cycle", "All, Fail + invalid, Error, Pass, Pending, Overridden", "cycle_filter"),
    ("Filter: by text", "Show rows whose URL or reason contains a text", "search"),
    ("Filter: clear", "Show every row again", "clear_filter"),
    ("Sort: cycle", "Input order, status, reason, faces, ms, size", "cycle_sort"),
    ("Accept row", "Override the selected row to pass", "accept"),
    ("Reject row", "Override the selected row to fail", "reject"),
    ("Clear override", "Back to the checked verdict", "clear_override"),
    ("Note on row", "Write why the selected row was accepted or rejected", "edit_note"),
    ("Re-check row", "Check the selected row again", "recheck"),
    ("Re-check errors", "Check every error row again", "recheck_errors"),
    ("Pause / resume", "Pause or resume checking", "toggle_pause"),
    ("Copy URL", "Copy the selected URL to the clipboard (OSC 52)", "copy_url"),
    ("Export", "Write passing/failing URLs or a full report", "export"),
    ("Detail pane", "Show or hide the detail pane", "toggle_detail"),
    ("Help", "Show every key", "help"),
    ("Quit", "Leave the review", "quit_review"),
)


class ReviewCommands(Provider):
    """Fuzzy search over COMMANDS; with an empty query, lists them all."""

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    help=help_text,
                )
