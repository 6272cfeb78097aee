"""Memory of a headless run over N URLs (goal: flat, < 300 MB RSS at 100,000).

Runs the real `portrait-review check` as a subprocess against a loopback image host and
samples its peak RSS (VmHWM) and that of its worker processes.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, command_line
from PIL import Image

from tui.imagehost import ImageHost


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    buffer = io.BytesIO()
    Image.new("RGB", (96, 128), (140, 100, 80)).save(buffer, "JPEG")
    data = buffer.getvalue()
    with ImageHost() as host, tempfile.TemporaryDirectory() as tmp:
        urls = [host.add(f"/m/{i}.jpg", data) for i in range(args.n)]
        listing = Path(tmp) / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        env = dict(os.environ, PORTRAIT_REVIEW_DATA_DIR=str(Path(tmp) / "data"))
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui",
                "check",
                str(listing),
                "--backend",
                args.backend,
                "--concurrency",
                str(args.concurrency),
                "--jsonl",
                str(Path(tmp) / "out.jsonl"),
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        peak_main = peak_workers = 0.0
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            peak_main = max(peak_main, vm_hwm_mb(proc.pid))
            for child in children(proc.pid):
                peak_workers = max(peak_workers, vm_hwm_mb(child))
            samples.append((time.perf_counter() - started, peak_main))
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        rows = sum(1 for _ in (Path(tmp) / "out.jsonl").open())
    print(f"command: {command_line()}")
    print(
        f"{args.n} URLs, backend {args.backend}: {elapsed:.1f} s ({args.n / elapsed:.0f} URLs/s), exit {proc.returncode}, {rows} report rows"
    )
    print(f"peak RSS of the check process: {peak_main:.0f} MB (goal < 300 MB)")
    print(f"peak RSS of one worker process: {peak_workers:.0f} MB")
    quarter = [mb for t, mb in samples if t <= elapsed / 4]
    if quarter:
        print(
            f"peak RSS after the first quarter: {quarter[-1]:.0f} MB (flat if close to the final peak)"
        )


if __name__ == "__main__":
    main()
