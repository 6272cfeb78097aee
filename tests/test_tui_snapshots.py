"""SVG snapshots of the review TUI on fixed synthetic rows (no timing, no network)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import ReviewApp
from tui.preview import StaticPreviewer
from tui.synthetic import portrait_image, synthetic_store

SIZE = (150, 40)


def make_app(preview: bool = False) -> ReviewApp:
    urllist, store = synthetic_store(500)
    return ReviewApp(
        urllist,
        store,
        image_protocol="halfcell" if preview else "none",
        previewer=StaticPreviewer(portrait_image()) if preview else None,
        show_rate=False,
        preview_delay=0,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for workers (the preview) and for the screen to redraw; no blinking cursors."""
    await pilot.app.workers.wait_for_complete()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_main_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("d")  # table only
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_failure_filter_sorted_by_reason(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("f", "s", "s", "j", "j")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_detail_pane_with_preview_and_face_box(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("f", "j", "a")  # a failure, accepted by hand: shows the marker
        await pilot.press("k")
        await settle(pilot)

    assert snap_compare(make_app(preview=True), terminal_size=SIZE, run_before=run_before)


def test_export_dialog(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
