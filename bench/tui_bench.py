"""How the review TUI copes with 100,000 rows, headless, against Textual's stock DataTable.

Run: .venv/bin/python bench/tui_bench.py [--rows 100000] [--datatable-rows 100000]

Measures (headless `run_test`, 160x48): time to show all rows; to filter (f), to sort (s)
and to jump to the last row (G), each as the action plus rendering the table's lines; the worst event-loop stall while results stream in at
500/s; peak RSS; then the same first frame with `textual.widgets.DataTable`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.app import ReviewApp
from tui.schema import Verdict
from tui.synthetic import synthetic_rows, synthetic_store
from tui.widgets.results_table import row_cells

SIZE = (160, 48)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed_keys(pilot: object, *keys: str) -> float:
    started = time.perf_counter()
    await pilot.press(*keys)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def timed_work(app: ReviewApp, action: Callable[[], object]) -> float:
    """One action plus rendering every line of the table it changed (what a key costs)."""
    started = time.perf_counter()
    action()
    for y in range(app.table.size.height):
        app.table.render_line(y)
    return time.perf_counter() - started


async def bench_review(rows: int) -> dict[str, float]:
    urllist, store = synthetic_store(rows)
    app = ReviewApp(urllist, store, image_protocol="none", show_rate=False)
    results: dict[str, float] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        results["show"] = time.perf_counter() - started
        results["filter"] = timed_work(app, app.action_cycle_filter)
        results["sort"] = timed_work(app, app.action_cycle_sort)
        results["last"] = timed_work(app, app.table.action_cursor_last)
        app.action_clear_filter()
        results["key_noop"] = await timed_keys(pilot, "j")
        results["key_filter"] = await timed_keys(pilot, "f")
        app.action_clear_filter()
        results["stall"] = await stream_results(app, pilot)
    return results


async def stream_results(app: ReviewApp, pilot: object, rate: int = 500) -> float:
    """Feed `rate` verdicts/s through the sink for 3 s; the worst 10 ms timer delay."""
    pending = app.store.indices("pending") or list(range(len(app.store)))
    stop = asyncio.Event()

    async def feed() -> None:
        for start in range(0, min(len(pending), rate * 3), rate // 10):
            for index in pending[start : start + rate // 10]:
                app.sink(index, Verdict("pass", "ok", elapsed_ms=100))
            await asyncio.sleep(0.1)
        stop.set()

    worst = 0.0
    feeder = asyncio.create_task(feed())
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - before - 0.01)
    await feeder
    await pilot.pause()  # type: ignore[attr-defined]
    return worst


class StockTable(App[None]):
    """The same rows in Textual's DataTable, for comparison."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = synthetic_rows(rows)

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("status", "url", "reason", "size", "fmt", "faces", "ms")
        table.add_rows(row_cells(row, 60) for row in self.rows)


async def bench_datatable(rows: int) -> float:
    app = StockTable(rows)
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--datatable-rows", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"command: .venv/bin/python bench/tui_bench.py --rows {args.rows} "
        f"--datatable-rows {args.datatable_rows}"
    )
    ours = asyncio.run(bench_review(args.rows))
    rss = peak_rss_mb()
    print(f"ResultsTable, {args.rows:,} rows:")
    print(f"  first frame with all rows  {ours['show']:.3f} s   (target < 0.5 s)")
    print(f"  filter (f)                 {ours['filter']:.3f} s   (target < 0.1 s)")
    print(f"  sort (s)                   {ours['sort']:.3f} s   (target < 0.1 s)")
    print(f"  jump to last row (G)       {ours['last']:.3f} s")
    print(
        f"  pilot round trip: key j {ours['key_noop']:.3f} s, key f {ours['key_filter']:.3f} s"
        " (includes the pilot's own wait for idle)"
    )
    print(f"  worst loop stall at 500/s  {ours['stall'] * 1000:.0f} ms")
    print(f"  peak RSS                   {rss:.0f} MB   (target < 300 MB)")
    stock = asyncio.run(bench_datatable(args.datatable_rows))
    print(f"DataTable, {args.datatable_rows:,} rows: first frame {stock:.3f} s")
    if args.datatable_rows == args.rows:
        print(f"  ratio DataTable / ResultsTable: {stock / ours['show']:.0f}x")
    else:
        scaled = stock * args.rows / args.datatable_rows
        print(
            f"  ratio (DataTable scaled linearly to {args.rows:,} rows): "
            f"{scaled / ours['show']:.0f}x"
        )


if __name__ == "__main__":
    main()
