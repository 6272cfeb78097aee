"""Writing what the operator leaves with: URL lists and full reports, atomically."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from .schema import ROW_FIELDS, Row
from .textsafe import mask_userinfo

ExportKind = Literal["passing", "failing", "csv", "jsonl"]
SUFFIXES: dict[str, str] = {
    "passing": ".passing.txt",
    "failing": ".failing.txt",
    "csv": ".report.csv",
    "jsonl": ".report.jsonl",
}


def default_path(list_path: Path | None, kind: ExportKind) -> Path:
    """Beside the input list, named after its stem (`urls.txt` -> `urls.passing.txt`)."""
    if list_path is None:
        return Path.cwd() / f"stdin{SUFFIXES[kind]}"
    return list_path.with_name(list_path.stem + SUFFIXES[kind])


def atomic_write(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename: never a half-written file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def passing_urls(rows: Iterable[Row]) -> list[str]:
    """URLs that count as passing: checked pass or accepted by hand, not rejected by hand."""
    return [row.url for row in rows if row.effective == "pass"]


def failing_urls(rows: Iterable[Row]) -> list[str]:
    return [row.url for row in rows if row.effective in ("fail", "invalid")]


def report_record(row: Row) -> dict[str, object]:
    """One report line: the result schema, with credentials in URLs masked."""
    data = row.to_json()
    data["url"] = mask_userinfo(row.url)
    return data


def render(rows: Iterable[Row], kind: ExportKind) -> tuple[str, int]:
    """The file's text and how many rows went into it."""
    rows = list(rows)
    if kind == "passing":
        urls = passing_urls(rows)
        return "".join(u + "\n" for u in urls), len(urls)
    if kind == "failing":
        urls = failing_urls(rows)
        return "".join(u + "\n" for u in urls), len(urls)
    if kind == "jsonl":
        lines = [json.dumps(report_record(r), ensure_ascii=False) for r in rows]
        return "".join(line + "\n" for line in lines), len(lines)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ROW_FIELDS)
    for row in rows:
        record = report_record(row)
        record["lines"] = " ".join(str(n) for n in row.lines)
        record["faces"] = json.dumps(record["faces"]) if record["faces"] is not None else ""
        writer.writerow(["" if record[k] is None else record[k] for k in ROW_FIELDS])
    return buffer.getvalue(), len(rows)


def export(rows: Iterable[Row], kind: ExportKind, path: Path) -> int:
    """Write one export atomically; returns how many rows/URLs it holds."""
    text, count = render(rows, kind)
    atomic_write(path, text)
    return count
