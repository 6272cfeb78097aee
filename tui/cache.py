"""The shared verdict cache: a URL checked in one list is not fetched or paid for in another.

Keyed by URL + backend + checker version, so an entry never crosses backends and a new
checker re-checks. Only final verdicts (pass/fail) are kept; ETag/Last-Modified are stored
for information (the engine does not revalidate yet).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from . import __version__
from .config import data_dir
from .dbfile import open_checked
from .engine.backend import Backend
from .schema import FINDINGS, RETRYABLE_REASONS, Face, Row, Verdict

FINAL = frozenset({"pass", "fail"})
# Fails about getting the file, not about the image: the next fetch may well succeed.
_NOT_CACHED = RETRYABLE_REASONS | {"download_failed", "invalid_url", "account"}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    url TEXT NOT NULL,
    backend TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    stored_at REAL NOT NULL,
    PRIMARY KEY (url, backend, version)
) WITHOUT ROWID;
"""
_CHUNK = 500  # URLs per lookup query (SQLite's variable limit is far above)


def cache_path() -> Path:
    return data_dir() / "cache.db"


def checker_version(backend: Backend) -> str:
    """What must match for a cached verdict to stand for a new check by `backend`.

    The local checker's `version` covers its model and thresholds; the cloud model's answer
    does not depend on this package's version, so upgrading never pays for a URL twice.
    """
    version = getattr(backend, "version", None)
    if version is None:
        version = "liveportrait-detect" if backend.name == "dashscope" else __version__
    return f"{backend.name}/{version}"


class VerdictCache:
    """`cache.lookup(urls)` before a run, `cache.put(rows)` as verdicts arrive."""

    def __init__(self, backend: str, version: str, path: Path | None = None) -> None:
        self.backend = backend
        self.version = version
        self.path = path or cache_path()
        self.conn = open_checked(self.path, _prepare)

    def lookup(self, urls: Iterable[str]) -> dict[str, Verdict]:
        """Cached verdicts by URL, for this backend and version only (never billed again)."""
        found: dict[str, Verdict] = {}
        batch = list(dict.fromkeys(urls))
        for start in range(0, len(batch), _CHUNK):
            chunk = batch[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = self.conn.execute(
                f"SELECT url, data FROM verdicts WHERE backend = ? AND version = ? "
                f"AND url IN ({marks})",
                (self.backend, self.version, *chunk),
            )
            for url, data in cursor:
                found[url] = _verdict(json.loads(data))
        return found

    def put(self, rows: Iterable[Row]) -> None:
        """Remember final verdicts about images among `rows` (never errors or fetch failures)."""
        now = time.time()
        values = [
            (
                row.url,
                self.backend,
                self.version,
                row.status,
                _verdict_json(row),
                row.etag,
                row.last_modified,
                now,
            )
            for row in rows
            if row.status in FINAL and row.reason not in _NOT_CACHED
        ]
        if not values:
            return
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values
            )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()


def cache_size(path: Path | None = None) -> int | None:
    """How many verdicts the cache holds, or None when it cannot be read."""
    path = path or cache_path()
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _prepare(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)


def _verdict_json(row: Row) -> str:
    data = row.to_json()
    return json.dumps({k: data[k] for k in FINDINGS})


def _verdict(data: dict[str, object]) -> Verdict:
    faces = data.get("faces")
    verdict = Verdict(**{k: data.get(k) for k in FINDINGS if k != "faces"})  # type: ignore[arg-type]
    verdict.faces = None if faces is None else [Face.from_json(f) for f in faces]  # type: ignore[union-attr]
    return verdict
