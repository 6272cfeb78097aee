"""Throughput behind latency: is the engine bound by the network or the CPU, never by itself?

A loopback image host adds LATENCY to every image. The run must finish within 1.25x of
the larger of its CPU-bound time (the same run with no latency) and the network bound
(n / concurrency x latency). Also printed: the ratio to a sequential client.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import command_line, jpeg_at

from tui.engine.backend import Backend, RulesBackend
from tui.engine.engine import CheckEngine, EngineSettings
from tui.imagehost import ImageHost


def make_backend(name: str) -> Backend:
    if name == "local":
        from tui.checker.local import LocalBackend

        return LocalBackend()
    return RulesBackend()


async def timed_run(host: ImageHost, n: int, concurrency: int, delay: float, backend: str) -> float:
    data = jpeg_at(1.0)
    urls = [host.add(f"/{delay}/{i}.jpg", data, delay=delay) for i in range(n)]
    statuses: list[str] = []
    async with CheckEngine(
        make_backend(backend), EngineSettings(concurrency=concurrency)
    ) as engine:
        await engine.analyze(data)  # start the worker processes outside the timing
        started = time.perf_counter()
        await engine.run(list(enumerate(urls)), lambda _i, v: statuses.append(v.status))
        elapsed = time.perf_counter() - started
    assert len(statuses) == n and set(statuses) <= {"pass", "fail"}, set(statuses)
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=240)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--backend", choices=("local", "rules"), default="local")
    args = parser.parse_args()
    with ImageHost() as host:
        cpu = await timed_run(host, args.n, args.concurrency, 0.0, args.backend)
        latent = await timed_run(host, args.n, args.concurrency, args.latency, args.backend)
        seq_n = max(8, args.n // 10)
        seq = await timed_run(host, seq_n, 1, args.latency, args.backend) * args.n / seq_n
    network = args.n / args.concurrency * args.latency
    bound = max(cpu, network)
    print(f"command: {command_line()}")
    print(
        f"{args.n} images of 1 MP, concurrency {args.concurrency}, +{args.latency * 1000:.0f} ms each, backend {args.backend}"
    )
    print(f"cpu-bound time (no latency)     {cpu:7.2f} s  ({args.n / cpu:.1f} images/s)")
    print(f"network bound (n/c x latency)   {network:7.2f} s")
    print(f"run with latency                {latent:7.2f} s  ({args.n / latent:.1f} images/s)")
    print(f"ratio to max(cpu, network)      {latent / bound:7.2f}  (goal <= 1.25)")
    print(
        f"sequential client (extrapolated from {seq_n}) {seq:7.2f} s; speed-up {seq / latent:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
