"""Opening the SQLite files under the data dir: WAL, clear errors, corrupt files moved aside."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

BUSY_TIMEOUT_MS = 3000


class DatabaseError(Exception):
    """A database cannot be used; the message says which file and what to do (exit 2)."""


def describe(path: Path, exc: sqlite3.Error) -> str:
    """One sentence for the operator instead of a traceback."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another process; close it (or wait) and try again"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only; finished rows already saved are kept"
    if "full" in text:
        return f"the disk holding {path} is full; finished rows already saved are kept"
    if "disk i/o error" in text:
        return (
            f"cannot write {path} (disk I/O error: is the disk full or failing?); "
            "finished rows already saved are kept"
        )
    if "unable to open" in text:
        return f"cannot open {path} (check that its folder exists and is writable)"
    return f"{path}: {exc}"


def is_corrupt(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=NORMAL: a commit survives kill -9."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def move_aside(path: Path) -> Path:
    """Rename a corrupt file (and its WAL companions) to `*.corrupt-<timestamp>`; never delete."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{target}{suffix}"))
    return target


def open_checked(path: Path, prepare: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    """Connect and run `prepare` (schema, first write); a corrupt file is moved aside once."""
    try:
        return _open(path, prepare)
    except sqlite3.Error as exc:
        if not is_corrupt(exc):
            raise DatabaseError(describe(path, exc)) from None
        aside = move_aside(path)
        sys.stderr.write(
            f"portrait-review: {path} was damaged ({exc}); kept it as {aside} "
            "and started a new one\n"
        )
    try:
        return _open(path, prepare)
    except sqlite3.Error as exc:
        raise DatabaseError(describe(path, exc)) from None


def _open(path: Path, prepare: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    conn = connect(path)
    try:
        prepare(conn)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
        raise
    return conn
