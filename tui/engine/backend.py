"""The interface every face-verdict backend implements, and the rules-only backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import httpx

from ..schema import Verdict
from .ratelimit import RateLimiter

# A top-level (picklable) function run in a worker process on the downloaded bytes.
# It applies the input rules and, for an offline backend, the face check too.
Analyze = Callable[[bytes], Verdict]


class StopRun(Exception):
    """Raised by a backend when no further call can succeed (bad key, no quota).

    The engine stops dispatching, leaves unchecked rows `pending`, and reports `message`.
    The message must never contain a secret.
    """

    def __init__(self, message: str, reason: str = "account") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class Backend(ABC):
    """Gives the verdict for one URL, after the engine has (optionally) downloaded it.

    The engine downloads the image when `analyze` is set, runs `analyze` in its process
    pool, and hands the result to `decide`. When `analyze` is None the engine does not
    download at all and `decide` gets `local=None`.
    """

    name: str = "base"
    analyze: Analyze | None = None
    # True when the backend paces its own remote calls with the engine's limiter (a paid
    # API): the engine then does not also pace the image downloads.
    paces_itself: bool = False
    # Run once in each worker process before any `analyze` (load models, silence stderr).
    process_initializer: Callable[[], None] | None = None

    def attach(self, limiter: RateLimiter) -> None:
        """Called before `open` with the engine's shared pacer; a paid API slows it."""

    async def open(self, client: httpx.AsyncClient) -> None:
        """Called once before the first `decide`, with the engine's shared client."""

    @abstractmethod
    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        """The final verdict for `url`, given the local analysis (None when not downloaded)."""

    async def close(self) -> None:
        """Called once when the run ends."""

    @property
    def label(self) -> str:
        """What the header shows for this backend (never a secret)."""
        return self.name


class RulesBackend(Backend):
    """Input rules only: what the documented limits say, with no face check."""

    name = "rules"

    def __init__(self) -> None:
        from .rules import check_rules

        self.analyze = check_rules

    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        assert local is not None
        local.backend = self.name
        return local
