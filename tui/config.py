"""Settings: a TOML file under the platformdirs config dir, environment over it, flags over both."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "portrait-review"
ENV_PREFIX = "PORTRAIT_REVIEW_"


class ConfigError(Exception):
    """The config file cannot be read or holds a wrong value; the message says where."""


def config_dir() -> Path:
    return Path(os.environ.get(ENV_PREFIX + "CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(os.environ.get(ENV_PREFIX + "DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass
class Config:
    """Everything the front ends read; defaults are what a new user gets."""

    backend: str = "local"
    concurrency: int = 16
    rate: float | None = None
    timeout: float = 30.0
    processes: int | None = None
    image_protocol: str = "auto"
    dashscope_endpoint: str | None = None
    dashscope_api_key: str | None = field(default=None, repr=False)
    dashscope_rate: float = 5.0
    keymap: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    path: Path | None = None

    @property
    def api_key(self) -> str | None:
        """DASHSCOPE_API_KEY wins over the config file's key."""
        return os.environ.get("DASHSCOPE_API_KEY") or self.dashscope_api_key

    @property
    def endpoint(self) -> str:
        return (
            self.dashscope_endpoint
            or os.environ.get("DASHSCOPE_HTTP_BASE_URL")
            or "https://dashscope.aliyuncs.com/api/v1"
        )


_KEYS: dict[tuple[str, str], tuple[str, type]] = {
    ("check", "backend"): ("backend", str),
    ("check", "concurrency"): ("concurrency", int),
    ("check", "rate"): ("rate", float),
    ("check", "timeout"): ("timeout", float),
    ("check", "processes"): ("processes", int),
    ("ui", "image_protocol"): ("image_protocol", str),
    ("dashscope", "endpoint"): ("dashscope_endpoint", str),
    ("dashscope", "api_key"): ("dashscope_api_key", str),
    ("dashscope", "rate"): ("dashscope_rate", float),
}
_ENV: dict[str, tuple[str, type]] = {
    "BACKEND": ("backend", str),
    "CONCURRENCY": ("concurrency", int),
    "RATE": ("rate", float),
    "TIMEOUT": ("timeout", float),
    "IMAGE_PROTOCOL": ("image_protocol", str),
}


def load_config(path: Path | None = None) -> Config:
    """Read the config file (absent is fine), then apply PORTRAIT_REVIEW_* variables."""
    path = path or config_path()
    config = Config(path=path)
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
        _apply_file(config, data, path)
    for name, (attr, kind) in _ENV.items():
        raw = os.environ.get(ENV_PREFIX + name)
        if raw:
            setattr(config, attr, _convert(raw, kind, f"${ENV_PREFIX}{name}"))
    return config


def _apply_file(config: Config, data: dict[str, Any], path: Path) -> None:
    for (section, key), (attr, kind) in _KEYS.items():
        value = data.get(section, {}).get(key)
        if value is not None:
            setattr(config, attr, _convert(value, kind, f"{path}: [{section}] {key}"))
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f'{path}: [keys] maps binding ids to keys, e.g. accept = "a,enter"')
    config.keymap = dict(keys)
    thresholds = data.get("local", {})
    if not isinstance(thresholds, dict):
        raise ConfigError(f"{path}: [local] must be a table of thresholds")
    config.thresholds = {
        k: _convert(v, float, f"{path}: [local] {k}") for k, v in thresholds.items()
    }


def _convert(value: Any, kind: type, where: str) -> Any:
    try:
        if kind is int and isinstance(value, float):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None
