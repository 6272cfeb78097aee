"""Choosing and building a backend by name, from the config and flags."""

from __future__ import annotations

from .config import Config
from .engine.backend import Backend, RulesBackend

BACKENDS = ("local", "dashscope", "rules")


class BackendError(Exception):
    """The backend cannot start (no API key, unknown name); the message says what to do."""


def make_backend(name: str, config: Config, **options: object) -> Backend:
    if name == "rules":
        return RulesBackend()
    if name == "local":
        from .checker.local import LocalBackend

        return LocalBackend(**options)  # type: ignore[arg-type]
    if name == "dashscope":
        from .engine.dashscope import make_dashscope_backend

        return make_dashscope_backend(config, **options)
    raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
