"""What opening a review's session costs: a new 100,000-URL list, then resuming it,
against parsing the list alone (the floor: the session adds SQLite on top)."""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

from _common import command_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PORTRAIT_REVIEW_DATA_DIR"] = str(Path(tmp) / "data")
        from tui.config import Config
        from tui.engine.backend import RulesBackend
        from tui.sessions import open_review
        from tui.urllist import parse_list

        listing = Path(tmp) / "urls.txt"
        listing.write_text("".join(f"https://img.example.com/p/{i}.jpg\n" for i in range(args.n)))
        flags = argparse.Namespace(session=None, fresh=False, no_cache=False, retry_errors=False)
        started = time.perf_counter()
        parse_list(listing.read_bytes(), listing.name, listing)
        floor = time.perf_counter() - started
        print(f"command: {command_line()}")
        print(f"{args.n} URLs; parsing the list alone: {floor:.2f} s")
        for label in ("new session", "resumed session"):
            started = time.perf_counter()
            urllist = parse_list(listing.read_bytes(), listing.name, listing)
            _, session = open_review(urllist, flags, RulesBackend(), Config(), io.StringIO())
            elapsed = time.perf_counter() - started
            session.close()
            print(f"{label:16} {elapsed:.2f} s ({elapsed / floor:.1f}x parsing alone)")


if __name__ == "__main__":
    main()
