"""Saved reviews: every row of a list in SQLite, committed as verdicts arrive, so nothing
finished is lost or checked (and paid for) twice. Also `portrait-review sessions`.

One file per session under `data_dir()/sessions/NAME.db`; a session is named after its
list (path + content hash, or content hash for stdin) unless `--session NAME` names it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import urlsplit

from .cache import FINAL, VerdictCache, cache_path, cache_size, checker_version
from .config import Config, data_dir
from .dbfile import DatabaseError, describe, open_checked
from .engine.backend import Backend
from .schema import STATUSES, Row
from .store import JournalError, ResultStore
from .urllist import UrlList

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; SQLite still guards the file itself
    fcntl = None  # type: ignore[assignment]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS rows (
    idx INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    override TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_status ON rows (status);
"""


class SessionError(JournalError):
    """The session cannot be opened or written; the message is for the operator (exit 2)."""


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def session_path(name: str) -> Path:
    return sessions_dir() / f"{name}.db"


def default_name(urllist: UrlList) -> str:
    """`<list stem>-<8 hex>` from the list's absolute path and content (stdin: content only)."""
    if urllist.path is None:
        return f"stdin-{urllist.sha256[:8]}"
    key = hashlib.sha256(f"{urllist.path}\0{urllist.sha256}".encode()).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", urllist.path.stem).strip("._-")[:60] or "list"
    return f"{stem}-{key}"


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise SessionError(
            f"{name!r} is not a session name: use letters, digits, '.', '_' and '-' "
            "(up to 100, starting with a letter or digit)"
        )
    return name


class SessionDB:
    """One session file; implements the store's `Journal` (record rows, flush in batches)."""

    def __init__(self, name: str, backend: str, version: str) -> None:
        self.name = check_name(name)
        self.path = session_path(name)
        self.backend = backend
        self.opened_at = time.time()
        self.cache: VerdictCache | None = None  # set by open_review unless --no-cache
        self._pending: dict[int, Row] = {}
        self._failed: str | None = None
        self._lock = _acquire_lock(self.path)
        try:
            self.conn = open_checked(self.path, _prepare)
        except DatabaseError as exc:
            self._release_lock()
            raise SessionError(str(exc)) from None
        self.meta: dict[str, str] = dict(self.conn.execute("SELECT key, value FROM meta"))
        self.version = version

    # -- Journal ----------------------------------------------------------------------
    def record(self, index: int, row: Row) -> None:
        if self._failed:
            raise SessionError(self._failed)
        self._pending[index] = row

    def flush(self) -> None:
        """Commit every changed row in one transaction; feed new final verdicts to the cache."""
        if self._failed:
            raise SessionError(self._failed)
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany(
                    "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?)",
                    [_values(i, row) for i, row in batch.items()],
                )
        except sqlite3.Error as exc:
            self._pending = batch | self._pending
            self._failed = describe(self.path, exc)
            raise SessionError(self._failed) from None
        self._cache_new(batch.values())

    # -- lifecycle --------------------------------------------------------------------
    def load(self) -> dict[int, tuple[str, dict[str, object]]]:
        """Saved rows by list position: (url, row JSON)."""
        cursor = self.conn.execute("SELECT idx, url, data FROM rows")
        return {idx: (url, json.loads(data)) for idx, url, data in cursor}

    def replace_rows(self, rows: list[Row], urllist: UrlList, settings: dict[str, str]) -> None:
        """Write the whole list (a new or changed list, or --fresh) and its description."""
        meta = {
            "name": self.name,
            "list_name": urllist.name,
            "list_path": str(urllist.path) if urllist.path else "<stdin>",
            "list_sha256": urllist.sha256,
            "rows": str(len(rows)),
            **settings,
        }
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM rows")
            self.conn.executemany(
                "INSERT INTO rows VALUES (?, ?, ?, ?, ?)",
                [_values(i, row) for i, row in enumerate(rows)],
            )
            self._write_meta(meta)
        self.meta.update(meta)

    def touch(self, settings: dict[str, str]) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._write_meta(settings)
        self.meta.update(settings)

    def close(self) -> str | None:
        """Final flush, then let go of the file; why the final save failed, or None."""
        try:
            if not self._failed:
                self.flush()
        except SessionError as exc:
            return str(exc)
        finally:
            if self.cache is not None:
                self.cache.close()
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self._release_lock()
        return None

    def _write_meta(self, values: dict[str, str]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    def _cache_new(self, rows: Iterable[Row]) -> None:
        """Cache verdicts made in this run; the cache is an optimisation, so failures warn."""
        if self.cache is None:
            return
        fresh = [
            row for row in rows if row.status in FINAL and (row.checked_at or 0) >= self.opened_at
        ]
        try:
            self.cache.put(fresh)
        except sqlite3.Error as exc:
            sys.stderr.write(
                f"portrait-review: verdict cache off: {describe(self.cache.path, exc)}\n"
            )
            self.cache.close()
            self.cache = None

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _prepare(conn: sqlite3.Connection) -> None:
    """Schema, integrity, then a first write: a bad or locked file fails here, not mid-run."""
    conn.executescript(_SCHEMA)
    verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if verdict != "ok":
        raise sqlite3.DatabaseError(f"database disk image is malformed ({verdict})")
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_opened', ?)", (str(time.time()),))


def _values(index: int, row: Row) -> tuple[int, str, str, str | None, str]:
    return index, row.url, row.status, row.override, json.dumps(row.to_json())


def _acquire_lock(path: Path) -> IO[str] | None:
    """Hold `NAME.lock` for the session's lifetime so two processes never run one session."""
    if fcntl is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_suffix(".lock"), "a+", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise SessionError(f"cannot use {path.parent}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SessionError(
            f"session {path.stem!r} is in use by another portrait-review process; "
            "close it first, or pass --session NAME to start a separate one"
        ) from None
    return handle


# -- opening a review ------------------------------------------------------------------
def open_review(
    urllist: UrlList,
    args: argparse.Namespace,
    backend: Backend,
    config: Config,
    stream: TextIO | None = None,
) -> tuple[ResultStore, SessionDB]:
    """The list's session, resumed (or started), with cache hits applied, as a store."""
    stream = stream or sys.stderr
    name = check_name(args.session) if args.session else default_name(urllist)
    session = SessionDB(name, backend.name, checker_version(backend))
    try:
        store = _resume(session, urllist, args, config, stream)
    except sqlite3.Error as exc:
        session.close()
        raise SessionError(describe(session.path, exc)) from None
    except BaseException:
        session.close()
        raise
    return store, session


def _resume(
    session: SessionDB,
    urllist: UrlList,
    args: argparse.Namespace,
    config: Config,
    stream: TextIO,
) -> ResultStore:
    stream.write(f"session: {session.name} ({session.path})\n")
    rows = urllist.rows
    saved = session.load()
    previous = session.meta.get("backend")
    restored = _merge(rows, saved, fresh=args.fresh)
    checkable = sum(1 for row in rows if row.checkable)
    checked = sum(1 for row in rows if row.checkable and row.status != "pending")
    if args.fresh and saved:
        stream.write(f"fresh: all {checkable} rows will be checked again (overrides are kept)\n")
    elif restored:
        stream.write(f"resumed: {checked} of {checkable} rows already checked\n")
        if previous and previous != session.backend and checked:
            stream.write(
                f"note: these rows were checked with the {previous} backend; "
                "pass --fresh to check them again with this one\n"
            )
    retried = _reset_errors(rows) if args.retry_errors else []
    if args.retry_errors:
        stream.write(f"retry-errors: {len(retried)} error rows will be checked again\n")
    settings = _settings(session.backend, args, config)
    if args.fresh or session.meta.get("list_sha256") != urllist.sha256:
        session.replace_rows(rows, urllist, settings)
    else:
        session.touch(settings)
        for index in retried:
            session.record(index, rows[index])
    if not args.no_cache:
        session.cache = _open_cache(session, stream)
    if session.cache is not None and not args.fresh:
        hits = _apply_cache(rows, session.cache)
        for index in hits:
            session.record(index, rows[index])
        if hits:
            stream.write(f"cache: {len(hits)} rows from earlier checks (--no-cache to redo)\n")
    session.flush()
    return ResultStore(rows, journal=session)


def _merge(rows: list[Row], saved: dict[int, tuple[str, dict[str, object]]], fresh: bool) -> int:
    """Put saved state into the list's rows, by position or else by URL; count restored.

    The operator's override and note always come back; a verdict only when it is final
    for this list (not with --fresh, not for rows the list itself marks invalid).
    """
    by_url = {url: data for url, data in saved.values()}
    restored = 0
    for index, row in enumerate(rows):
        entry = saved.get(index)
        data = entry[1] if entry is not None and entry[0] == row.url else by_url.get(row.url)
        if data is None:
            continue
        restored += 1
        old = Row.from_json(data)
        if fresh or not row.checkable or old.status in ("pending", "invalid"):
            row.override, row.note = old.override, old.note
        else:
            old.lines = row.lines
            rows[index] = old
    return restored


def _reset_errors(rows: list[Row]) -> list[int]:
    done = []
    for index, row in enumerate(rows):
        if row.status == "error":
            row.reset()
            done.append(index)
    return done


def _apply_cache(rows: list[Row], cache: VerdictCache) -> list[int]:
    """Give pending rows their cached verdicts (no fetch, nothing billed); their indices."""
    pending = [i for i, row in enumerate(rows) if row.status == "pending" and row.checkable]
    found = cache.lookup(rows[i].url for i in pending)
    hits = []
    for index in pending:
        verdict = found.get(rows[index].url)
        if verdict is not None:
            verdict.image_count = 0
            rows[index].apply(verdict)
            hits.append(index)
    return hits


def _open_cache(session: SessionDB, stream: TextIO) -> VerdictCache | None:
    try:
        return VerdictCache(session.backend, session.version)
    except DatabaseError as exc:
        stream.write(f"portrait-review: verdict cache off: {exc}\n")
        return None


def _settings(backend: str, args: argparse.Namespace, config: Config) -> dict[str, str]:
    """What the session remembers about how it was checked (never an API key)."""
    settings = {"backend": backend}
    if backend == "dashscope":
        endpoint = getattr(args, "endpoint", None) or config.endpoint
        settings["endpoint_host"] = urlsplit(endpoint).hostname or ""
    return settings


# -- `portrait-review sessions` ----------------------------------------------------------
def sessions_main(args: argparse.Namespace, config: Config, out: TextIO | None = None) -> int:
    """List saved sessions, or `rm NAME` one."""
    out = out or sys.stdout
    if args.action == "rm":
        if not args.name:
            return _fail("sessions rm needs a NAME (see `portrait-review sessions`)")
        return _remove(args.name, out)
    if args.name:
        return _fail("`sessions` takes no NAME; did you mean `sessions rm NAME`?")
    return _list(out)


def _list(out: TextIO) -> int:
    found = []
    for path in sessions_dir().glob("*.db"):
        info = _describe_session(path)
        found.append((float(info.get("last_opened") or 0), path.stem, info))
    if not found:
        out.write(f"no saved sessions (they go in {sessions_dir()})\n")
        return 0
    found.sort(reverse=True)
    width = max(len(name) for _, name, _ in found)
    out.write(f"{'NAME':<{width}}  {'LAST OPENED':<16}  {'ROWS':>7}  STATUS / LIST\n")
    for opened, name, info in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(opened)) if opened else "-"
        out.write(f"{name:<{width}}  {when:<16}  {info.get('rows', '?'):>7}  {info['counts']}\n")
        out.write(f"{'':<{width}}  {'':<16}  {'':>7}  {info.get('list_path', '?')}\n")
    size = cache_size()
    cached = "unreadable" if size is None else f"{size} verdicts"
    out.write(f"\nsessions in {sessions_dir()}; verdict cache: {cached} ({cache_path()})\n")
    return 0


def _describe_session(path: Path) -> dict[str, str]:
    """Meta and counts of one session file, read-only; an unreadable file says why."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            info = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            counts = dict(conn.execute("SELECT status, COUNT(*) FROM rows GROUP BY status"))
            overrides = conn.execute("SELECT COUNT(*) FROM rows WHERE override IS NOT NULL")
            overridden = overrides.fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return {"counts": f"(unreadable: {exc})"}
    parts = [f"{s} {counts[s]}" for s in STATUSES if counts.get(s)]
    if overridden:
        parts.append(f"overridden {overridden}")
    info["counts"] = ", ".join(parts) or "empty"
    return info


def _remove(name: str, out: TextIO) -> int:
    try:
        check_name(name)
    except SessionError as exc:
        return _fail(str(exc))
    path = session_path(name)
    if not path.exists():
        return _fail(f"no session named {name!r} (see `portrait-review sessions`)")
    try:
        lock = _acquire_lock(path)
    except SessionError as exc:
        return _fail(str(exc))
    try:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{path}{suffix}")
    except OSError as exc:
        return _fail(f"cannot delete {path}: {exc.strerror or exc}")
    finally:
        if lock is not None:
            lock.close()
            with contextlib.suppress(OSError):
                path.with_suffix(".lock").unlink()
    out.write(f"deleted session {name}\n")
    return 0


def _fail(message: str) -> int:
    sys.stderr.write(f"portrait-review: {message}\n")
    return 2
