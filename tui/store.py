"""The rows of one review in memory: verdicts in, overrides, counts; optionally journaled.

Data flows one way: the engine's verdicts go into the store; the TUI, `check` and the
exports read from it. A `Journal` (the SQLite session) persists every change in batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Protocol

from .schema import Override, Row, Status, Verdict


class JournalError(Exception):
    """The journal cannot save any more (disk full, read-only); the message says so."""


class Journal(Protocol):
    """Where changed rows go to survive a crash (see `tui.sessions`); raises JournalError."""

    def record(self, index: int, row: Row) -> None: ...

    def flush(self) -> None: ...


class ResultStore:
    """All rows of a list, indexed by position, with live counts by status."""

    def __init__(self, rows: list[Row], journal: Journal | None = None) -> None:
        self.rows = rows
        self.journal = journal
        self.counts: Counter[Status] = Counter(row.status for row in rows)
        self.overridden = sum(1 for row in rows if row.override)
        self.billed = sum(row.image_count for row in rows)
        self.version = 0  # bumps on every change; views re-read when it moves

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]

    def apply(self, index: int, verdict: Verdict) -> None:
        row = self.rows[index]
        self.counts[row.status] -= 1
        self.billed += verdict.image_count
        row.apply(verdict)
        self.counts[row.status] += 1
        self._changed(index, row)

    def set_override(self, index: int, override: Override) -> None:
        row = self.rows[index]
        if row.override == override:
            return
        self.overridden += (override is not None) - (row.override is not None)
        row.override = override
        self._changed(index, row)

    def set_note(self, index: int, note: str) -> None:
        row = self.rows[index]
        row.note = note
        self._changed(index, row)

    def reset(self, indices: Iterable[int]) -> list[int]:
        """Mark rows pending again for a re-check (invalid rows stay invalid)."""
        done = []
        for index in indices:
            row = self.rows[index]
            if not row.checkable:
                continue
            self.counts[row.status] -= 1
            row.reset()
            self.counts["pending"] += 1
            self._changed(index, row)
            done.append(index)
        return done

    def indices(self, status: Status) -> list[int]:
        return [i for i, row in enumerate(self.rows) if row.status == status]

    def jobs(self, indices: Iterable[int] | None = None) -> Iterator[tuple[int, str]]:
        """(index, url) for every pending row (or the given ones), lazily."""
        if indices is None:
            indices = range(len(self.rows))
        for index in indices:
            row = self.rows[index]
            if row.status == "pending":
                yield index, row.url

    @property
    def done(self) -> int:
        return len(self.rows) - self.counts["pending"]

    def flush(self) -> None:
        if self.journal is not None:
            self.journal.flush()

    def _changed(self, index: int, row: Row) -> None:
        self.version += 1
        if self.journal is not None:
            self.journal.record(index, row)
