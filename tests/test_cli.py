"""`portrait-review` as a user runs it: a real process, real files, a real image host."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tui.imagehost import ImageHost


def run(
    *args: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=None if stdin is None else stdin.decode(),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


def jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (150, 110, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in ("check", "serve", "demo", "sessions", "review"):
        assert name in result.stdout


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "missing.txt"))
    assert result.returncode == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("check", "x.txt", "--concurrency", "0").returncode == 2
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\0\1\2\3")
    result = run("check", str(binary))
    assert result.returncode == 2 and "binary" in result.stderr


def test_check_writes_every_output_atomically(image_host: ImageHost, tmp_path: Path) -> None:
    ok = image_host.add("/ok.jpg", jpeg())
    wide = image_host.add("/wide.jpg", jpeg((900, 300)))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# portraits\n{ok}\n{wide}\nnot a url\n{ok}\n")
    out = tmp_path / "out"
    out.mkdir()
    result = run(
        "check",
        str(listing),
        "--backend",
        "rules",
        "--jsonl",
        str(out / "r.jsonl"),
        "--csv",
        str(out / "r.csv"),
        "--passing",
        str(out / "p.txt"),
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (out / "r.jsonl").read_text().splitlines()]
    assert [(r["status"], r["reason"]) for r in rows] == [
        ("pass", "ok"),
        ("fail", "aspect_ratio"),
        ("invalid", "invalid_url"),
    ]
    assert rows[0]["lines"] == [2, 5]
    assert (out / "p.txt").read_text() == ok + "\n"
    assert (out / "r.csv").read_text().splitlines()[0].startswith("url,lines,status,reason")
    assert sorted(p.name for p in out.iterdir()) == ["p.txt", "r.csv", "r.jsonl"]
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "p.txt").stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    assert "pass" in result.stderr and "aspect_ratio" in result.stderr


def test_check_reads_stdin(image_host: ImageHost, tmp_path: Path) -> None:
    ok = image_host.add("/ok.jpg", jpeg())
    result = run(
        "check",
        "-",
        "--backend",
        "rules",
        "--passing",
        str(tmp_path / "p.txt"),
        stdin=f"{ok}\n".encode(),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p.txt").read_text() == ok + "\n"


def test_ctrl_c_exits_130_and_keeps_what_finished(image_host: ImageHost, tmp_path: Path) -> None:
    data = jpeg((320, 240))
    urls = [image_host.add(f"/s{i}.jpg", data, delay=0.3) for i in range(60)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "check",
            str(listing),
            "--backend",
            "rules",
            "--concurrency",
            "2",
            "--jsonl",
            str(tmp_path / "r.jsonl"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 30
    while sum(image_host.hits.values()) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(rows) == 60
    done = [r for r in rows if r["status"] == "pass"]
    assert 2 <= len(done) < 60
    assert all(r["status"] in ("pass", "pending") for r in rows)


def test_outputs_can_go_to_stdout_for_a_pipe(image_host: ImageHost, tmp_path: Path) -> None:
    ok = image_host.add("/ok.jpg", jpeg())
    wide = image_host.add("/wide.jpg", jpeg((900, 300)))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{ok}\n{wide}\n")
    result = run("check", str(listing), "--backend", "rules", "--passing", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ok + "\n"  # only the URLs: progress and summary stay on stderr
    assert "wrote 1 URLs to stdout" in result.stderr
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_the_tui_without_a_terminal_says_to_use_check(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("http://127.0.0.1:9/a.jpg\n")
    result = run(str(listing))  # stdout is a pipe here, not a terminal
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "check" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "sessions").exists()  # nothing was started
