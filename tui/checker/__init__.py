"""The embedded offline checker (`--backend local`): predicts liveportrait-detect's verdict."""

from .decide import DEFAULT_THRESHOLDS, Thresholds
from .local import CHECKER_VERSION, LocalBackend, analyze, init_worker

__all__ = [
    "CHECKER_VERSION",
    "DEFAULT_THRESHOLDS",
    "LocalBackend",
    "Thresholds",
    "analyze",
    "init_worker",
]
