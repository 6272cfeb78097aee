"""The command palette's provider: every action of the review app, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keys import REVIEW_BINDINGS

# (title, help, action): the same actions the keys run, from the same table.
COMMANDS: tuple[tuple[str, str, str], ...] = tuple(
    (binding.description, binding.tooltip, binding.action) for binding in REVIEW_BINDINGS
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
