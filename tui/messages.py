"""Messages the app's workers and timers post; workers never touch widgets themselves."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from textual.message import Message

from .engine.engine import RunReport


@dataclass
class ResultsArrived(Message):
    """A batch of verdicts went into the store (one message per flush, not per result)."""

    count: int


@dataclass
class RunFinished(Message):
    """One engine run (the first pass or a re-check) ended."""

    report: RunReport


@dataclass
class PreviewReady(Message):
    """The preview of row `index` is decoded (or failed with `error`)."""

    index: int
    image: Image.Image | None
    error: str = ""


@dataclass
class ExportWritten(Message):
    """An export file was written (or failed with `error`)."""

    kind: str
    path: str
    count: int
    error: str = ""
