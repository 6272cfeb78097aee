"""The config file, environment overrides and flags, as the front ends read them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.backends import BackendError, make_backend
from tui.config import ConfigError, config_path, load_config


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config = load_config()
    assert (config.backend, config.concurrency, config.timeout) == ("local", 16, 30.0)
    assert config.endpoint == "https://dashscope.aliyuncs.com/api/v1"
    assert config.api_key is None


def test_file_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        '[check]\nconcurrency = 4\nrate = 2.5\n[dashscope]\nendpoint = "http://127.0.0.1:1/api/v1"\n'
        '[keys]\naccept = "a,enter"\n[local]\nmax_yaw = 45\n'
    )
    monkeypatch.setenv("PORTRAIT_REVIEW_CONCURRENCY", "8")
    config = load_config()
    assert config.concurrency == 8 and config.rate == 2.5
    assert config.endpoint == "http://127.0.0.1:1/api/v1"
    assert config.keymap == {"accept": "a,enter"}
    backend = make_backend("local", config)
    assert backend.thresholds.max_yaw == 45.0  # type: ignore[attr-defined]
    default = make_backend("local", load_config(Path("/nonexistent.toml")))
    assert backend.version != default.version  # type: ignore[attr-defined]


def test_environment_key_wins_over_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('[dashscope]\napi_key = "sk-from-file"\n')
    assert load_config().api_key == "sk-from-file"
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-env")
    assert load_config().api_key == "sk-from-env"
    assert "sk-from" not in repr(load_config())


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[check\nconcurrency = 4\n", "cannot read"),
        ('[check]\nconcurrency = "many"\n', "[check] concurrency"),
        ("[check]\nconcurrency = 2.5\n", "expected int"),
        ("[keys]\naccept = 1\n", "[keys]"),
    ],
)
def test_bad_files_get_a_message_naming_the_place(text: str, needle: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert needle in str(info.value) and str(config_path()) in str(info.value)


def test_unknown_threshold_is_refused() -> None:
    write_config("[local]\nmax_jaw = 45\n")
    with pytest.raises(BackendError, match="max_jaw"):
        make_backend("local", load_config())


def test_a_broken_config_file_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    write_config("[check]\nconcurrency = -\n")
    listing = tmp_path / "l.txt"
    listing.write_text("http://127.0.0.1:9/a.jpg\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(listing)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert result.returncode == 2
    assert "config.toml" in result.stderr and "Traceback" not in result.stderr


def test_key_set_stores_the_key_0600_and_never_prints_it() -> None:
    key = "sk-0123456789abcdef0123"
    result = subprocess.run(
        [sys.executable, "-m", "tui", "key", "set"],
        input=key + "\n",
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert key not in result.stdout + result.stderr
    path = config_path()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_config().api_key == key
