"""Writing what the operator leaves with: URL lists and full reports, atomically."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, TextIO

from .fileio import atomic_write
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


def lines(rows: Iterable[Row], kind: ExportKind) -> Iterator[str]:
    """The export's lines, one at a time (each ends with a newline)."""
    if kind == "passing":
        yield from (url + "\n" for url in passing_urls(rows))
    elif kind == "failing":
        yield from (url + "\n" for url in failing_urls(rows))
    elif kind == "jsonl":
        for row in rows:
            yield json.dumps(report_record(row), ensure_ascii=False) + "\n"
    else:
        yield _csv_line(ROW_FIELDS)
        for row in rows:
            record = report_record(row)
            record["lines"] = " ".join(str(n) for n in row.lines)
            record["faces"] = json.dumps(record["faces"]) if record["faces"] is not None else ""
            yield _csv_line(["" if record[k] is None else record[k] for k in ROW_FIELDS])


def export(rows: Iterable[Row], kind: ExportKind, path: Path) -> int:
    """Write one export atomically; returns how many URLs or rows it holds."""
    counted = _Counted(lines(rows, kind))
    atomic_write(path, counted)
    return counted.rows(kind)


def export_to_stream(rows: Iterable[Row], kind: ExportKind, stream: TextIO) -> int:
    """Write one export to an open stream (stdout for a pipe); same lines, same count."""
    counted = _Counted(lines(rows, kind))
    stream.writelines(counted)
    stream.flush()
    return counted.rows(kind)


class _Counted:
    """Counts the lines an iterator hands out while it is written."""

    def __init__(self, source: Iterator[str]) -> None:
        self.source = source
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.source:
            self.count += 1
            yield line

    def rows(self, kind: ExportKind) -> int:
        """URLs or rows written: every line, less the CSV header."""
        return self.count - (kind == "csv")


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()
