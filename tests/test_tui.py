"""Pilot tests of the review TUI: every key, the export dialog, and a real end-to-end run."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual.command import CommandList
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import ReviewApp
from tui.config import Config
from tui.engine.backend import RulesBackend, StopRun
from tui.engine.engine import EngineSettings
from tui.exports import export
from tui.imagehost import ImageHost
from tui.messages import ExportWritten, PreviewReady, ResultsArrived, RunFinished
from tui.preview import StaticPreviewer, decode_preview
from tui.schema import Face, Row, Verdict
from tui.screens.confirm import ConfirmScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.note import NoteScreen
from tui.store import ResultStore
from tui.synthetic import portrait_image, synthetic_store
from tui.urllist import UrlList

SIZE = (140, 36)


def make_app(count: int = 200, **options: Any) -> ReviewApp:
    urllist, store = synthetic_store(count)
    options.setdefault("image_protocol", "none")
    return ReviewApp(urllist, store, show_rate=False, preview_delay=0, **options)


def record_notes(app: ReviewApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(str(message)))
    return notes


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 30) -> None:
    """Let the app run until `predicate` holds (network and process pool take real time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


async def test_100k_rows_and_cursor_keys() -> None:
    app = make_app(100_000)
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        assert len(table.shown) == 100_000 and table.current == 0
        await pilot.press("j", "j", "down")
        assert table.current == 3
        await pilot.press("k", "up")
        assert table.current == 1
        await pilot.press("G")
        assert table.current == 99_999
        assert table.scroll_y > 99_000
        await pilot.press("g")
        assert table.current == 0 and table.scroll_y == 0
        await pilot.press("pagedown")
        page = table.current
        assert page > 10
        await pilot.press("pageup")
        assert table.current == 0


async def test_f_cycles_the_status_filter() -> None:
    app = make_app()
    rows = app.store.rows
    async with app.run_test(size=SIZE) as pilot:
        seen = []
        for _ in range(6):
            await pilot.press("f")
            seen.append({rows[i].status for i in app.table.shown})
        assert seen[0] == {"fail"} | ({"invalid"} & {r.status for r in rows})
        assert seen[1:4] == [{"error"}, {"pass"}, {"pending"}]
        assert seen[5] == {s for s in (r.status for r in rows)}
        await pilot.press("f", "f", "f", "f", "f")  # overridden: none yet
        assert app.table.shown == []
        await pilot.press("escape")
        assert len(app.table.shown) == len(rows)


async def test_slash_filters_by_text_and_escape_clears() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        search = app.query_one("#search", Input)
        assert search.display and search.has_focus
        await pilot.press(*"side_face")
        assert app.table.shown
        assert all(app.store.rows[i].reason == "side_face" for i in app.table.shown)
        assert not any(r.override for r in app.store.rows)  # typing "a" did not accept
        await pilot.press("enter")
        assert app.table.has_focus
        await pilot.press("escape", "slash", *"portrait-00001")
        assert [app.store.rows[i].url[-10:] for i in app.table.shown][:2] == [
            "000010.jpg",
            "000011.jpg",
        ]
        await pilot.press("escape")
        assert not search.display and search.value == ""
        assert len(app.table.shown) == 200 and app.table.has_focus


async def test_s_cycles_the_sort_and_keeps_the_cursor_row() -> None:
    app = make_app()
    rows = app.store.rows
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j")
        chosen = app.table.current
        await pilot.press("s")  # status: fail first
        assert rows[app.table.shown[0]].status == "fail"
        assert app.table.current == chosen
        await pilot.press("s", "s", "s")  # reason, faces, ms: slowest first
        times = [rows[i].elapsed_ms or 0 for i in app.table.shown]
        assert times == sorted(times, reverse=True)
        await pilot.press("s", "s")
        assert app.table.shown == list(range(200))


async def test_accept_reject_and_clear_override() -> None:
    app = make_app()
    store = app.store
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # accept row 0 and move on
        assert store.rows[0].override == "pass" and app.table.current == 1
        await pilot.press("x")
        assert store.rows[1].override == "fail" and store.overridden == 2
        await pilot.press("k", "u")
        assert store.rows[1].override is None and store.overridden == 1
        line = "".join(s.text for s in app.table.render_line(1))
        assert "(accepted)" in line
        await pilot.press(*"fffff")  # the Overridden step
        assert app.table.shown == [0]


async def test_results_reach_the_ui_in_batches() -> None:
    app = make_app(2000)
    for row in app.store.rows:
        row.status = "pending"
    app.store.counts.clear()
    app.store.counts["pending"] = 2000
    arrived: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=arrived.append) as pilot:
        for index in range(1000):
            app.sink(index, Verdict("pass", "ok"))
        await wait_for(pilot, lambda: app.store.done == 1000)
        await pilot.pause()
        batches = [m for m in arrived if isinstance(m, ResultsArrived)]
        assert sum(m.count for m in batches) == 1000
        assert len(batches) <= 2  # one flush (two if the timer ticked mid-loop), never 1000


async def test_outside_text_is_shown_literally() -> None:
    rows = [Row("https://x.example/[bold]red[/bold]\x1b[31m.jpg", status="fail", reason="no_face")]
    rows[0].message = "[link=http://evil]click[/link]"
    urllist = UrlList("l", None, "txt", rows, 1, "0" * 64)
    app = ReviewApp(urllist, ResultStore(rows), image_protocol="none", show_rate=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = "".join(s.text for s in app.table.render_line(1))
        assert "\\x1b[31m.jpg" in line
        fields = str(app.query_one("#fields").render())
        assert "https://x.example/[bold]red[/bold]\\x1b[31m.jpg" in fields
        assert "[link=http://evil]click[/link]" in fields


async def test_y_copies_the_url_with_a_toast(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [Row("https://user:secret@x.example/a.jpg", status="pass", reason="ok")]
    urllist = UrlList("l", None, "txt", rows, 1, "0" * 64)
    app = ReviewApp(urllist, ResultStore(rows), image_protocol="none", show_rate=False)
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notes(app, monkeypatch)
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await pilot.press("y")
        assert copied == ["https://user:secret@x.example/a.jpg"]
        assert notes == ["https://user:***@x.example/a.jpg"]  # the toast masks the password


async def test_help_screen_lists_every_key_and_palette_runs_actions() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for b in app.screen.bindings}
        assert {"accept", "reject", "recheck-errors", "export", "cursor-down"} <= ids
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"Export")
        await wait_for(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))


async def test_config_keymap_remaps_bindings() -> None:
    app = make_app(config=Config(keymap={"accept": "A", "cursor-down": "n"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert app.store.rows[0].override is None
        await pilot.press("A")
        assert app.store.rows[0].override == "pass"
        await pilot.press("n")
        assert app.table.current == 2


async def test_export_dialog_writes_passing_urls(tmp_path: Path) -> None:
    app = make_app()
    app.urllist.path = tmp_path / "people.txt"
    messages: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("a", "x")  # accept row 0, reject row 1
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        path = app.screen.query_one("#export-path", Input)
        assert path.value == str(tmp_path / "people.passing.txt")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        [written] = [m for m in messages if isinstance(m, ExportWritten)]
    rows = app.store.rows
    expected = [r.url for r in rows if (r.override or r.status) == "pass"]
    assert rows[0].url in expected and rows[1].url not in expected
    assert (tmp_path / "people.passing.txt").read_text().splitlines() == expected
    assert written.count == len(expected)
    assert [p.name for p in tmp_path.iterdir()] == ["people.passing.txt"]  # no temp left


async def test_export_kind_changes_the_path_and_overwrite_asks(tmp_path: Path) -> None:
    app = make_app()
    app.urllist.path = tmp_path / "people.txt"
    target = tmp_path / "people.report.csv"
    target.write_text("old\n")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        screen = app.screen
        await pilot.press("shift+tab")  # from the path back into the radio set
        await pilot.press("down", "down", "enter")  # Full report, CSV
        assert screen.query_one("#export-path", Input).value == str(target)
        screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep: nothing written, the dialog stays
        assert app.screen is screen and target.read_text() == "old\n"
        await pilot.press("enter")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    text = target.read_text()
    assert text.startswith("url,lines,status") and len(text.splitlines()) == 201


async def test_q_quits_at_once_when_idle_and_flushes_the_store() -> None:
    app = make_app()
    flushed: list[bool] = []
    app.store.flush = lambda: flushed.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and flushed


async def test_preview_comes_from_a_worker_for_the_selected_row() -> None:
    messages: list[Message] = []
    app = make_app(previewer=StaticPreviewer(portrait_image()), image_protocol="halfcell")
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        ready = [m for m in messages if isinstance(m, PreviewReady)]
        assert ready[-1].index == 1 and ready[-1].image is not None
        assert app.query_one("#preview").display
        await pilot.press("d")
        assert not app.query_one("#detail").display


def test_decode_preview_is_small_and_draws_face_boxes() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 2400), (0, 0, 0)).save(buffer, "JPEG")
    image = decode_preview(buffer.getvalue(), [Face((500, 600, 1000, 1000), 0.9)], side=240)
    assert max(image.size) == 240
    assert image.getpixel((60, 60))[0] > 200  # the box's top-left corner, scaled by 0.1


def test_preview_of_an_exif_rotated_photo_is_upright_with_the_box_in_place() -> None:
    # Stored 2400 wide x 2000 high with orientation 6: shown 2000 wide x 2400 high, like the
    # checker sees it; the face box is in those upright pixels.
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 2000), (0, 0, 0)).save(buffer, "JPEG", exif=exif)
    image = decode_preview(buffer.getvalue(), [Face((500, 600, 1000, 1000), 0.9)], side=240)
    assert image.size == (200, 240)
    assert image.getpixel((51, 61))[0] > 200  # the box corner at (50, 60) after scaling
    assert image.getpixel((195, 235))[0] < 50  # no box drawn in the far corner


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    portrait_image(width, height).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_end_to_end_rules_backend_then_recheck_errors(image_host: ImageHost) -> None:
    urls = [
        image_host.add("/ok.jpg", _jpeg(400, 500), content_type="image/jpeg"),
        image_host.add("/wide.jpg", _jpeg(900, 300), content_type="image/jpeg"),
        image_host.url("/missing.jpg"),
        image_host.add("/flaky.jpg", b"busy", status=503),
    ]
    rows = [Row(url, lines=[n + 1]) for n, url in enumerate(urls)]
    store = ResultStore(rows)
    urllist = UrlList("e2e.txt", None, "txt", rows, 4, "0" * 64)
    settings = EngineSettings(concurrency=4, processes=1, timeout=10)
    app = ReviewApp(
        urllist, store, RulesBackend(), settings, image_protocol="none", show_rate=False
    )
    messages: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, lambda: any(isinstance(m, RunFinished) for m in messages))
        await pilot.pause()
        assert [(r.status, r.reason) for r in rows] == [
            ("pass", "ok"),
            ("fail", "aspect_ratio"),
            ("fail", "download_failed"),
            ("error", "network"),
        ]
        image_host.add("/flaky.jpg", _jpeg(500, 500), content_type="image/jpeg")
        await pilot.press("R")
        await wait_for(pilot, lambda: rows[3].status == "pass")
        await pilot.press("p")
        assert app.engine is not None and app.engine.paused
        await pilot.press("p")
        assert not app.engine.paused
        await pilot.press("G", "r")  # re-check the selected row
        await wait_for(pilot, lambda: image_host.hits["/flaky.jpg"] == 3)
        await wait_for(pilot, lambda: rows[3].status == "pass")
        assert store.counts["pending"] == 0


async def test_q_asks_while_checking(image_host: ImageHost) -> None:
    slow = image_host.add("/slow.jpg", _jpeg(100, 100), delay=5)
    rows = [Row(slow, lines=[1])]
    urllist = UrlList("slow.txt", None, "txt", rows, 1, "0" * 64)
    app = ReviewApp(
        urllist,
        ResultStore(rows),
        RulesBackend(),
        EngineSettings(processes=1),
        image_protocol="none",
        show_rate=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.running)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0 and rows[0].status == "pending"


async def test_narrow_terminal_starts_without_the_detail_pane() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.query_one("#detail").display
        await pilot.press("d")
        assert app.query_one("#detail").display


async def test_n_writes_a_note_that_is_kept_and_exported(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "k", "n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"blurry [bold]", "enter")
        assert app.store[0].note == "blurry [bold]"
        await pilot.press("n", "escape")  # escape keeps the note as it was
        assert app.store[0].note == "blurry [bold]" and app.store[0].override == "fail"
    export(app.store.rows, "jsonl", tmp_path / "r.jsonl")
    assert '"note": "blurry [bold]"' in (tmp_path / "r.jsonl").read_text()


class _StopsWithAHostileMessage(RulesBackend):
    """A backend whose server says something hostile when it stops the run."""

    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        raise StopRun("[bold red]key rejected\x1b[2J")


async def test_a_stop_message_from_a_server_is_shown_as_plain_text(
    image_host: ImageHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = image_host.add("/a.jpg", _jpeg(300, 400))
    urllist = UrlList("l.txt", None, "text", [Row(url, [1])], 1, "0" * 64)
    store = ResultStore(urllist.rows)
    app = ReviewApp(
        urllist,
        store,
        _StopsWithAHostileMessage(),
        EngineSettings(concurrency=1),
        Config(),
        image_protocol="none",
        show_rate=False,
    )
    shown: list[tuple[str, bool]] = []
    monkeypatch.setattr(
        app, "notify", lambda message, **kw: shown.append((str(message), kw.get("markup", True)))
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(shown))
    [(message, markup)] = shown
    assert markup is False
    assert "\x1b" not in message and "[bold red]key rejected\\x1b[2J" in message
