"""Hostile input and faults: every line ends as a row with a status and a message."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tui.engine.backend import RulesBackend
from tui.engine.engine import CheckEngine, EngineSettings
from tui.exports import lines as export_lines
from tui.imagehost import ImageHost
from tui.schema import Verdict
from tui.store import ResultStore
from tui.urllist import parse_list


def encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kw)
    return buffer.getvalue()


def hostile_routes(host: ImageHost) -> dict[str, tuple[str, str]]:
    """URL -> (expected status, expected reason) for every hostile server behaviour."""
    rgb = Image.new("RGB", (600, 800), (160, 120, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, shown upright
    bomb = encode(Image.new("1", (30000, 30000), 0), "PNG")
    frames = [Image.new("RGB", (300, 300), c) for c in ((200, 0, 0), (0, 200, 0))]
    anim = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50)
    expect = {
        host.url("/404.jpg"): ("fail", "download_failed"),
        host.add("/410.jpg", b"gone", status=410): ("fail", "download_failed"),
        host.add("/503.jpg", b"busy", status=503): ("error", "network"),
        "http://127.0.0.1:9/refused.jpg": ("error", "network"),
        host.url("/tls.jpg").replace("http://", "https://"): ("error", "network"),
        host.add("/loop.jpg", redirect_to="/loop.jpg"): ("fail", "download_failed"),
        host.add("/r0.jpg", redirect_to="/r1.jpg"): ("fail", "download_failed"),
        host.add("/stall.jpg", b"x", stall_after_headers=10): ("error", "timeout"),
        host.add("/endless.jpg", endless=True): ("fail", "file_too_large"),
        host.add("/lying.jpg", encode(rgb, "JPEG"), content_length=999_999): ("error", "network"),
        host.add("/page.jpg", b"<html><body>login</body></html>", content_type="image/jpeg"): (
            "fail",
            "unsupported_format",
        ),
        host.add("/bomb.png", bomb): ("fail", "image_too_large"),
        host.add("/trunc.jpg", encode(rgb, "JPEG")[:2000]): ("fail", "corrupt_image"),
        host.add("/empty.jpg", b""): ("fail", "corrupt_image"),
        host.add("/cmyk.jpg", encode(Image.new("CMYK", (600, 800)), "JPEG")): ("pass", "ok"),
        host.add("/16bit.png", encode(Image.new("I;16", (600, 800), 40000), "PNG")): ("pass", "ok"),
        host.add("/exif.jpg", encode(rgb.rotate(90, expand=True), "JPEG", exif=exif)): (
            "pass",
            "ok",
        ),
        host.add("/anim.webp", anim): ("pass", "ok"),
        host.add("/4096.png", encode(Image.new("L", (4096, 4096), 90), "PNG")): ("pass", "ok"),
        host.add("/4097x1.png", encode(Image.new("L", (4097, 1), 90), "PNG")): (
            "fail",
            "image_too_large",
        ),
    }
    for i in range(1, 21):
        host.add(f"/r{i}.jpg", redirect_to=f"/r{i + 1}.jpg")
    return expect


async def test_every_hostile_server_behaviour_gets_its_status(image_host: ImageHost) -> None:
    expect = hostile_routes(image_host)
    urls = list(expect)
    got: dict[int, Verdict] = {}
    async with CheckEngine(RulesBackend(), EngineSettings(timeout=2)) as engine:
        await engine.run(list(enumerate(urls)), got.__setitem__)
    for i, url in enumerate(urls):
        verdict = got[i]
        assert (verdict.status, verdict.reason) == expect[url], (url, verdict.message)
        assert verdict.message, url
    tls = next(i for i, u in enumerate(urls) if u.startswith("https://"))
    assert "TLS" in got[tls].message or "SSL" in got[tls].message


HOSTILE_LINES = [
    "file:///etc/passwd",
    "ftp://example.test/a.jpg",
    "javascript:alert(1)",
    "just words",
    "http://example.test/a photo.jpg",
    "http://[bold]red[/bold].test/x.jpg",
    "http://example.test/\x1b[31mred\x1b[0m.jpg",
    "http://example.test/\x1b]0;pwned\x07.jpg",
    "http://user:hunter2@127.0.0.1:9/private.jpg",
    "http://bücher.test:9/x.jpg",
]


def test_hostile_lines_each_end_as_a_row_and_nothing_leaks(tmp_path: Path) -> None:
    listing = tmp_path / "hostile.txt"
    listing.write_text("\n".join(HOSTILE_LINES) + "\n", encoding="utf-8")
    report = tmp_path / "r.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "check",
            str(listing),
            "--backend",
            "rules",
            "--timeout",
            "3",
            "--jsonl",
            str(report),
            "--csv",
            str(tmp_path / "r.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(HOSTILE_LINES)
    assert all(r["status"] in ("invalid", "error", "fail") and r["message"] for r in rows)
    assert [r["status"] for r in rows[:8]] == ["invalid"] * 8
    # A password in a URL is masked in reports; the control characters never reach stderr.
    assert "hunter2" not in report.read_text() and "hunter2" not in (tmp_path / "r.csv").read_text()
    assert "user:***@127.0.0.1:9" in report.read_text()
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr.replace("\r\x1b[K", "")


def test_a_100k_line_list_with_10_percent_garbage_keeps_every_line() -> None:
    lines = []
    for i in range(100_000):
        lines.append(f"garbage line {i}" if i % 10 == 0 else f"http://img.test/{i % 500}.jpg")
    urls = parse_list("\n".join(lines).encode(), "big.txt")
    assert sum(len(row.lines) for row in urls.rows) == 100_000
    assert urls.invalid == 10_000
    assert len(urls.rows) == 10_450  # 450 distinct good URLs + 10,000 garbage lines
    store = ResultStore(urls.rows)
    assert sum(1 for _ in export_lines(store.rows, "jsonl")) == 10_450


async def test_image_host_dying_mid_run_gives_error_rows_that_recheck(tmp_path: Path) -> None:
    host = ImageHost().start()
    port = int(host.base_url.rsplit(":", 1)[1])
    data = encode(Image.new("RGB", (300, 400), (1, 2, 3)), "JPEG")
    urls = [host.add(f"/d{i}.jpg", data, delay=0.1) for i in range(30)]
    urllist = parse_list("\n".join(urls).encode(), "d.txt")
    store = ResultStore(urllist.rows)
    async with CheckEngine(RulesBackend(), EngineSettings(concurrency=2, timeout=2)) as engine:
        task = asyncio.create_task(engine.run(store.jobs(), store.apply))
        while store.done < 4:
            await asyncio.sleep(0.05)
        host.stop()
        await task
        errors = store.indices("error")
        assert store.counts["pass"] >= 4 and errors
        assert store.counts["pending"] == 0
        revived = ImageHost(port=port).start()
        try:
            for i in range(30):
                revived.add(f"/d{i}.jpg", data)
            store.reset(errors)
            await engine.run(store.jobs(errors), store.apply)
        finally:
            revived.stop()
    assert store.counts["pass"] == 30


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE stands in for a full disk")
def test_a_full_disk_mid_run_keeps_finished_rows_and_resumes(
    image_host: ImageHost, tmp_path: Path
) -> None:
    data = encode(Image.new("RGB", (96, 128), (140, 100, 80)), "JPEG")
    urls = [image_host.add(f"/f{i}.jpg", data) for i in range(3000)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    command = [sys.executable, "-m", "tui", "check", str(listing), "--backend", "rules"]

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    # Paced so that several one-second batches are saved before the "disk" fills up.
    full = subprocess.run(
        [*command, "--rate", "300"],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
        preexec_fn=small_disk,
    )
    assert full.returncode == 2
    assert "disk" in full.stderr and "finished rows already saved are kept" in full.stderr
    assert "Traceback" not in full.stderr
    [database] = (tmp_path / "data" / "sessions").glob("*.db")
    with sqlite3.connect(database) as conn:
        saved = [idx for (idx,) in conn.execute("SELECT idx FROM rows WHERE status = 'pass'")]
    assert 0 < len(saved) < 3000

    resumed = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed: {len(saved)} of 3000" in resumed.stderr
    assert re.search(r"^\s*pass\s+3000$", resumed.stderr, re.MULTILINE)
    assert all(image_host.hits[f"/f{idx}.jpg"] == 1 for idx in saved)  # saved: not re-fetched


def test_the_headless_summary_shows_a_stop_message_as_plain_text() -> None:
    from tui.engine.engine import RunReport
    from tui.headless import summary

    urllist = parse_list(b"http://127.0.0.1:9/a.jpg\n", "l.txt")
    text = summary(ResultStore(urllist.rows), urllist, RunReport(stopped="bad key\x1b[2J\x07"))
    assert "\x1b" not in text and "\x07" not in text
    assert "stopped: bad key\\x1b[2J\\x07" in text
