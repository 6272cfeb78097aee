"""The status bar: list, backend, counts by status, speed, ETA, billed images, view."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import Static

from ..store import ResultStore
from ..textsafe import plain
from .results_table import COLOURS, SYMBOLS


class Speedometer:
    """Images per second over the last few seconds, from (time, done) samples."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def sample(self, done: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()

    def reset(self) -> None:
        self.samples.clear()

    @property
    def rate(self) -> float:
        if len(self.samples) < 2:
            return 0.0
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0


def format_eta(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class StatusBar(Static):
    """Two lines of plain text built from the store; never markup from outside."""

    def show(
        self,
        store: ResultStore,
        *,
        list_name: str,
        backend: str,
        state: str,
        rate: float | None,
        view: str,
    ) -> None:
        """Redraw from the store; `rate` None hides speed and ETA (tests, snapshots)."""
        top = Text()
        top.append(plain(list_name), style="bold")
        top.append(f"  backend {plain(backend)}  ")
        top.append(state, style="bold" if state != "done" else "")
        if rate is not None and state == "checking":
            pending = store.counts["pending"]
            eta = format_eta(pending / rate) if rate > 0 and pending else "-"
            top.append(f"  {rate:.1f} img/s  ETA {eta}")
        if store.billed:
            top.append(f"  billed {store.billed} images")
        counts = Text()
        counts.append(f"{store.done}/{len(store)} done  ")
        for status in ("pass", "fail", "error", "invalid", "pending"):
            counts.append(f"{SYMBOLS[status]} {status} {store.counts[status]}", COLOURS[status])
            counts.append("  ")
        counts.append(f"overridden {store.overridden}  ")
        counts.append(view, style="italic")
        self.update(Text("\n").join([top, counts]))
