"""The one result schema shared by the engine, the store, the TUI, `check` and `serve`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Status = Literal["pass", "fail", "error", "invalid", "pending"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "invalid", "pending")
Override = Literal["pass", "fail"] | None

# Reasons a row can carry. `ok` goes with pass; the rest explain fail/error/invalid.
REASONS: tuple[str, ...] = (
    "ok",
    "no_face",
    "face_too_small",
    "side_face",
    "occluded",
    "unsupported_format",
    "file_too_large",
    "image_too_large",
    "aspect_ratio",
    "corrupt_image",
    "download_failed",
    "timeout",
    "network",
    "api_error",
    "invalid_url",
    "moderation",
    "rejected",
    "account",
    "cancelled",
)
# Reasons whose rows are worth checking again without any change (transient).
RETRYABLE_REASONS = frozenset({"timeout", "network", "api_error", "cancelled"})


@dataclass(slots=True)
class Face:
    """One detected face: box in original-image pixels, detector score, estimated yaw in degrees."""

    box: tuple[int, int, int, int]
    score: float
    yaw: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "score": round(self.score, 3),
            "yaw": None if self.yaw is None else round(self.yaw, 1),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Face:
        box = data.get("box") or (0, 0, 0, 0)
        return cls(
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])),
            score=float(data.get("score") or 0.0),
            yaw=None if data.get("yaw") is None else float(data["yaw"]),
        )


@dataclass(slots=True)
class Verdict:
    """What one check of one URL produced; the engine's only output."""

    status: Status
    reason: str
    message: str = ""
    format: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    faces: list[Face] | None = None
    backend: str | None = None
    request_id: str | None = None
    elapsed_ms: int | None = None
    checked_at: float | None = None
    image_count: int = 0  # images billed by a paid API for this check
    etag: str | None = None
    last_modified: str | None = None

    @property
    def retryable(self) -> bool:
        return self.status == "error"


@dataclass(slots=True)
class Row:
    """One unique URL of the input list with its latest verdict and the operator's override."""

    url: str
    lines: list[int] = field(default_factory=list)
    status: Status = "pending"
    reason: str = ""
    message: str = ""
    format: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    faces: list[Face] | None = None
    backend: str | None = None
    request_id: str | None = None
    elapsed_ms: int | None = None
    override: Override = None
    checked_at: float | None = None
    note: str = ""
    image_count: int = 0
    # Validators the image host gave (for the verdict cache; not part of reports).
    etag: str | None = None
    last_modified: str | None = None

    @property
    def effective(self) -> Status:
        """The verdict that counts for exports: the override wins over the check."""
        return self.override or self.status

    @property
    def checkable(self) -> bool:
        return self.status != "invalid"

    def apply(self, verdict: Verdict) -> None:
        """Take a verdict's fields; the override and note are the operator's and stay."""
        for name in _VERDICT_INTO_ROW:
            setattr(self, name, getattr(verdict, name))
        if self.checked_at is None:
            self.checked_at = time.time()

    def reset(self) -> None:
        """Back to pending (for a re-check); the override stays."""
        for name in _VERDICT_INTO_ROW:
            setattr(self, name, _ROW_DEFAULTS[name])
        self.status = "pending"

    def to_json(self) -> dict[str, Any]:
        """The report/storage form (plain attribute reads: `asdict` deep-copies, 8x slower)."""
        data = {name: getattr(self, name) for name in ROW_FIELDS}
        data["lines"] = list(self.lines)
        data["faces"] = None if self.faces is None else [f.to_json() for f in self.faces]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        kwargs = {k: data[k] for k in ROW_FIELDS if k in data}
        faces = kwargs.get("faces")
        kwargs["faces"] = None if faces is None else [Face.from_json(f) for f in faces]
        kwargs["lines"] = list(kwargs.get("lines") or [])
        return cls(**kwargs)


# Field order of exported reports (JSONL keys, CSV columns).
ROW_FIELDS: tuple[str, ...] = (
    "url",
    "lines",
    "status",
    "reason",
    "message",
    "format",
    "bytes",
    "width",
    "height",
    "faces",
    "backend",
    "request_id",
    "elapsed_ms",
    "override",
    "checked_at",
    "note",
    "image_count",
)
_VERDICT_INTO_ROW = tuple(
    f.name for f in fields(Verdict) if f.name in {g.name for g in fields(Row)}
)
_ROW_DEFAULTS = {
    f.name: (f.default_factory() if callable(f.default_factory) else f.default)  # type: ignore[misc]
    for f in fields(Row)
}
# What a check found about the image: a cached verdict replays exactly these (not what was
# billed, nor the host's validators).
FINDINGS: tuple[str, ...] = tuple(
    name for name in _VERDICT_INTO_ROW if name not in ("image_count", "etag", "last_modified")
)
