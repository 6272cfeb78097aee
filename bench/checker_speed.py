"""Embedded checker speed per core at 0.3, 1, 4 and 16 megapixels, against Pillow's bare
decode of the same files (the floor: no checker can be faster than reading the pixels).

Each size is timed in one worker process with one thread (`init_worker`), so the numbers
are per core. 16 MP is a 4000x4000 square: a 4:3 16 MP photo breaks the 4096 px rule.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from _common import command_line, sample_portrait
from PIL import Image

from tui.checker.local import analyze, init_worker


def timings(fn: Callable[[bytes], object], data: bytes, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(data)
        out.append((time.perf_counter() - started) * 1000)
    return out


def bare_decode(data: bytes) -> None:
    Image.open(io.BytesIO(data)).convert("RGB")


def photo(megapixels: float) -> bytes:
    image = sample_portrait()
    if megapixels >= 16:
        side = 4000
        canvas = Image.new("RGB", (side, side), (235, 235, 230))
        face = image.resize((side * image.width // image.height, side))
        canvas.paste(face, ((side - face.width) // 2, 0))
        image = canvas
    else:
        scale = (megapixels * 1e6 / (image.width * image.height)) ** 0.5
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    init_worker()  # this process is the worker: one thread, model loaded once
    print(f"command: {command_line()}")
    print(
        f"{'size':>7} {'checker median':>15} {'p95':>7} {'photos/s/core':>14} {'decode median':>14} {'ratio':>6}  verdict"
    )
    for mp in (0.3, 1, 4, 16):
        data = photo(mp)
        verdict = analyze(data)
        ms = sorted(timings(analyze, data, args.repeat))
        floor = statistics.median(timings(bare_decode, data, args.repeat))
        med = statistics.median(ms)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(
            f"{mp:>5g}MP {med:>12.1f} ms {p95:>5.1f} {1000 / statistics.mean(ms):>14.1f} "
            f"{floor:>11.1f} ms {med / floor:>6.2f}  {verdict.status}/{verdict.reason}"
        )


if __name__ == "__main__":
    main()
