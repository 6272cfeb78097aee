"""Which rows the table shows, in what order: pure filter and sort over the store's rows.

Kept free of Textual so it is fast to test and to time on 100,000 rows. Filters look at
the checked status (`row.status`), not the override, so accepting a failed row does not
make it jump out of the Fail view under the operator's cursor; `Overridden` lists every
row the operator decided by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .schema import Row

# Filter steps in the order `f` cycles them. Fail includes invalid rows (both are "not usable").
FILTERS: tuple[str, ...] = ("all", "fail", "error", "pass", "pending", "overridden")
FILTER_LABELS: dict[str, str] = {
    "all": "All",
    "fail": "Fail + invalid",
    "error": "Error",
    "pass": "Pass",
    "pending": "Pending",
    "overridden": "Overridden",
}
_FILTER_STATUSES: dict[str, frozenset[str]] = {
    "fail": frozenset({"fail", "invalid"}),
    "error": frozenset({"error"}),
    "pass": frozenset({"pass"}),
    "pending": frozenset({"pending"}),
}

SORTS: tuple[str, ...] = ("input", "status", "reason", "faces", "ms", "size")
SORT_LABELS: dict[str, str] = {
    "input": "input order",
    "status": "status",
    "reason": "reason",
    "faces": "faces",
    "ms": "time (slowest first)",
    "size": "size (largest first)",
}
# Worst first: what the operator has to look at comes to the top.
_STATUS_RANK = {"fail": 0, "invalid": 1, "error": 2, "pending": 3, "pass": 4}
_SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "status": lambda r: _STATUS_RANK[r.status],
    "reason": lambda r: r.reason,
    "faces": lambda r: -1 if r.faces is None else len(r.faces),
    "ms": lambda r: -(r.elapsed_ms or 0),
    "size": lambda r: -((r.width or 0) * (r.height or 0)),
}


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """What the operator asked to see: a status filter, a text filter and a sort."""

    filter: str = "all"
    text: str = ""
    sort: str = "input"

    @property
    def is_identity(self) -> bool:
        """True when the view is every row in input order (no work to compute it)."""
        return self.filter == "all" and not self.text and self.sort == "input"


def next_in(options: Sequence[str], current: str) -> str:
    """The option after `current`, wrapping around."""
    return options[(options.index(current) + 1) % len(options)]


def visible_indices(rows: Sequence[Row], spec: ViewSpec) -> list[int]:
    """Indices into `rows` that pass the filters, in the requested order (stable)."""
    if spec.is_identity:
        return list(range(len(rows)))
    if spec.filter == "overridden":
        indices = [i for i, r in enumerate(rows) if r.override is not None]
    elif spec.filter in _FILTER_STATUSES:
        wanted = _FILTER_STATUSES[spec.filter]
        indices = [i for i, r in enumerate(rows) if r.status in wanted]
    else:
        indices = list(range(len(rows)))
    if spec.text:
        needle = spec.text.casefold()
        indices = [
            i
            for i in indices
            if needle in rows[i].url.casefold() or needle in rows[i].reason.casefold()
        ]
    key = _SORT_KEYS.get(spec.sort)
    if key is not None:
        indices.sort(key=lambda i: key(rows[i]))
    return indices
