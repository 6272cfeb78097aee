"""httpx's own connection pool (httpcore) against the httpx-aiohttp transport, raw client
requests per second on loopback at 8, 32 and 128 in flight (encode/httpx#3215).

    .venv/bin/pip install httpx-aiohttp && .venv/bin/python bench/transports.py

httpcore's pool slows as more requests are in flight (1,412 req/s at 8, 489 at 32, 333 at
128 on 2 cores) where aiohttp's holds about 2,200. The engine still keeps httpcore: at its
default concurrency (16) a request costs the pool about 1 ms of CPU while decoding and
detection cost 20-40 ms, so the pool is not the bottleneck (bench/throughput.py: within
1.12x of the bound); and httpx-aiohttp 0.2.0 sent a chunked-body terminator after a
redirected GET (the server read it as a bad next request) and let aiohttp's
ClientResponseError escape unmapped, which our hostile-server tests caught at once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time

import httpx
from _common import command_line
from PIL import Image

from tui.imagehost import ImageHost


async def rate(urls: list[str], transport: str, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency)
    options: dict[str, object] = {"limits": limits}
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        options = {"transport": AiohttpTransport(limits=limits)}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    async with httpx.AsyncClient(**options) as client:  # type: ignore[arg-type]

        async def worker() -> None:
            while not queue.empty():
                response = await client.get(queue.get_nowait())
                assert response.status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(urls) / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    try:
        import httpx_aiohttp  # noqa: F401

        transports = ["httpcore", "aiohttp"]
    except ImportError:
        transports = ["httpcore"]
        print("httpx-aiohttp is not installed: measuring httpcore only")
    buffer = io.BytesIO()
    Image.new("RGB", (96, 128), (140, 100, 80)).save(buffer, "JPEG")
    with ImageHost() as host:
        urls = [host.add(f"/t/{i}.jpg", buffer.getvalue()) for i in range(args.n)]
        print(f"command: {command_line()}")
        for concurrency in (8, 32, 128):
            rates = {t: await rate(urls, t, concurrency) for t in transports}
            line = "  ".join(f"{t} {r:6.0f} req/s" for t, r in rates.items())
            ratio = (
                f"  aiohttp/httpcore {rates['aiohttp'] / rates['httpcore']:.1f}x"
                if len(rates) > 1
                else ""
            )
            print(f"concurrency {concurrency:>3}: {line}{ratio}")


if __name__ == "__main__":
    asyncio.run(main())
