"""Score the offline checker against the field set's labels, and time it.

    .venv/bin/python bench/fieldset.py [FIELDSET_DIR] [--workers N] [--megapixels MP]

`--megapixels 1` re-encodes every photo as a JPEG of about that many megapixels first
(the speed target's unit); labels still apply, the rules-breaking photos keep their shape.

The photos are served over loopback by `ImageHost`. Agreement comes from the real
`portrait-review check LIST --jsonl OUT` run against those URLs; the per-photo times come
from `analyze` timed inside a worker process (the engine's own CPU step).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.checker.local import analyze, init_worker
from tui.imagehost import ImageHost
from tui.schema import Row, Verdict

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "fieldset"
ANIMAL_WORDS = ("dog", "cat", "monkey", "alpaca", "animal", "mask, no person")


def timed_analyze(data: bytes) -> tuple[Verdict, float]:
    """`analyze` with its wall time in ms (measured inside the worker)."""
    start = time.perf_counter()
    verdict = analyze(data)
    return verdict, (time.perf_counter() - start) * 1000


def timed_decode(data: bytes) -> float:
    """Pillow's bare full decode in ms: the yardstick for the checker's cost."""
    start = time.perf_counter()
    Image.open(io.BytesIO(data)).convert("RGB")
    return (time.perf_counter() - start) * 1000


def resized(data: bytes, megapixels: float) -> bytes:
    """The photo re-encoded as a JPEG (quality 90) of about `megapixels` million pixels."""
    image = Image.open(io.BytesIO(data))
    image = ImageOps.exif_transpose(image).convert("RGB")
    scale = math.sqrt(megapixels * 1e6 / (image.width * image.height))
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def check_many(urls: list[str], workers: int) -> list[tuple[Verdict, float]]:
    """Download each URL and analyse it in a process pool (the engine's job, later)."""
    bodies = [urllib.request.urlopen(url, timeout=30).read() for url in urls]
    with ProcessPoolExecutor(workers, initializer=init_worker) as pool:
        list(pool.map(timed_analyze, bodies[:workers]))  # warm up: model load
        return list(pool.map(timed_analyze, bodies))


def check_cli(urls: list[str]) -> list[Verdict]:
    """Verdicts of the real `portrait-review check` over the served URLs, in list order."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "fieldset.txt"
        listing.write_text("\n".join(urls) + "\n")
        out = Path(tmp) / "out.jsonl"
        env = dict(os.environ, PORTRAIT_REVIEW_DATA_DIR=str(Path(tmp) / "data"))
        subprocess.run(
            [sys.executable, "-m", "tui", "check", str(listing), "--no-cache", "--jsonl", str(out)],
            check=True,
            env=env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        rows = {r["url"]: Row.from_json(r) for r in map(json.loads, out.read_text().splitlines())}
    return [Verdict(rows[u].status, rows[u].reason, rows[u].message) for u in urls]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fieldset", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--megapixels", type=float, default=None)
    args = parser.parse_args()
    rows = list(csv.DictReader((args.fieldset / "labels.csv").open()))
    bodies = [(args.fieldset / "images" / r["file"]).read_bytes() for r in rows]
    if args.megapixels:
        bodies = [resized(b, args.megapixels) for b in bodies]
    with ImageHost() as host:
        urls = [host.add("/" + r["file"], body) for r, body in zip(rows, bodies, strict=True)]
        timed = check_many(urls, args.workers)
        verdicts = check_cli(urls)
    results = [(v, ms) for v, (_, ms) in zip(verdicts, timed, strict=True)]
    print(f"command: .venv/bin/python {' '.join(sys.argv)}")
    print("agreement from `portrait-review check` over loopback; times from analyze in a worker")
    report(rows, results, [timed_decode(b) for b in bodies])
    return 0


def report(rows: list[dict], results: list[tuple[Verdict, float]], decode_ms: list[float]) -> None:
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    animals_passed = []
    for row, (verdict, _) in zip(rows, results, strict=True):
        certainty = row["certainty"]
        total[certainty] += 1
        same = verdict.status == row["expected"]
        agree[certainty] += same
        agree[certainty + "+reason"] += same and verdict.reason == row["reason"]
        reasons[(row["reason"], verdict.reason)] += 1
        if not same or verdict.reason != row["reason"]:
            mark = "STATUS" if not same else "reason"
            wrong.append(
                f"  {mark:6} {row['file']:32} want {row['expected']}/{row['reason']:14} "
                f"got {verdict.status}/{verdict.reason}: {verdict.message}"
            )
        if row["reason"] == "no_face" and verdict.status == "pass":
            animals_passed.append(row["file"])
    for certainty in ("sure", "judged"):
        n = total[certainty]
        print(
            f"{certainty:6}: {agree[certainty]}/{n} = {100 * agree[certainty] / n:.1f}% pass/fail,"
            f" {agree[certainty + '+reason']}/{n} with the same reason"
        )
    print("confusion (expected -> got):")
    for (want, got), n in sorted(reasons.items()):
        print(f"  {want:14} -> {got:14} {n}")
    print("disagreements:")
    print("\n".join(wrong) or "  none")
    print(f"no animal or object ever passes: {animals_passed or 'yes'}")
    ms = sorted(t for _, t in results)
    dec = sorted(decode_ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(
        f"ms per photo (in worker, decode included): median {statistics.median(ms):.1f},"
        f" p95 {p95:.1f}, mean {statistics.mean(ms):.1f} ({1000 / statistics.mean(ms):.0f}"
        f" photos/s per worker); Pillow bare full decode median {statistics.median(dec):.1f};"
        f" ratio {statistics.median(ms) / statistics.median(dec):.1f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
