"""Save an SVG of the headless `check` output (progress line and summary) on the demo set.

.venv/bin/python screenshots/check_screenshot.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

HERE = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PORTRAIT_REVIEW_DATA_DIR=tmp, PORTRAIT_REVIEW_CONFIG_DIR=tmp)
        result = subprocess.run(
            [sys.executable, "-m", "tui", "demo", "--check"],
            capture_output=True,
            text=True,
            env=env,
            cwd=HERE.parent,
            timeout=300,
        )
    lines = result.stderr.splitlines()
    console = Console(record=True, width=96, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(Text("$ portrait-review demo --check", style="bold"))
    console.print(Text("\n".join(lines[1:])))  # the first progress line is the 0% tick
    console.save_svg(str(HERE / "check.svg"), title="portrait-review check")
    print(f"wrote {HERE / 'check.svg'}")


if __name__ == "__main__":
    main()
