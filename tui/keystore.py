"""Saving the DashScope API key into the config file, readable by its owner only (0600).

The file is edited as text so the user's comments and other settings stay as they were.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .config import config_path
from .fileio import atomic_write

_KEY = re.compile(r"[\x21-\x7e]{8,200}")  # printable ASCII, no spaces: what keys look like
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
_API_KEY_LINE = re.compile(r"^\s*api_key\s*=")


class KeyStoreError(Exception):
    """The key or the config file is unusable; the message never contains the key."""


def save_api_key(key: str, path: Path | None = None) -> Path:
    """Set `[dashscope] api_key` in the config file (created 0600 if absent)."""
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise KeyStoreError("that does not look like an API key (8-200 printable characters)")
    path = path or config_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = _with_key(text, f"api_key = {json.dumps(key)}")
    try:
        tomllib.loads(updated)
    except tomllib.TOMLDecodeError:
        raise KeyStoreError(f"{path}: not valid TOML; fix it, then save the key again") from None
    _write_private(path, updated)
    return path


def _with_key(text: str, line: str) -> str:
    lines = text.splitlines()
    section = None
    insert_at = None
    for i, current in enumerate(lines):
        match = _SECTION.match(current)
        if match:
            section = match.group(1).strip()
            if section == "dashscope":
                insert_at = i + 1
            continue
        if section == "dashscope" and _API_KEY_LINE.match(current):
            lines[i] = line
            return "\n".join(lines) + "\n"
    if insert_at is not None:
        lines.insert(insert_at, line)
    else:
        lines += ([""] if lines else []) + ["[dashscope]", line]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Atomic replace, private from the first byte: the key is never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, [text], mode=0o600)
