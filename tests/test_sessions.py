"""Sessions survive kill -9, resume without re-fetching, share a verdict cache, fail clearly."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tui.cache import VerdictCache, checker_version
from tui.cli import main
from tui.config import Config
from tui.engine.backend import RulesBackend
from tui.imagehost import ImageHost
from tui.schema import Row, Verdict
from tui.sessions import SessionDB, SessionError, open_review
from tui.urllist import load_list

REPO = Path(__file__).resolve().parent.parent


def png(size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buffer, "PNG")
    return buffer.getvalue()


def serve(host: ImageHost, names: list[str], **options: object) -> list[str]:
    return [host.add(f"/{name}", png(), content_type="image/png", **options) for name in names]


def write_list(path: Path, urls: list[str]) -> Path:
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return path


def check(*args: str) -> int:
    """`portrait-review check` in this process, rules backend, one worker process."""
    return main(["check", *args, "--backend", "rules", "--processes", "1"])


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tui", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=os.environ
    )


def session_files(data: Path) -> list[Path]:
    return sorted((data / "sessions").glob("*.db"))


def finished_urls(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {url for (url,) in conn.execute("SELECT url FROM rows WHERE status != 'pending'")}
    finally:
        conn.close()


def saved_rows(db: Path) -> dict[str, Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            url: Row.from_json(json.loads(data))
            for url, data in conn.execute("SELECT url, data FROM rows")
        }
    finally:
        conn.close()


def review_args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "session": None,
        "fresh": False,
        "no_cache": False,
        "retry_errors": False,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def test_kill_9_mid_run_loses_nothing_finished(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, [f"slow{i}.png" for i in range(16)], delay=0.4)
    listing = write_list(isolated_dirs / "urls.txt", urls)
    command = [sys.executable, "-m", "tui", "check", str(listing), "--backend", "rules"]
    command += ["--processes", "1", "--concurrency", "2"]
    proc = subprocess.Popen(command, cwd=REPO, env=os.environ, stderr=subprocess.DEVNULL)
    data = isolated_dirs / "data"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            files = session_files(data)
            with contextlib.suppress(sqlite3.Error):  # the file may not have its tables yet
                if files and len(finished_urls(files[0])) >= 3:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the run never committed three rows")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    committed = finished_urls(session_files(data)[0])
    assert 3 <= len(committed) < len(urls)

    second = run("check", str(listing), "--backend", "rules", "--processes", "1")
    assert second.returncode == 0, second.stderr
    assert f"resumed: {len(committed)} of 16 rows already checked" in second.stderr
    rows = saved_rows(session_files(data)[0])
    assert len(rows) == 16 and all(row.status == "pass" for row in rows.values())
    for url in committed:
        assert image_host.hits[urlsplit(url).path] == 1
    assert all(image_host.hits[f"/slow{i}.png"] >= 1 for i in range(16))


def test_ctrl_c_saves_and_exits_130(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, [f"int{i}.png" for i in range(16)], delay=0.4)
    listing = write_list(isolated_dirs / "urls.txt", urls)
    command = [sys.executable, "-m", "tui", "check", str(listing), "--backend", "rules"]
    command += ["--processes", "1", "--concurrency", "2"]
    proc = subprocess.Popen(command, cwd=REPO, env=os.environ, stderr=subprocess.PIPE, text=True)
    data = isolated_dirs / "data"
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(seen) < 2:
            files = session_files(data)
            with contextlib.suppress(sqlite3.Error):
                seen = finished_urls(files[0]) if files else set()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    saved = finished_urls(session_files(data)[0])
    assert seen <= saved
    fetched = {url for url in urls if image_host.hits[urlsplit(url).path]}
    assert len(saved) >= len(fetched) - 2  # at most the two in flight are lost


def test_resume_fetches_nothing_finished(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, ["a.png", "b.png"])
    listing = write_list(isolated_dirs / "urls.txt", [*urls, "not a url"])
    assert check(str(listing)) == 0
    assert check(str(listing)) == 0
    assert image_host.hits["/a.png"] == image_host.hits["/b.png"] == 1
    (db,) = session_files(isolated_dirs / "data")
    assert len(saved_rows(db)) == 3


def test_cache_hits_across_lists_skip_the_fetch(
    image_host: ImageHost, isolated_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    shared = serve(image_host, ["s1.png", "s2.png", "s3.png"])
    (new,) = serve(image_host, ["new.png"])
    gone = image_host.url("/gone.png")  # 404: a fetch failure is never cached
    first = write_list(isolated_dirs / "first.txt", [*shared, gone])
    second = write_list(isolated_dirs / "second.txt", [new, *shared, gone])
    assert check(str(first)) == 0
    capfd.readouterr()
    assert check(str(second)) == 0
    err = capfd.readouterr().err
    assert "cache: 3 rows from earlier checks" in err
    assert [image_host.hits[f"/s{i}.png"] for i in (1, 2, 3)] == [1, 1, 1]
    assert image_host.hits["/new.png"] == 1 and image_host.hits["/gone.png"] == 2
    rows = saved_rows(next(p for p in session_files(isolated_dirs / "data") if "second" in p.name))
    assert rows[shared[0]].status == "pass" and rows[shared[0]].image_count == 0

    third = write_list(isolated_dirs / "third.txt", shared)
    assert check(str(third), "--no-cache") == 0
    assert [image_host.hits[f"/s{i}.png"] for i in (1, 2, 3)] == [2, 2, 2]


def test_cache_never_crosses_backends_nor_keeps_errors(isolated_dirs: Path) -> None:
    rules = RulesBackend()
    cache = VerdictCache(rules.name, checker_version(rules))
    ok = Row("http://x/a.png", status="pass", reason="ok", backend="rules")
    err = Row("http://x/b.png", status="error", reason="timeout")
    cache.put([ok, err])
    assert set(cache.lookup([ok.url, err.url])) == {ok.url}
    cache.close()
    other = VerdictCache("local", "local/test")
    assert other.lookup([ok.url]) == {}
    other.close()


def test_override_and_note_survive_a_recheck(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, ["o1.png", "o2.png"])
    listing = write_list(isolated_dirs / "urls.txt", urls)
    assert check(str(listing)) == 0
    store, session = open_review(load_list(listing), review_args(), RulesBackend(), Config())
    store.set_override(0, "fail")
    store.set_note(0, "blurry in person")
    assert session.close() is None

    assert check(str(listing), "--fresh") == 0
    assert image_host.hits["/o1.png"] == 2
    (db,) = session_files(isolated_dirs / "data")
    row = saved_rows(db)[urls[0]]
    assert (row.status, row.override, row.note) == ("pass", "fail", "blurry in person")


def test_fresh_starts_over(
    image_host: ImageHost, isolated_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    urls = serve(image_host, ["f1.png", "f2.png"])
    listing = write_list(isolated_dirs / "urls.txt", urls)
    assert check(str(listing)) == 0
    capfd.readouterr()
    assert check(str(listing), "--fresh") == 0
    assert "fresh: all 2 rows will be checked again" in capfd.readouterr().err
    assert image_host.hits["/f1.png"] == image_host.hits["/f2.png"] == 2


def test_retry_errors_rechecks_only_errors(image_host: ImageHost, isolated_dirs: Path) -> None:
    (good,) = serve(image_host, ["good.png"])
    (slow,) = serve(image_host, ["slow.png"], delay=3.0)
    listing = write_list(isolated_dirs / "urls.txt", [good, slow])
    assert check(str(listing), "--timeout", "0.5") == 0
    (db,) = session_files(isolated_dirs / "data")
    assert saved_rows(db)[slow].status == "error"
    assert check(str(listing)) == 0
    assert image_host.hits["/slow.png"] == 1  # an error row is finished until asked

    serve(image_host, ["slow.png"])  # the host recovers
    assert check(str(listing), "--retry-errors") == 0
    assert image_host.hits["/slow.png"] == 2 and image_host.hits["/good.png"] == 1
    assert saved_rows(db)[slow].status == "pass"


def test_sessions_list_and_rm(
    image_host: ImageHost, isolated_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    urls = serve(image_host, ["l1.png", "l2.png"])
    write_list(isolated_dirs / "alpha.txt", urls)
    assert check(str(isolated_dirs / "alpha.txt"), "--session", "mine") == 0
    assert check(str(isolated_dirs / "alpha.txt")) == 0
    capfd.readouterr()

    assert main(["sessions"]) == 0
    out = capfd.readouterr().out
    assert "mine" in out and "alpha-" in out and "pass 2" in out
    assert str(isolated_dirs / "alpha.txt") in out

    assert main(["sessions", "rm", "mine"]) == 0
    assert not (isolated_dirs / "data" / "sessions" / "mine.db").exists()
    assert main(["sessions", "rm", "mine"]) == 2
    assert "no session named 'mine'" in capfd.readouterr().err
    assert main(["sessions", "rm", "../etc"]) == 2


def test_stdin_list_is_keyed_by_content(image_host: ImageHost, isolated_dirs: Path) -> None:
    (url,) = serve(image_host, ["in.png"])
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "tui", "check", "-", "--backend", "rules", "--processes", "1"],
            input=url + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=os.environ,
        )
        assert done.returncode == 0, done.stderr
    assert "resumed: 1 of 1 rows already checked" in done.stderr
    assert [p.name[:6] for p in session_files(isolated_dirs / "data")] == ["stdin-"]
    assert image_host.hits["/in.png"] == 1


def test_corrupt_database_is_moved_aside(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, ["c1.png"])
    listing = write_list(isolated_dirs / "urls.txt", urls)
    assert check(str(listing)) == 0
    (db,) = session_files(isolated_dirs / "data")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database at all" * 100)

    done = run("check", str(listing), "--backend", "rules", "--processes", "1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "was damaged" in done.stderr and "kept it as" in done.stderr
    (aside,) = db.parent.glob(f"{db.name}.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert saved_rows(db)[urls[0]].status == "pass"


def test_locked_database_says_so_and_exits_2(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, ["k1.png"])
    listing = write_list(isolated_dirs / "urls.txt", urls)
    assert check(str(listing)) == 0
    (db,) = session_files(isolated_dirs / "data")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = run("check", str(listing), "--backend", "rules", "--processes", "1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "is locked by another process" in done.stderr
    assert saved_rows(db)[urls[0]].status == "pass"


def test_a_session_in_use_is_refused(
    isolated_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    listing = write_list(isolated_dirs / "urls.txt", ["http://127.0.0.1:9/x.png"])
    held = SessionDB("busy", "rules", "rules/test")
    try:
        assert check(str(listing), "--session", "busy") == 2
        assert "in use by another portrait-review process" in capfd.readouterr().err
        assert main(["sessions", "rm", "busy"]) == 2
    finally:
        held.close()


def test_write_failure_keeps_committed_rows(image_host: ImageHost, isolated_dirs: Path) -> None:
    urls = serve(image_host, ["w1.png", "w2.png"])
    listing = write_list(isolated_dirs / "urls.txt", urls)
    store, session = open_review(load_list(listing), review_args(), RulesBackend(), Config())
    store.apply(0, Verdict("pass", "ok", checked_at=time.time()))
    store.flush()
    session.conn.execute("PRAGMA query_only=1")  # as if the file had turned read-only
    store.apply(1, Verdict("pass", "ok", checked_at=time.time()))
    with pytest.raises(SessionError, match="read-only"):
        store.flush()
    with pytest.raises(SessionError):
        store.apply(1, Verdict("pass", "ok"))
    session.close()
    rows = saved_rows(session.path)
    assert rows[urls[0]].status == "pass" and rows[urls[1]].status == "pending"


def test_session_names_are_checked(isolated_dirs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    listing = write_list(isolated_dirs / "urls.txt", ["http://127.0.0.1:9/x.png"])
    assert check(str(listing), "--session", "../../escape") == 2
    assert "is not a session name" in capfd.readouterr().err


def test_corrupt_cache_is_moved_aside(
    image_host: ImageHost, isolated_dirs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cache = isolated_dirs / "data" / "cache.db"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00garbage" * 512)
    listing = write_list(isolated_dirs / "urls.txt", serve(image_host, ["cc.png"]))
    assert check(str(listing)) == 0
    assert "was damaged" in capfd.readouterr().err
    assert len(list(cache.parent.glob("cache.db.corrupt-*"))) == 1
