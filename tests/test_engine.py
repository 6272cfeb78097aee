"""The engine against a real HTTP server on loopback serving real image bytes."""

from __future__ import annotations

import asyncio
import io
import os
import time

from PIL import Image

from tui.engine.backend import Backend, RulesBackend, StopRun
from tui.engine.engine import CheckEngine, EngineSettings
from tui.imagehost import ImageHost
from tui.schema import Verdict


def jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (150, 110, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


async def check_all(
    urls: list[str], settings: EngineSettings | None = None, backend: Backend | None = None
) -> dict[int, Verdict]:
    results: dict[int, Verdict] = {}
    async with CheckEngine(backend or RulesBackend(), settings or EngineSettings()) as engine:
        await engine.run(list(enumerate(urls)), results.__setitem__)
    return results


async def test_each_status_and_reason(image_host: ImageHost) -> None:
    good = image_host.add("/ok.jpg", jpeg())
    urls = [
        good,
        image_host.add("/wide.jpg", jpeg((1000, 400))),
        image_host.add("/huge.png", _png((4097, 3000))),
        image_host.add("/anim.gif", _gif()),
        image_host.add(
            "/page.jpg", b"<!doctype html><html><body>hi</body></html>", content_type="image/jpeg"
        ),
        image_host.add("/trunc.jpg", jpeg()[:300]),
        image_host.url("/missing.jpg"),
        image_host.add("/gone.jpg", b"gone", status=410),
        image_host.add("/busy.jpg", b"busy", status=503),
        "http://127.0.0.1:9/refused.jpg",
        image_host.add("/redirect.jpg", redirect_to="/ok.jpg"),
        "ftp://example.test/a.jpg",
    ]
    got = await check_all(urls, EngineSettings(timeout=5))
    reasons = [(got[i].status, got[i].reason) for i in range(len(urls))]
    assert reasons == [
        ("pass", "ok"),
        ("fail", "aspect_ratio"),
        ("fail", "image_too_large"),
        ("fail", "unsupported_format"),
        ("fail", "unsupported_format"),
        ("fail", "corrupt_image"),
        ("fail", "download_failed"),
        ("fail", "download_failed"),
        ("error", "network"),
        ("error", "network"),
        ("pass", "ok"),
        ("invalid", "invalid_url"),
    ]
    assert "404" in got[6].message and "410" in got[7].message and "503" in got[8].message
    assert got[9].message == "connection refused by the image host"
    assert got[0].backend == "rules" and got[0].elapsed_ms is not None
    assert got[0].checked_at is not None and got[0].bytes == len(jpeg())


async def test_size_limit_stops_reading_endless_and_lying_bodies(image_host: ImageHost) -> None:
    endless = image_host.add("/endless.jpg", endless=True)
    big = image_host.add("/big.jpg", b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10))
    lying = image_host.add("/lying.jpg", jpeg(), content_length=10_000_000)
    huge_header = image_host.add("/header.jpg", jpeg(), content_length=50 * 1024 * 1024)
    started = time.monotonic()
    got = await check_all([endless, big, lying, huge_header], EngineSettings(timeout=10))
    assert time.monotonic() - started < 8
    assert (got[0].reason, got[0].bytes) == ("file_too_large", 10 * 1024 * 1024)
    assert got[1].reason == "file_too_large"
    assert got[2].status == "error" and got[2].reason == "network"
    assert got[3].reason == "file_too_large" and "Content-Length" in got[3].message


async def test_stalls_time_out_and_redirect_loops_stop(image_host: ImageHost) -> None:
    stall = image_host.add("/stall.jpg", jpeg(), stall_after_headers=5)
    slow = image_host.add("/slow.jpg", jpeg(), delay=5)
    loop = image_host.add("/loop.jpg", redirect_to="/loop.jpg")
    for i in range(20):
        image_host.add(f"/r{i}", redirect_to=f"/r{i + 1}")
    image_host.add("/r20", jpeg())
    got = await check_all([stall, slow, loop, image_host.url("/r0")], EngineSettings(timeout=1))
    assert (got[0].status, got[0].reason) == ("error", "timeout")
    assert (got[1].status, got[1].reason) == ("error", "timeout")
    assert (got[2].status, got[2].reason) == ("fail", "download_failed")
    assert "redirects" in got[3].message
    assert image_host.hits["/loop.jpg"] == 6  # the first request and 5 redirects


async def test_concurrency_is_bounded_by_a_fixed_worker_pool(image_host: ImageHost) -> None:
    data = jpeg((320, 240))
    urls = [image_host.add(f"/p{i}.jpg", data, delay=0.05) for i in range(40)]
    got = await check_all(urls, EngineSettings(concurrency=4))
    assert len(got) == 40 and all(v.status == "pass" for v in got.values())
    assert image_host.max_active <= 4
    assert image_host.max_active >= 2


async def test_rate_limit_spaces_requests(image_host: ImageHost) -> None:
    data = jpeg((320, 240))
    urls = [image_host.add(f"/r{i}.jpg", data) for i in range(6)]
    started = time.monotonic()
    await check_all(urls, EngineSettings(concurrency=6, rate=10))
    assert time.monotonic() - started >= 0.45


async def test_pause_holds_and_resume_finishes(image_host: ImageHost) -> None:
    data = jpeg((320, 240))
    urls = [image_host.add(f"/q{i}.jpg", data) for i in range(5)]
    results: dict[int, Verdict] = {}
    async with CheckEngine(RulesBackend(), EngineSettings(concurrency=2)) as engine:
        engine.pause()
        task = asyncio.create_task(engine.run(list(enumerate(urls)), results.__setitem__))
        await asyncio.sleep(0.3)
        assert results == {} and sum(image_host.hits.values()) == 0
        engine.resume()
        report = await task
    assert report.finished == 5 and len(results) == 5


async def test_cancel_leaves_the_rest_unreported(image_host: ImageHost) -> None:
    urls = [image_host.add(f"/c{i}.jpg", jpeg((320, 240)), delay=0.2) for i in range(20)]
    results: dict[int, Verdict] = {}
    async with CheckEngine(RulesBackend(), EngineSettings(concurrency=2)) as engine:
        task = asyncio.create_task(engine.run(list(enumerate(urls)), results.__setitem__))
        await asyncio.sleep(0.5)
        engine.cancel()
        report = await task
    assert report.cancelled
    assert 0 < len(results) < 20


class _StopAfterTwo(Backend):
    name = "stopper"

    def __init__(self) -> None:
        self.calls = 0

    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        self.calls += 1
        if self.calls > 2:
            raise StopRun("the API key was rejected")
        return Verdict("pass", "ok")


async def test_a_backend_can_stop_the_run_leaving_rows_unchecked() -> None:
    backend = _StopAfterTwo()
    urls = [f"http://127.0.0.1:9/{i}.jpg" for i in range(50)]
    results: dict[int, Verdict] = {}
    async with CheckEngine(backend, EngineSettings(concurrency=1)) as engine:
        report = await engine.run(list(enumerate(urls)), results.__setitem__)
    assert report.stopped == "the API key was rejected"
    assert len(results) == 2 and backend.calls == 3


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 0).save(buffer, "PNG")
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "GIF")
    return buffer.getvalue()


def crash_on_marker(data: bytes) -> Verdict:
    """A CPU step that kills its worker process on a marked file (a decoder segfault)."""
    if data.startswith(b"CRASH"):
        os._exit(1)
    from tui.engine.rules import check_rules

    return check_rules(data)


class _CrashyBackend(RulesBackend):
    name = "crashy"

    def __init__(self) -> None:
        self.analyze = crash_on_marker


async def test_a_worker_process_crash_costs_one_row_not_the_run(image_host: ImageHost) -> None:
    urls = [image_host.add(f"/k{i}.jpg", jpeg((320, 240))) for i in range(6)]
    urls.insert(3, image_host.add("/crash.jpg", b"CRASH" + jpeg()))
    got = await check_all(urls, EngineSettings(concurrency=2, processes=1), _CrashyBackend())
    assert (got[3].status, got[3].reason) == ("error", "corrupt_image")
    assert "crashed the checker process" in got[3].message
    assert [got[i].status for i in range(7) if i != 3] == ["pass"] * 6
