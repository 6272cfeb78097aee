"""The one async check engine behind the TUI, `check` and `serve`.

A fixed pool of worker tasks takes URLs from a bounded queue, downloads each through one
shared httpx client, runs the CPU step (rules, decoding, detection) in a process pool,
and hands every verdict to a sink. It never imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context

import httpx

from .. import __version__
from ..schema import Verdict
from ..urllist import validate_url
from .backend import Backend, StopRun
from .fetch import fetch_image
from .ratelimit import RateLimiter

Sink = Callable[[int, Verdict], None]


@dataclass
class EngineSettings:
    """How hard the engine works; every front end builds one from flags and config."""

    concurrency: int = 16
    rate: float | None = None  # requests per second, None for no limit
    timeout: float = 30.0  # whole download of one image
    connect_timeout: float = 10.0
    max_redirects: int = 5
    processes: int | None = None  # CPU worker processes; None: one per core
    user_agent: str = f"portrait-review/{__version__}"


@dataclass
class RunReport:
    """How a run ended."""

    finished: int = 0
    stopped: str | None = None  # why the backend stopped the run (never a secret)
    cancelled: bool = False
    counts: Counter[str] = field(default_factory=Counter)


class CheckEngine:
    """`async with CheckEngine(backend, settings) as engine: await engine.run(jobs, sink)`."""

    def __init__(self, backend: Backend, settings: EngineSettings | None = None) -> None:
        self.backend = backend
        self.settings = settings or EngineSettings()
        self.limiter = RateLimiter(self.settings.rate)
        self.client: httpx.AsyncClient | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._stop = False
        self.in_flight = 0
        self._workers: list[asyncio.Task[None]] = []
        self.started_at: float | None = None
        self.finished = 0

    async def __aenter__(self) -> CheckEngine:
        s = self.settings
        limits = httpx.Limits(
            max_connections=max(s.concurrency * 2, 10),
            max_keepalive_connections=max(s.concurrency, 10),
        )
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            limits=limits,
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "identity"},
            trust_env=True,
        )
        self.backend.attach(self.limiter)
        await self.backend.open(self.client)
        if self.backend.analyze is not None:
            self.warm_up()
        return self

    def warm_up(self) -> None:
        """Start every worker process now (and load the model) while the first downloads run,
        rather than on the first image."""
        executor = self._ensure_executor()
        for _ in range(self.process_count):
            executor.submit(os.getpid)

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.backend.close()
        if self.client is not None:
            await self.client.aclose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- control, from any front end ------------------------------------------------
    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        """Stop now: what is in flight is abandoned and stays pending."""
        self._stop = True
        self._running.set()
        for task in self._workers:
            task.cancel()

    # -- running ----------------------------------------------------------------------
    async def run(self, jobs: Iterable[tuple[int, str]], sink: Sink) -> RunReport:
        """Check every (key, url) job; call `sink(key, verdict)` as each one finishes."""
        self._stop = False
        report = RunReport()
        self.started_at = time.monotonic()
        count = max(1, self.settings.concurrency)
        queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue(maxsize=count * 4)
        producer = asyncio.create_task(self._produce(jobs, queue, count))
        self._workers = [
            asyncio.create_task(self._worker(queue, sink, report)) for _ in range(count)
        ]
        try:
            results = await asyncio.gather(*self._workers, return_exceptions=True)
        finally:
            producer.cancel()
            for task in self._workers:
                task.cancel()
            await asyncio.gather(producer, *self._workers, return_exceptions=True)
            self._workers = []
        for result in results:
            if isinstance(result, Exception):
                raise result
        report.cancelled = self._stop and report.stopped is None
        return report

    async def _produce(
        self,
        jobs: Iterable[tuple[int, str]],
        queue: asyncio.Queue[tuple[int, str] | None],
        workers: int,
    ) -> None:
        for job in jobs:
            if self._stop:
                break
            await queue.put(job)
        for _ in range(workers):
            await queue.put(None)

    async def _worker(
        self, queue: asyncio.Queue[tuple[int, str] | None], sink: Sink, report: RunReport
    ) -> None:
        while True:
            job = await queue.get()
            if job is None or self._stop:
                return
            await self._running.wait()
            if self._stop:
                return
            key, url = job
            self.in_flight += 1
            try:
                verdict = await self.check_one(url)
            except StopRun as stop:
                report.stopped = report.stopped or stop.message
                self._stop = True
                return
            finally:
                self.in_flight -= 1
            self.finished += 1
            report.finished += 1
            report.counts[verdict.status] += 1
            sink(key, verdict)

    async def check_one(self, url: str) -> Verdict:
        """Check one URL end to end. Raises StopRun when the backend can go on no more."""
        assert self.client is not None, "use `async with CheckEngine(...)`"
        started = time.perf_counter()
        verdict = await self._check(url)
        if verdict.elapsed_ms is None:
            verdict.elapsed_ms = round((time.perf_counter() - started) * 1000)
        verdict.checked_at = time.time()
        if verdict.backend is None:
            verdict.backend = self.backend.name
        return verdict

    async def _check(self, url: str) -> Verdict:
        problem = validate_url(url)
        if problem is not None:
            return Verdict("invalid", "invalid_url", problem)
        local: Verdict | None = None
        if self.backend.analyze is not None:
            if not self.backend.paces_itself:
                await self.limiter.acquire()
            download = await fetch_image(self.client, url, self.settings.timeout)  # type: ignore[arg-type]
            if download.failure is not None:
                return download.failure
            assert download.data is not None
            local = await self.analyze(download.data)
            local.etag, local.last_modified = download.etag, download.last_modified
        return await self.backend.decide(url, local)

    async def analyze(self, data: bytes) -> Verdict:
        """Run the backend's CPU step in the process pool (started on first use)."""
        analyze = self.backend.analyze
        assert analyze is not None
        loop = asyncio.get_running_loop()
        executor = self._ensure_executor()
        try:
            return await loop.run_in_executor(executor, analyze, data)
        except BrokenProcessPool:
            # A worker died (a decoder crash) and took every image in the pool with it; the
            # next images get a fresh pool.
            if self._executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
        # Retry alone, in a process of its own: if this is the image that kills workers, it
        # takes nobody else down with it the second time.
        solo = self._new_executor(workers=1)
        try:
            return await loop.run_in_executor(solo, analyze, data)
        except BrokenProcessPool:
            return Verdict("error", "corrupt_image", "the image crashed the checker process twice")
        finally:
            solo.shutdown(wait=False)

    @property
    def process_count(self) -> int:
        return self.settings.processes or os.cpu_count() or 1

    def _ensure_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = self._new_executor(self.process_count)
        return self._executor

    def _new_executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=self.backend.process_initializer,
        )
