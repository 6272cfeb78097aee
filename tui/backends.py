"""Choosing and building a backend by name, from the config and flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config
from .engine.backend import Backend, RulesBackend

if TYPE_CHECKING:
    from .checker.decide import Thresholds

BACKENDS = ("local", "dashscope", "rules")


class BackendError(Exception):
    """The backend cannot start (no API key, unknown name); the message says what to do."""


def local_thresholds(config: Config) -> Thresholds:
    """The embedded checker's thresholds, with the config file's `[local]` overrides."""
    from dataclasses import fields, replace

    from .checker.decide import DEFAULT_THRESHOLDS

    known = {f.name for f in fields(DEFAULT_THRESHOLDS)}
    unknown = sorted(set(config.thresholds) - known)
    if unknown:
        raise BackendError(
            f"unknown [local] threshold(s) {', '.join(unknown)} in the config file; "
            f"known: {', '.join(sorted(known))}"
        )
    return replace(DEFAULT_THRESHOLDS, **config.thresholds)


def make_backend(name: str, config: Config, **options: object) -> Backend:
    if name == "rules":
        return RulesBackend()
    if name == "local":
        from .checker.local import LocalBackend

        return LocalBackend(local_thresholds(config))
    if name == "dashscope":
        from .engine.dashscope import make_dashscope_backend

        return make_dashscope_backend(config, **options)
    raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
