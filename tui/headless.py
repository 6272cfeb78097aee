"""`portrait-review check`: the engine with a progress line on stderr and a summary."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .engine.backend import Backend
from .engine.engine import CheckEngine, EngineSettings, RunReport
from .exports import export, export_to_stream
from .schema import STATUSES, Verdict
from .store import ResultStore
from .textsafe import plain
from .urllist import UrlList


@dataclass
class CheckOutputs:
    jsonl: Path | None = None
    csv: Path | None = None
    passing: Path | None = None


class Progress:
    """One progress line on stderr: redrawn in place on a terminal, every 5 s in a log."""

    def __init__(self, store: ResultStore, stream: TextIO, total: int) -> None:
        self.store = store
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.start_done = store.done
        self.last = 0.0

    def line(self) -> str:
        done = self.store.done
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (done - self.start_done) / elapsed
        left = self.total - done
        eta = f"{left / rate:.0f}s" if rate > 0 and left else "-"
        counts = self.store.counts
        parts = " ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])
        width = 24
        filled = int(width * done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        billed = f" billed {self.store.billed}" if self.store.billed else ""
        return f"[{bar}] {done}/{self.total} {parts} | {rate:.1f}/s ETA {eta}{billed}"

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        interval = 0.2 if self.tty else 5.0
        if not force and now - self.last < interval:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.tick(force=True)
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()


def summary(store: ResultStore, urllist: UrlList, report: RunReport | None) -> str:
    counts = store.counts
    reasons: dict[str, int] = {}
    for row in store.rows:
        if row.status in ("fail", "error", "invalid"):
            reasons[row.reason] = reasons.get(row.reason, 0) + 1
    lines = [
        f"{urllist.name}: {urllist.lines} lines, {len(store)} unique URLs",
        "",
        f"  {'status':<10}{'rows':>8}",
    ]
    for status in STATUSES:
        if counts[status]:
            lines.append(f"  {status:<10}{counts[status]:>8}")
    if reasons:
        lines += ["", f"  {'reason':<20}{'rows':>8}"]
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {reason:<20}{n:>8}")
    if store.billed:
        lines += ["", f"  billed images: {store.billed}"]
    if report is not None and report.stopped:
        lines += ["", f"stopped: {plain(report.stopped)}"]
    return "\n".join(lines)


async def run_check(
    store: ResultStore,
    backend: Backend,
    settings: EngineSettings,
    stream: TextIO = sys.stderr,
    flush_every: float = 1.0,
) -> RunReport:
    """Check every pending row of `store`, showing progress; commit to its journal often."""
    progress = Progress(store, stream, len(store))
    last_flush = time.monotonic()

    def sink(index: int, verdict: Verdict) -> None:
        nonlocal last_flush
        store.apply(index, verdict)
        progress.tick()
        now = time.monotonic()
        if now - last_flush >= flush_every:
            store.flush()
            last_flush = now

    async with CheckEngine(backend, settings) as engine:
        try:
            report = await engine.run(store.jobs(), sink)
        finally:
            store.flush()
            progress.close()
    return report


def write_outputs(store: ResultStore, outputs: CheckOutputs, stream: TextIO) -> None:
    for kind, path in (
        ("jsonl", outputs.jsonl),
        ("csv", outputs.csv),
        ("passing", outputs.passing),
    ):
        if path is None:
            continue
        what = "URLs" if kind == "passing" else "rows"
        if str(path) == "-":  # stdout, for a pipe: `check urls.txt --passing - | ...`
            count = export_to_stream(store.rows, kind, sys.stdout)  # type: ignore[arg-type]
            stream.write(f"wrote {count} {what} to stdout\n")
            continue
        count = export(store.rows, kind, path)  # type: ignore[arg-type]
        stream.write(f"wrote {count} {what} to {path}\n")


def check_main(
    urllist: UrlList,
    store: ResultStore,
    backend: Backend,
    settings: EngineSettings,
    outputs: CheckOutputs,
    stream: TextIO = sys.stderr,
) -> int:
    """Run, write outputs, print the summary. The exit code: 0 done, 3 stopped, 130 Ctrl-C."""
    report: RunReport | None = None
    code = 0
    try:
        report = asyncio.run(run_check(store, backend, settings, stream))
    except KeyboardInterrupt:
        code = 130
        stream.write("\ninterrupted: finished rows are kept; run the same command to resume\n")
    if report is not None and report.stopped:
        code = 3
    write_outputs(store, outputs, stream)
    stream.write(summary(store, urllist, report) + "\n")
    return code
