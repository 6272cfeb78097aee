"""Reading a list of image URLs: plain text, CSV/TSV, JSON Lines, or stdin.

Every non-blank, non-comment line ends as exactly one row; duplicates share a row that
remembers every line that named it; a line that is not an http(s) URL becomes an
`invalid` row with a message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from .schema import Row
from .textsafe import has_control

URL_KEYS = ("url", "image_url")
_WHITESPACE = re.compile(r"\s")
# The common case, decided without urlsplit: http(s), an ASCII host, no port, printable ASCII.
_PLAIN_URL = re.compile(
    r"(?i:https?)://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(?:[/?#][\x21-\x7e]*)?"
)


class ListError(Exception):
    """The list as a whole cannot be read (missing, binary, not UTF-8)."""


@dataclass
class UrlList:
    """The rows of one input list, in input order (first line that named each URL)."""

    name: str
    path: Path | None
    format: str
    rows: list[Row]
    lines: int  # non-blank, non-comment lines read
    sha256: str
    problems: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return sum(1 for r in self.rows if r.status == "invalid")


def validate_url(url: str) -> str | None:
    """Why `url` is not a checkable http(s) URL, or None when it is."""
    if _PLAIN_URL.fullmatch(url):
        return None
    if has_control(url):
        return "contains control characters"
    if not url:
        return "empty"
    if _WHITESPACE.search(url):
        return "contains whitespace (percent-encode spaces as %20)"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            return "not a URL (needs http:// or https://)"
        return f"{scheme}: URLs are not accepted; only http(s) URLs"
    host = parts.hostname
    if not host:
        return "no host in the URL"
    if port == 0:
        return "port 0 is not valid"
    if not host.isascii():
        try:
            host.encode("idna")
        except UnicodeError:
            return "the host name is not a valid international domain name"
    return None


def load_list(source: str | Path, stdin: BinaryIO | None = None) -> UrlList:
    """Read a list from a path, or from stdin when `source` is `-`."""
    if str(source) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return parse_list(stream.read(), name="<stdin>", path=None)
    path = Path(source).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ListError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ListError(f"{path}: is a directory, not a list of URLs") from None
    except PermissionError:
        raise ListError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ListError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_list(data, name=path.name, path=path.resolve())


def parse_list(data: bytes, name: str, path: Path | None = None) -> UrlList:
    digest = hashlib.sha256(data).hexdigest()
    text = _decode(data, name)
    fmt = _detect_format(text, name)
    builder = _Builder()
    if fmt == "jsonl":
        _read_jsonl(text, builder)
    elif fmt in ("csv", "tsv"):
        _read_csv(text, "\t" if fmt == "tsv" else ",", builder)
    else:
        _read_text(text, builder)
    return UrlList(name, path, fmt, builder.rows, builder.count, digest, builder.problems)


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise ListError(f"{name}: looks like a binary file, not a list of URLs (it has NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the list as UTF-8"
        ) from None


def _detect_format(text: str, name: str) -> str:
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix == "tsv":
        return "tsv"
    if suffix == "csv":
        return "csv"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    header = [c.strip().strip('"').lower() for c in first.replace("\t", ",").split(",")]
    if any(key in header for key in URL_KEYS):
        return "tsv" if "\t" in first else "csv"
    return "text"


class _Builder:
    """Collects rows, merging duplicate URLs into one row."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.index: dict[str, int] = {}
        self.count = 0
        self.problems: list[str] = []

    def add(self, url: str, line: int, problem: str | None = None) -> None:
        self.count += 1
        url = url.strip()
        existing = self.index.get(url) if problem is None else None
        if existing is not None:
            self.rows[existing].lines.append(line)
            return
        row = Row(url=url, lines=[line])
        reason = problem or validate_url(url)
        if reason is not None:
            row.status = "invalid"
            row.reason = "invalid_url"
            row.message = reason
        self.rows.append(row)
        if problem is None:
            self.index[url] = len(self.rows) - 1


def _read_text(text: str, builder: _Builder) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        builder.add(stripped, number)


def _read_csv(text: str, delimiter: str, builder: _Builder) -> None:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    column = 0
    header_seen = False
    for record in reader:
        line = reader.line_num
        if not record or not any(cell.strip() for cell in record):
            continue
        if record[0].strip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            names = [cell.strip().lower() for cell in record]
            key = next((k for k in URL_KEYS if k in names), None)
            if key is not None:
                column = names.index(key)
                continue
        if column >= len(record):
            builder.add(",".join(record), line, f"no URL in column {column + 1}")
            continue
        builder.add(record[column], line)


def _read_jsonl(text: str, builder: _Builder) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as exc:
            builder.add(stripped, number, f"not valid JSON ({exc.msg})")
            continue
        if isinstance(record, str):
            builder.add(record, number)
            continue
        if not isinstance(record, dict):
            builder.add(stripped, number, "a JSON line must be an object with a url field")
            continue
        value = next((record[k] for k in URL_KEYS if k in record), None)
        if not isinstance(value, str):
            builder.add(stripped, number, "no url or image_url string field")
            continue
        builder.add(value, number)
