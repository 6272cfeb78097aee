"""Drive the review TUI headless on synthetic rows and save SVG screenshots beside this file.

Run: .venv/bin/python screenshots/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tui.app import ReviewApp  # noqa: E402
from tui.preview import StaticPreviewer  # noqa: E402
from tui.synthetic import portrait_image, synthetic_store  # noqa: E402

SIZE = (150, 42)


async def shoot(name: str, keys: tuple[str, ...], preview: bool = False) -> Path:
    urllist, store = synthetic_store(12_000)
    app = ReviewApp(
        urllist,
        store,
        image_protocol="halfcell" if preview else "none",
        previewer=StaticPreviewer(portrait_image()) if preview else None,
        show_rate=False,
        preview_delay=0,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


async def main() -> None:
    shots = [
        await shoot("main", ("d", "j", "j", "j")),
        await shoot("failures-detail", ("f", "j", "j", "x", "k"), preview=True),
        await shoot("export", ("e",)),
    ]
    for path in shots:
        print(path)


if __name__ == "__main__":
    asyncio.run(main())
