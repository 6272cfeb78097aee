"""Drive the review TUI headless and save SVG screenshots beside this file.

`main` and `failures-detail` show the demo's real sample photos checked by the embedded
checker, with a real preview and face box; `export` shows 12,000 synthetic rows.

Run: .venv/bin/python screenshots/make_screenshots.py   (needs the `demo` extra)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tui.app import ReviewApp  # noqa: E402
from tui.checker.local import LocalBackend  # noqa: E402
from tui.demo import NOT_A_URL, build_samples, sample_photos  # noqa: E402
from tui.engine.engine import EngineSettings  # noqa: E402
from tui.imagehost import ImageHost  # noqa: E402
from tui.store import ResultStore  # noqa: E402
from tui.synthetic import synthetic_store  # noqa: E402
from tui.urllist import parse_list  # noqa: E402

SIZE = (150, 42)


async def shoot_synthetic(name: str, keys: tuple[str, ...]) -> Path:
    urllist, store = synthetic_store(12_000)
    app = ReviewApp(urllist, store, image_protocol="none", show_rate=False, preview_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


async def shoot_demo(name: str, keys: tuple[str, ...]) -> Path:
    """The demo's photos on a loopback host, checked for real, then reviewed."""
    photos, _ = sample_photos()
    with ImageHost() as host:
        samples = build_samples(photos)
        for sample in samples:
            if sample.body is not None:
                host.add("/" + sample.name, sample.body, content_type=sample.content_type)
        text = "\n".join([*(host.url("/" + s.name) for s in samples), NOT_A_URL])
        urllist = parse_list(text.encode(), name="demo.txt")
        store = ResultStore(urllist.rows)
        app = ReviewApp(
            urllist,
            store,
            LocalBackend(),
            EngineSettings(concurrency=4),
            image_protocol="halfcell",
            show_rate=False,
            preview_delay=0,
        )
        async with app.run_test(size=SIZE) as pilot:
            while store.counts["pending"] or app.running:
                await pilot.pause(0.1)
            await pilot.press(*keys)
            # The engine worker lives as long as the app (it waits for re-checks), so wait
            # for the preview worker by time rather than for every worker.
            await pilot.pause(1.5)
            return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


async def main() -> None:
    shots = [
        await shoot_demo("main", ()),
        # Fail filter, cursor on the tiny face: the box is drawn on the preview.
        await shoot_demo("failures-detail", ("f", "j", "j", "j")),
        await shoot_synthetic("export", ("e",)),
    ]
    for path in shots:
        print(path)


if __name__ == "__main__":
    asyncio.run(main())
