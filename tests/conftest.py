"""Shared fixtures: a real loopback image host, and config/data dirs isolated per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.imagehost import ImageHost


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's config, sessions or cache, nor sees a key."""
    monkeypatch.setenv("PORTRAIT_REVIEW_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PORTRAIT_REVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    """A real HTTP server on 127.0.0.1 serving the bytes a test registers."""
    with ImageHost() as host:
        yield host
