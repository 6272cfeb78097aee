"""A shared request pacer: at most `rate` starts per second, no bursts, adjustable live."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Spaces request starts `1/rate` seconds apart; `rate=None` lets everything through."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate if rate and rate > 0 else None
        self._next = 0.0
        self._lock = asyncio.Lock()

    def set_rate(self, rate: float | None) -> None:
        self.rate = rate if rate and rate > 0 else None

    def hold(self, seconds: float) -> None:
        """Nobody starts for `seconds` (a server asked us to back off)."""
        self._next = max(self._next, time.monotonic() + seconds)

    async def acquire(self) -> None:
        if self.rate is None and self._next <= time.monotonic():
            return
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            if wait > 0:
                await asyncio.sleep(wait)
                now = time.monotonic()
            interval = 1.0 / self.rate if self.rate else 0.0
            self._next = max(self._next, now) + interval
