"""Reading URL lists: every non-blank, non-comment line ends as exactly one row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tui.urllist import ListError, load_list, parse_list, validate_url


def test_plain_text_skips_blanks_and_comments_and_merges_duplicates() -> None:
    data = b"# my list\n\nhttp://a.test/1.jpg\n  http://a.test/2.jpg  \nhttp://a.test/1.jpg\n"
    urls = parse_list(data, "urls.txt")
    assert urls.format == "text"
    assert [r.url for r in urls.rows] == ["http://a.test/1.jpg", "http://a.test/2.jpg"]
    assert urls.rows[0].lines == [3, 5]
    assert urls.rows[1].lines == [4]
    assert urls.lines == 3


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("file:///etc/passwd", "file: URLs are not accepted"),
        ("ftp://host/a.jpg", "ftp: URLs are not accepted"),
        ("javascript:alert(1)", "javascript: URLs"),
        ("just some words", "whitespace"),
        ("photo.jpg", "needs http:// or https://"),
        ("http://host/a\x1b[31m.jpg", "control characters"),
        ("http://", "no host"),
        ("http://h:99999/x", "not a valid URL"),
        ("http://h/a b.jpg", "whitespace"),
    ],
)
def test_bad_lines_become_invalid_rows_with_a_message(line: str, needle: str) -> None:
    urls = parse_list(f"http://ok.test/a.jpg\n{line}\n".encode(), "urls.txt")
    assert len(urls.rows) == 2
    row = urls.rows[1]
    assert row.status == "invalid"
    assert row.reason == "invalid_url"
    assert needle in row.message
    assert row.lines == [2]


@pytest.mark.parametrize(
    "url",
    [
        "https://a.test/x.jpg?sig=1&b=2#frag",
        "HTTP://A.TEST/X.JPG",
        "http://127.0.0.1:8080/a.png",
        "http://[::1]:8080/a.png",
        "http://user:pw@a.test/x.jpg",
        "http://bücher.example/x.jpg",
    ],
)
def test_good_urls_are_accepted(url: str) -> None:
    assert validate_url(url) is None


def test_csv_uses_the_url_column_and_counts_lines() -> None:
    data = b"id,image_url,name\n1,http://a.test/1.jpg,x\n2,http://a.test/2.jpg,y\n3,,z\n"
    urls = parse_list(data, "list.csv")
    assert urls.format == "csv"
    assert [r.url for r in urls.rows] == ["http://a.test/1.jpg", "http://a.test/2.jpg", ""]
    assert urls.rows[2].status == "invalid"
    assert urls.rows[2].lines == [4]


def test_csv_without_header_uses_first_column_and_tsv_is_detected() -> None:
    assert [r.url for r in parse_list(b"http://a.test/1.jpg,foo\n", "l.csv").rows] == [
        "http://a.test/1.jpg"
    ]
    tsv = parse_list(b"name\turl\nx\thttp://a.test/1.jpg\n", "list.txt")
    assert tsv.format == "tsv"
    assert tsv.rows[0].url == "http://a.test/1.jpg"


def test_jsonl_reads_url_fields_and_keeps_bad_lines_as_rows() -> None:
    data = (
        b'{"url": "http://a.test/1.jpg"}\n{"image_url": "http://a.test/2.jpg"}\n'
        b'not json\n{"x": 1}\n'
    )
    urls = parse_list(data, "list.jsonl")
    assert [r.status for r in urls.rows] == ["pending", "pending", "invalid", "invalid"]
    assert "not valid JSON" in urls.rows[2].message
    assert "no url" in urls.rows[3].message
    # Detected from content too.
    assert parse_list(b'{"url": "http://a.test/1.jpg"}\n', "list").format == "jsonl"


def test_stdin_and_files(tmp_path: Path) -> None:
    urls = load_list("-", stdin=io.BytesIO(b"http://a.test/1.jpg\n"))
    assert urls.path is None and urls.name == "<stdin>"
    path = tmp_path / "l.txt"
    path.write_bytes(b"\xef\xbb\xbfhttp://a.test/1.jpg\r\nhttp://a.test/2.jpg\r\n")
    rows = load_list(path).rows
    assert [r.url for r in rows] == ["http://a.test/1.jpg", "http://a.test/2.jpg"]


def test_binary_or_non_utf8_or_missing_files_get_a_clear_message(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ListError, match="binary"):
        load_list(binary)
    latin = tmp_path / "l.txt"
    latin.write_bytes("http://a.test/caf\xe9.jpg\n".encode("latin-1"))
    with pytest.raises(ListError, match="not UTF-8"):
        load_list(latin)
    with pytest.raises(ListError, match="no such file"):
        load_list(tmp_path / "missing.txt")
    with pytest.raises(ListError, match="directory"):
        load_list(tmp_path)


def test_a_big_list_with_garbage_keeps_every_line() -> None:
    lines = [f"http://a.test/{i}.jpg" if i % 10 else f"garbage {i}" for i in range(5000)]
    urls = parse_list("\n".join(lines).encode(), "big.txt")
    assert len(urls.rows) == 5000
    assert urls.invalid == 500
