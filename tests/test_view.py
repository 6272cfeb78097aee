"""The pure filter/sort behind the results table: right rows, right order, fast."""

from __future__ import annotations

import time

from tui.schema import Face, Row
from tui.synthetic import synthetic_rows
from tui.view import FILTERS, SORTS, ViewSpec, next_in, visible_indices


def _rows() -> list[Row]:
    return [
        Row(
            "https://a.example/1.jpg",
            status="pass",
            reason="ok",
            elapsed_ms=50,
            width=10,
            height=10,
        ),
        Row("https://a.example/2.jpg", status="fail", reason="no_face", elapsed_ms=500, faces=[]),
        Row("bad url", status="invalid", reason="invalid_url"),
        Row("https://b.example/4.jpg", status="error", reason="network", elapsed_ms=900),
        Row("https://b.example/5.jpg", status="pending"),
        Row(
            "https://b.example/6.jpg",
            status="fail",
            reason="side_face",
            override="pass",
            faces=[Face((1, 2, 3, 4), 0.9), Face((1, 2, 3, 4), 0.8)],
            width=100,
            height=200,
        ),
    ]


def test_identity_is_every_row_in_order() -> None:
    assert visible_indices(_rows(), ViewSpec()) == [0, 1, 2, 3, 4, 5]


def test_filters_by_checked_status_and_fail_includes_invalid() -> None:
    rows = _rows()
    got = {f: visible_indices(rows, ViewSpec(filter=f)) for f in FILTERS}
    assert got == {
        "all": [0, 1, 2, 3, 4, 5],
        "fail": [1, 2, 5],  # the accepted fail stays in Fail (marked), so it does not jump away
        "error": [3],
        "pass": [0],
        "pending": [4],
        "overridden": [5],
    }


def test_text_filter_matches_url_or_reason_case_insensitively() -> None:
    rows = _rows()
    assert visible_indices(rows, ViewSpec(text="B.EXAMPLE")) == [3, 4, 5]
    assert visible_indices(rows, ViewSpec(text="face")) == [1, 5]
    assert visible_indices(rows, ViewSpec(filter="fail", text="side")) == [5]


def test_sorts_are_stable_and_worst_or_biggest_first() -> None:
    rows = _rows()
    assert visible_indices(rows, ViewSpec(sort="status")) == [1, 5, 2, 3, 4, 0]
    assert visible_indices(rows, ViewSpec(sort="reason")) == [4, 2, 3, 1, 0, 5]
    assert visible_indices(rows, ViewSpec(sort="faces")) == [0, 2, 3, 4, 1, 5]
    assert visible_indices(rows, ViewSpec(sort="ms")) == [3, 1, 0, 2, 4, 5]
    assert visible_indices(rows, ViewSpec(sort="size")) == [5, 0, 1, 2, 3, 4]


def test_cycles_wrap_around() -> None:
    assert next_in(FILTERS, "overridden") == "all"
    assert next_in(SORTS, "input") == "status"
    assert next_in(SORTS, SORTS[-1]) == "input"


def test_filter_and_sort_100k_rows_under_a_tenth_of_a_second() -> None:
    rows = synthetic_rows(100_000)
    for spec in (ViewSpec(filter="fail"), ViewSpec(sort="status"), ViewSpec(text="000123")):
        best = min(_timed(rows, spec) for _ in range(3))
        assert best < 0.1, (spec, best)


def _timed(rows: list[Row], spec: ViewSpec) -> float:
    started = time.perf_counter()
    visible_indices(rows, spec)
    return time.perf_counter() - started
