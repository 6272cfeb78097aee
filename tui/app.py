"""The review TUI: a virtual results table, a detail pane, keys for every decision.

One async worker owns the CheckEngine for the app's lifetime. Its sink only appends to a
buffer; a timer moves the buffer into the store every ~150 ms and posts one
`ResultsArrived` per batch, so 500 results/s cost a few redraws per second.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from dataclasses import replace
from functools import partial
from multiprocessing import resource_tracker

from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar
from textual.worker import Worker, WorkerState

from .commands import ReviewCommands
from .config import Config
from .engine.backend import Backend
from .engine.engine import CheckEngine, EngineSettings
from .exports import export
from .keys import REVIEW_BINDINGS
from .messages import ExportWritten, PreviewReady, ResultsArrived, RunFinished
from .preview import Previewer, PreviewError
from .schema import Override, Verdict
from .screens.confirm import ConfirmScreen
from .screens.export import ExportRequest, ExportScreen
from .screens.help import HelpScreen
from .screens.note import NoteScreen
from .store import JournalError, ResultStore
from .textsafe import display_url, plain
from .urllist import UrlList
from .view import FILTER_LABELS, FILTERS, SORT_LABELS, SORTS, ViewSpec, next_in, visible_indices
from .widgets.detail import DetailPane
from .widgets.header import Speedometer, StatusBar
from .widgets.results_table import ResultsTable

NARROW = 140  # columns below which the detail pane starts hidden (press d to show it)


class ReviewApp(App[int]):
    """Review a list's verdicts; `backend=None` shows a store without checking anything."""

    CSS_PATH = "app.tcss"
    TITLE = "portrait-review"
    COMMANDS = App.COMMANDS | {ReviewCommands}
    BINDINGS = REVIEW_BINDINGS

    def __init__(
        self,
        urllist: UrlList,
        store: ResultStore,
        backend: Backend | None = None,
        settings: EngineSettings | None = None,
        config: Config | None = None,
        *,
        image_protocol: str | None = None,
        previewer: Previewer | None = None,
        show_rate: bool = True,
        preview_delay: float = 0.25,
        flush_interval: float = 0.15,
        save_interval: float = 1.0,
    ) -> None:
        super().__init__()
        self.urllist = urllist
        self.store = store
        self.backend = backend
        self.settings = settings or EngineSettings()
        self.config = config or Config()
        self.image_protocol = image_protocol or self.config.image_protocol
        if previewer is None and self.image_protocol != "none":
            previewer = Previewer()
        self.previewer = previewer if self.image_protocol != "none" else None
        self.show_rate = show_rate
        self.preview_delay = preview_delay
        self.flush_interval = flush_interval
        self.save_interval = save_interval
        self.save_failed: str | None = None
        self.spec = ViewSpec()
        self.speed = Speedometer()
        self.engine: CheckEngine | None = None
        self.running = False
        self._buffer: list[tuple[int, Verdict]] = []
        self._rechecks: asyncio.Queue[list[int]] = asyncio.Queue()
        self._preview_timer: Timer | None = None
        self.set_keymap(self.config.keymap)
        # The engine's process pool starts multiprocessing's resource tracker, which passes
        # on sys.stderr's fd; once Textual captures stderr there is none, so start it now.
        resource_tracker.ensure_running()

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ProgressBar(total=len(self.store), show_eta=False, id="progress")
        with Horizontal(id="main"):
            yield ResultsTable(self.store, id="results")
            yield DetailPane(self.image_protocol, id="detail")
        yield Input(placeholder="filter by URL or reason; enter: back to the table", id="search")
        yield Footer(compact=True)

    @property
    def table(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    def on_mount(self) -> None:
        # The rows live as long as the app: keep gen-2 collections (a 100 ms stall at
        # 100k rows) from walking them again and again.
        gc.freeze()
        if self.size.width < NARROW:
            self.query_one(DetailPane).display = False  # `d` brings it back
        self.table.focus()
        self.table.set_visible(visible_indices(self.store.rows, self.spec))
        self.set_interval(self.flush_interval, self.flush_results)
        self.set_interval(self.save_interval, self.save)
        if self.backend is not None:
            self.run_engine()
        self.refresh_status()

    async def on_unmount(self) -> None:
        if self.previewer is not None:
            await self.previewer.close()

    # -- the engine -------------------------------------------------------------------
    @work(exclusive=True, group="engine", exit_on_error=False)
    async def run_engine(self) -> None:
        """Check every pending row, then wait for re-check requests until the app ends."""
        assert self.backend is not None
        async with CheckEngine(self.backend, self.settings) as engine:
            self.engine = engine
            jobs = self.store.jobs()
            while True:
                self.running = True
                self.speed.reset()
                self.call_later(self.refresh_status)
                report = await engine.run(jobs, self.sink)
                self.running = False
                self.post_message(RunFinished(report))
                jobs = self.store.jobs(await self._rechecks.get())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The engine worker died: say so instead of showing "checking" forever."""
        if event.worker.group == "engine" and event.state == WorkerState.ERROR:
            self.running = False
            self.refresh_status()
            error = event.worker.error
            self.notify(
                plain(f"{type(error).__name__}: {error}"),
                title="Checking failed",
                severity="error",
                markup=False,
            )

    def sink(self, index: int, verdict: Verdict) -> None:
        """Called by the engine per result: only buffer it (the timer does the rest)."""
        self._buffer.append((index, verdict))

    def flush_results(self) -> None:
        """Move buffered verdicts into the store; one message for the whole batch."""
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        for index, verdict in batch:
            self.store.apply(index, verdict)
        self.post_message(ResultsArrived(len(batch)))

    def on_results_arrived(self, message: ResultsArrived) -> None:
        self.speed.sample(self.store.done)
        self.refresh_rows()

    def on_run_finished(self, message: RunFinished) -> None:
        self.flush_results()
        self.refresh_status()
        if message.report.stopped:
            # The reason may quote a server's message: plain text, never markup.
            self.notify(
                plain(message.report.stopped),
                title="Checking stopped",
                severity="error",
                markup=False,
            )

    # -- redrawing --------------------------------------------------------------------
    def refresh_rows(self) -> None:
        """The store changed: re-filter when a filter is on, redraw table, detail, header."""
        if self.spec.is_identity:
            self.table.rows_changed()
        else:
            self.apply_view()
        self.show_current()
        self.refresh_status()

    def apply_view(self) -> None:
        self.table.set_visible(visible_indices(self.store.rows, self.spec), self.table.current)

    def refresh_status(self) -> None:
        if self.engine is not None and self.engine.paused:
            state = "paused"
        elif self.running:
            state = "checking"
        else:
            state = "done" if self.backend is not None else "not checking"
        view = f"{FILTER_LABELS[self.spec.filter]}, by {SORT_LABELS[self.spec.sort]}"
        if self.spec.text:
            view += f", text {self.spec.text!r}"
        view += f": {len(self.table.shown)} rows"
        self.query_one(StatusBar).show(
            self.store,
            list_name=self.urllist.name,
            backend=self.backend.label if self.backend is not None else "none",
            state=state,
            rate=self.speed.rate if self.show_rate else None,
            view=view,
        )
        progress = self.query_one(ProgressBar)
        progress.display = self.running
        progress.update(total=len(self.store), progress=self.store.done)

    def show_current(self) -> None:
        index = self.table.current
        row = None if index is None else self.store.rows[index]
        self.query_one(DetailPane).show_row(row, index)

    # -- the detail pane and previews -----------------------------------------------------
    def on_results_table_highlighted(self, message: ResultsTable.Highlighted) -> None:
        self.show_current()
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        index = message.index
        if index is None or self.previewer is None or not self.query_one(DetailPane).display:
            return
        if self.store.rows[index].status == "invalid":
            return
        if self.preview_delay <= 0:
            self.load_preview(index)
        else:
            self._preview_timer = self.set_timer(
                self.preview_delay, partial(self.load_preview, index)
            )

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def load_preview(self, index: int) -> None:
        """Fetch and decode one preview off the UI; the pane ignores it if the cursor moved."""
        assert self.previewer is not None
        row = self.store.rows[index]
        try:
            image = await self.previewer.get(row)
        except PreviewError as exc:
            self.post_message(PreviewReady(index, None, f"no preview: {exc}"))
        else:
            self.post_message(PreviewReady(index, image))

    def on_preview_ready(self, message: PreviewReady) -> None:
        self.query_one(DetailPane).show_preview(message.index, message.image, message.error)

    # -- view actions -------------------------------------------------------------------
    def action_cycle_filter(self) -> None:
        self.spec = replace(self.spec, filter=next_in(FILTERS, self.spec.filter))
        self.apply_view()
        self.refresh_status()

    def action_cycle_sort(self) -> None:
        self.spec = replace(self.spec, sort=next_in(SORTS, self.spec.sort))
        self.apply_view()
        self.refresh_status()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.spec = replace(self.spec, text=event.value)
        self.apply_view()
        self.refresh_status()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        search = self.query_one("#search", Input)
        search.display = False
        self.spec = ViewSpec(sort=self.spec.sort)
        with search.prevent(Input.Changed):
            search.value = ""
        self.apply_view()
        self.table.focus()
        self.refresh_status()

    def action_toggle_detail(self) -> None:
        detail = self.query_one(DetailPane)
        detail.display = not detail.display

    # -- decisions ----------------------------------------------------------------------
    def _override(self, override: Override, advance: bool) -> None:
        index = self.table.current
        if index is None:
            return
        self.store.set_override(index, override)
        self.refresh_rows()
        if advance:
            self.table.action_cursor_down()

    def action_accept(self) -> None:
        self._override("pass", advance=True)

    def action_reject(self) -> None:
        self._override("fail", advance=True)

    def action_clear_override(self) -> None:
        self._override(None, advance=False)

    def action_edit_note(self) -> None:
        """Write why a row was accepted or rejected; it is saved and exported with the row."""
        index = self.table.current
        if index is None:
            return

        def written(note: str | None) -> None:
            if note is not None:
                self.store.set_note(index, note)
                self.refresh_rows()

        row = self.store[index]
        self.push_screen(NoteScreen(row.url, row.note), written)

    def _recheck(self, indices: list[int]) -> None:
        if self.backend is None:
            self.notify("No backend: this review does not check.", severity="warning")
            return
        queued = self.store.reset(indices)
        if not queued:
            self.notify("Nothing to re-check.")
            return
        self._rechecks.put_nowait(queued)
        self.refresh_rows()
        self.notify(f"Re-checking {len(queued)} row{'s' * (len(queued) != 1)}.")

    def action_recheck(self) -> None:
        if self.table.current is not None:
            self._recheck([self.table.current])

    def action_recheck_errors(self) -> None:
        self._recheck(self.store.indices("error"))

    def action_toggle_pause(self) -> None:
        if self.engine is None:
            self.notify("Nothing is being checked.")
            return
        if self.engine.paused:
            self.engine.resume()
        else:
            self.engine.pause()
        self.refresh_status()

    def action_copy_url(self) -> None:
        index = self.table.current
        if index is None:
            return
        url = self.store.rows[index].url
        self.copy_to_clipboard(url)
        self.notify(display_url(url), title="URL copied", markup=False)

    # -- export ---------------------------------------------------------------------------
    def action_export(self) -> None:
        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self.write_export(request)

        self.push_screen(ExportScreen(self.urllist.path), chosen)

    @work(thread=True, group="export", exit_on_error=False)
    def write_export(self, request: ExportRequest) -> None:
        """Write in a thread (an atomic write of a 100k-row report takes a moment)."""
        try:
            count = export(list(self.store.rows), request.kind, request.path)
        except OSError as exc:
            self.post_message(ExportWritten(request.kind, str(request.path), 0, str(exc)))
        else:
            self.post_message(ExportWritten(request.kind, str(request.path), count))

    def on_export_written(self, message: ExportWritten) -> None:
        if message.error:
            self.notify(plain(message.error), title="Export failed", severity="error", markup=False)
            return
        what = "URLs" if message.kind in ("passing", "failing") else "rows"
        self.notify(f"{message.count} {what} -> {message.path}", title="Exported", markup=False)

    # -- help and quitting -------------------------------------------------------------------
    def action_help(self) -> None:
        bindings = [*ResultsTable.BINDINGS, *self.BINDINGS]
        self.push_screen(HelpScreen(bindings, self.config.keymap))  # type: ignore[arg-type]

    async def action_quit(self) -> None:
        self.action_quit_review()

    def action_quit_review(self) -> None:
        """Quit; ask first only while rows are still being checked."""
        if not (self.running and self.store.counts["pending"]):
            self.finish()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.finish()

        question = f"{self.store.counts['pending']} rows are still being checked. Quit anyway?"
        self.push_screen(ConfirmScreen(question, yes="Quit", no="Stay"), answered)

    def save(self) -> None:
        """Commit changed rows and overrides to the session (every second, and on quit), so a
        crash or a lost ssh connection loses at most the last second."""
        if self.save_failed:
            return
        try:
            self.store.flush()
        except JournalError as exc:
            # Nothing more can be saved: stop spending checks, keep the screen for review.
            self.save_failed = str(exc)
            if self.engine is not None:
                self.engine.cancel()
            self.notify(
                plain(f"{exc}. Checking stopped; run the same command again to resume."),
                title="Cannot save the session",
                severity="error",
                timeout=30,
                markup=False,
            )

    def finish(self) -> None:
        """Stop checking, keep what arrived, save the session, exit with 0."""
        if self.engine is not None:
            self.engine.cancel()
        self.flush_results()
        self.save()
        self.exit(0)


def run_app(
    urllist: UrlList,
    store: ResultStore,
    backend: Backend,
    settings: EngineSettings,
    config: Config,
    args: argparse.Namespace,
) -> int:
    """Run the review TUI on a list; returns the process exit code."""
    protocol = getattr(args, "image_protocol", None) or config.image_protocol
    app = ReviewApp(urllist, store, backend, settings, config, image_protocol=protocol)
    code = app.run()
    if app.save_failed:
        sys.stderr.write(f"portrait-review: {app.save_failed}; run the same command to resume\n")
        return 2
    store.flush()
    return (app.return_code or 0) if code is None else code
