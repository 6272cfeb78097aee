"""Writing a file so that readers never see half of it: temp file, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _default_mode() -> int:
    """What a plain `open(path, "w")` would give: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, lines: Iterable[str], mode: int | None = None) -> None:
    """Stream `lines` into a temp file beside `path`, then rename it over `path`.

    The temp file is private (0600) while it is written; it gets `mode` (default: the
    umask's usual mode) before the rename, so a secret is never readable by others, even
    briefly, and an export is as readable as any file the user makes.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
