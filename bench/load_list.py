"""How fast a 100,000-line list loads (goal: well under a second), against a bare baseline."""

from __future__ import annotations

import argparse
import time

from _common import command_line

from tui.urllist import parse_list


def make_list(n: int, garbage_every: int) -> bytes:
    lines = []
    for i in range(n):
        if garbage_every and i % garbage_every == 0:
            lines.append(f"not a url {i}")
        else:
            lines.append(f"https://images.example.com/portraits/{i:06d}.jpg?sig=abc{i}")
    return "\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--garbage-every", type=int, default=10)
    args = parser.parse_args()
    data = make_list(args.n, args.garbage_every)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        urls = parse_list(data, "bench.txt")
        best = min(best, time.perf_counter() - started)
    baseline = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        _ = [line.strip() for line in data.decode().splitlines()]
        baseline = min(baseline, time.perf_counter() - started)
    print(f"command: {command_line()}")
    print(f"{args.n} lines ({urls.invalid} invalid), {len(urls.rows)} rows")
    print(f"load + validate: {best * 1000:.0f} ms (best of 5); goal < 1000 ms")
    print(
        f"baseline (decode + split + strip only): {baseline * 1000:.0f} ms; ratio {best / baseline:.1f}x"
    )


if __name__ == "__main__":
    main()
