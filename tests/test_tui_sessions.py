"""The TUI saves its session while it runs, and says so when it cannot."""

from __future__ import annotations

import argparse
import io
import sqlite3
import time
from pathlib import Path

from PIL import Image

from tui.app import ReviewApp
from tui.config import Config
from tui.engine.backend import RulesBackend
from tui.engine.engine import EngineSettings
from tui.imagehost import ImageHost
from tui.schema import Row
from tui.sessions import open_review
from tui.store import JournalError
from tui.urllist import parse_list

SIZE = (140, 36)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (120, 90, 70)).save(buffer, "JPEG")
    return buffer.getvalue()


def args(**extra: object) -> argparse.Namespace:
    base = {"session": None, "fresh": False, "no_cache": True, "retry_errors": False}
    return argparse.Namespace(**{**base, **extra})


def saved_statuses(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM rows GROUP BY status"))


async def test_results_and_overrides_are_saved_every_second_while_the_app_runs(
    image_host: ImageHost, tmp_path: Path
) -> None:
    urls = [image_host.add(f"/s{i}.jpg", jpeg()) for i in range(6)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    urllist = parse_list(listing.read_bytes(), "urls.txt", listing)
    backend = RulesBackend()
    store, session = open_review(urllist, args(), backend, Config(), io.StringIO())
    app = ReviewApp(
        urllist,
        store,
        backend,
        EngineSettings(concurrency=2),
        Config(),
        image_protocol="none",
        show_rate=False,
        save_interval=0.2,
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 30
            while saved_statuses(session.path).get("pass", 0) < 6:
                assert time.monotonic() < deadline, saved_statuses(session.path)
                await pilot.pause(0.05)
            await pilot.press("x")  # reject the first row by hand
            deadline = time.monotonic() + 5
            while True:
                with sqlite3.connect(session.path) as conn:
                    overrides = conn.execute("SELECT override FROM rows WHERE idx = 0").fetchone()
                if overrides == ("fail",):
                    break
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            # Still running: nothing waited for quit to be saved.
            assert app.is_running
    finally:
        session.close()


class _FullDisk:
    """A journal whose disk is full: every save fails the way SessionDB's does."""

    def record(self, index: int, row: Row) -> None:
        pass

    def flush(self) -> None:
        raise JournalError(
            "the disk holding /data/s.db is full; finished rows already saved are kept"
        )


async def test_a_failed_save_stops_checking_and_says_why(image_host: ImageHost) -> None:
    urls = [image_host.add(f"/f{i}.jpg", jpeg(), delay=0.2) for i in range(40)]
    urllist = parse_list("\n".join(urls).encode(), "f.txt")
    from tui.store import ResultStore

    store = ResultStore(urllist.rows, journal=_FullDisk())
    app = ReviewApp(
        urllist,
        store,
        RulesBackend(),
        EngineSettings(concurrency=2),
        Config(),
        image_protocol="none",
        show_rate=False,
        save_interval=0.2,
    )
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 30
        while not app.save_failed:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        done = store.done
        await pilot.pause(0.6)
        assert store.done == done  # checking stopped: nothing more is spent
        assert any("disk" in note and "resume" in note for note in notes)
    assert store.counts["pending"] > 0
