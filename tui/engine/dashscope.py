"""The real liveportrait-detect API as a backend: one POST per image, billed per image.

Answers are read by their `code` whatever the HTTP status. Throttling and transient
failures are retried with backoff; a bad key or an account problem stops the run.
The API key lives in a `Secret` and is scrubbed from every server message.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from ..config import Config
from ..schema import Verdict
from .backend import Backend, StopRun
from .ratelimit import RateLimiter
from .rules import check_rules

MODEL = "liveportrait-detect"
PATH = "/services/aigc/image2video/face-detect"
BEIJING_HOST = "dashscope.aliyuncs.com"
REGIONS = {BEIJING_HOST: "cn-beijing", "dashscope-intl.aliyuncs.com": "intl"}
NO_FACE = "No human face detected."
DOCUMENTED_RATE = 5.0  # requests per second: 300 per minute in Beijing
MIN_RATE = 0.5  # throttling never slows the run below this
THROTTLE_RETRIES = 6  # 429s are expected under load: retry longer than for failures
TRANSIENT_RETRIES = 3  # 5xx, timeouts, dropped connections
BACKOFF_BASE = 1.0  # seconds; doubles per retry, with jitter
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 300.0

ACCOUNT_CODES = ("Arrearage", "AllocationQuota.FreeTierOnly", "Model.AccessDenied")
TRANSIENT_CODES = ("InternalError", "ModelServingError", "ModelUnavailable", "RequestTimeOut")
DOWNLOAD_CODES = (
    "InvalidParameter.DataInspection",
    "BadRequest.InputDownloadFailed",
    "InvalidURL.ConnectionRefused",
    "InvalidURL.Timeout",
)
DOWNLOAD_HINT = (
    "the service could not download the image (a host unreachable from mainland China, "
    "a firewall, or an expired signed URL)"
)


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with any copy of the secret masked (servers may echo it back)."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class BearerAuth(httpx.Auth):
    """Sets the key on the request itself: no plain dict holding it sits in any frame's locals."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._secret.reveal()}"
        yield request


@dataclass(slots=True)
class Outcome:
    """What one API answer means for the run."""

    kind: Literal["verdict", "stop", "throttle", "transient"]
    verdict: Verdict | None = None
    message: str = ""
    retry_after: float | None = None
    reason: str = "api_error"  # for an error verdict once retries run out


def region_of(endpoint: str) -> str | None:
    """`cn-beijing`, `intl`, or None for a host this tool does not know."""
    return REGIONS.get((urlsplit(endpoint).hostname or "").lower())


def is_other_region(endpoint: str) -> bool:
    """An Alibaba Cloud host that is not Beijing, where the model may not be served."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return host != BEIJING_HOST and host.endswith(".aliyuncs.com")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def classify(status: int, body: dict[str, Any], headers: httpx.Headers, endpoint: str) -> Outcome:
    """Map one HTTP answer to a verdict, a stop, or a retry. Pure, so tests can drive it."""
    code = str(body.get("code") or "")
    message = str(body.get("message") or "")
    request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    usage = body.get("usage")
    billed = int(usage.get("image_count") or 0) if isinstance(usage, dict) else 0

    def verdict(status_: Literal["pass", "fail", "error"], reason: str, text: str) -> Outcome:
        v = Verdict(status_, reason, text, request_id=request_id, image_count=billed)
        return Outcome("verdict", v)

    said = f"{code}: {message}".strip(": ") or f"HTTP {status}"
    if code == "InvalidApiKey" or status == 401:
        return Outcome("stop", message=_key_problem(said, endpoint))
    if code in ACCOUNT_CODES or code.startswith("AccessDenied") or status == 403:
        return Outcome("stop", message=f"the account cannot use {MODEL} ({said})" + _ACCOUNT_HINT)
    if status == 404:
        return Outcome("stop", message=_not_found(said, endpoint))
    if code.startswith("Throttling") or status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return Outcome("throttle", message=f"throttled ({said})", retry_after=retry_after)
    if "model not exist" in message.lower():
        return Outcome("stop", message=_not_found(said, endpoint))
    if code:
        if status >= 500 or code.startswith(TRANSIENT_CODES):
            return Outcome("transient", message=f"the API failed ({said})")
        return _input_error(code, message, verdict)
    if 300 <= status < 400:
        where = headers.get("location", "?")
        return Outcome(
            "stop", message=f"the endpoint redirects (HTTP {status} to {where}); check --endpoint"
        )
    if status >= 500:
        return Outcome("transient", message=f"the API failed (HTTP {status})")
    output = body.get("output")
    if status == 200 and isinstance(output, dict) and isinstance(output.get("pass"), bool):
        text = str(output.get("message") or "")
        if output["pass"]:
            return verdict("pass", "ok", text or "success")
        if not text or text.rstrip(".").strip().lower() == NO_FACE.rstrip(".").lower():
            text = NO_FACE
        return verdict("fail", "no_face", text)
    return verdict("error", "api_error", f"unexpected answer from the API (HTTP {status})")


_ACCOUNT_HINT = (
    "; check the Model Studio console: billing (overdue payment), free-tier-only mode, "
    "and whether the model is activated for this key's workspace"
)


def _key_problem(said: str, endpoint: str) -> str:
    text = (
        f"the API key was refused ({said}); check DASHSCOPE_API_KEY or [dashscope] api_key "
        "in the config file"
    )
    if is_other_region(endpoint):
        text += (
            f". {MODEL} is documented for the China (Beijing) region only and this region "
            f"may not serve it; use a Beijing key with https://{BEIJING_HOST}/api/v1"
        )
    return text


def _not_found(said: str, endpoint: str) -> str:
    if is_other_region(endpoint):
        return (
            f"{said}: this region may not serve {MODEL} (documented for China (Beijing) only); "
            f"use a Beijing key with https://{BEIJING_HOST}/api/v1"
        )
    return f"the endpoint has no face-detect service ({said}); check --endpoint"


def _input_error(code: str, message: str, verdict: Any) -> Outcome:
    """An answer about this image (not the run): a `fail` with the code and a hint."""
    said = f"{code}: {message}".rstrip(": ")
    if code == "InvalidParameter.UnsupportedFileFormat":
        return verdict("fail", "unsupported_format", f"{said} (jpeg, png, bmp, webp only)")
    if code in DOWNLOAD_CODES:
        return verdict("fail", "download_failed", f"{said}; {DOWNLOAD_HINT}")
    if code == "DataInspectionFailed":
        return verdict("fail", "moderation", f"{said}; the content moderation refused the image")
    if code.startswith("InvalidURL"):
        return verdict("fail", "invalid_url", said)
    if code.startswith(("InvalidParameter", "BadRequest")):
        return verdict("fail", _reason_from_text(message), said)
    return verdict("error", "api_error", said)


def _reason_from_text(message: str) -> str:
    """The documented input rule an unspecific InvalidParameter message names, if any."""
    text = message.lower()
    if "aspect" in text or "ratio" in text:
        return "aspect_ratio"
    if re.search(r"\bmb\b|file size", text):
        return "file_too_large"
    if "resolution" in text or "pixel" in text or "dimension" in text:
        return "image_too_large"
    return "rejected"


class DashScopeBackend(Backend):
    """Asks liveportrait-detect for each URL through the engine's shared client."""

    name = "dashscope"
    paces_itself = True
    min_rate = MIN_RATE

    def __init__(
        self,
        api_key: str,
        endpoint: str,
        precheck: bool = True,
        max_images: int | None = None,
        timeout: float = 60.0,
        backoff: float = BACKOFF_BASE,
    ) -> None:
        self._key = Secret(api_key)
        self._auth = BearerAuth(self._key)
        self.endpoint = endpoint.rstrip("/")
        self.url = self.endpoint + PATH
        self.analyze = check_rules if precheck else None
        self.max_images = max_images
        self.timeout = timeout
        self.backoff = backoff
        self.billed = 0
        self.calls = 0
        self._reserved = 0
        self._client: httpx.AsyncClient | None = None
        self.limiter = RateLimiter(None)
        self._target_rate: float | None = None
        self._key_ok = asyncio.Event()
        self._probe = asyncio.Lock()
        self._stopped: str | None = None

    def __repr__(self) -> str:
        return f"DashScopeBackend(endpoint={self.endpoint!r}, key=***)"

    @property
    def label(self) -> str:
        region = region_of(self.endpoint)
        return f"dashscope ({region or urlsplit(self.endpoint).netloc})"

    def attach(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def open(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._target_rate = self.limiter.rate

    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        if local is not None and local.status != "pass":
            local.backend = self.name
            return local  # the input rules already fail it: no call, no cost
        verdict = await self._gated(url)
        verdict.backend = self.name
        if local is not None:
            verdict.format, verdict.bytes = local.format, local.bytes
            verdict.width, verdict.height = local.width, local.height
            verdict.etag, verdict.last_modified = local.etag, local.last_modified
        return verdict

    async def _gated(self, url: str) -> Verdict:
        """Until one answer proves the key, calls go one at a time: a bad key costs one call."""
        self._check_stopped()
        if not self._key_ok.is_set():
            async with self._probe:
                self._check_stopped()
                if not self._key_ok.is_set():
                    return await self._with_retries(url)
        return await self._with_retries(url)

    def _check_stopped(self) -> None:
        if self._stopped is not None:
            raise StopRun(self._stopped)

    def _stop(self, message: str) -> StopRun:
        self._stopped = self._stopped or self._key.scrub(message)
        return StopRun(self._stopped)

    async def _with_retries(self, url: str) -> Verdict:
        throttled = failed = 0
        while True:
            self._check_stopped()
            # Every call, retries included, is paced (paces_itself: the engine paces none).
            await self.limiter.acquire()
            outcome = await self._attempt(url)
            if outcome.kind == "verdict":
                assert outcome.verdict is not None
                self._key_ok.set()
                self._recover()
                return outcome.verdict
            if outcome.kind == "stop":
                raise self._stop(outcome.message)
            if outcome.kind == "throttle":
                self._key_ok.set()
                throttled += 1
                self._slow_down(outcome.retry_after)
                if throttled > THROTTLE_RETRIES:
                    return Verdict(
                        "error",
                        "api_error",
                        f"{outcome.message}; gave up after {throttled} tries (lower --rate)",
                    )
                await asyncio.sleep(outcome.retry_after or self._delay(throttled))
                continue
            failed += 1
            if failed > TRANSIENT_RETRIES:
                message = f"{outcome.message}; gave up after {failed} tries"
                return Verdict("error", outcome.reason, message)
            await asyncio.sleep(self._delay(failed))

    async def _attempt(self, url: str) -> Outcome:
        """One POST. Spending is reserved first, so `max_images` holds under concurrency."""
        if self.max_images is not None and self.billed + self._reserved >= self.max_images:
            raise self._stop(
                f"stopped before billing more than {self.max_images} images "
                f"(--max-images); {self.billed} billed so far"
            )
        assert self._client is not None, "open() first"
        self._reserved += 1
        self.calls += 1
        try:
            response = await self._client.post(
                self.url,
                json={"model": MODEL, "input": {"image_url": url}},
                auth=self._auth,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            message = f"the API did not answer within {self.timeout:g} s"
            return Outcome("transient", message=message, reason="timeout")
        except httpx.TransportError as exc:
            message = f"cannot reach the API: {type(exc).__name__}"
            return Outcome("transient", message=message, reason="network")
        finally:
            self._reserved -= 1
        body = _json(response)
        outcome = classify(response.status_code, body, response.headers, self.endpoint)
        if outcome.verdict is not None:
            self.billed += outcome.verdict.image_count
            outcome.verdict.message = self._key.scrub(outcome.verdict.message)
        outcome.message = self._key.scrub(outcome.message)
        return outcome

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(BACKOFF_CAP, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _slow_down(self, retry_after: float | None) -> None:
        """Halve the whole run's rate (multiplicative decrease) and hold it if asked."""
        current = self.limiter.rate or self._target_rate or DOCUMENTED_RATE
        self.limiter.set_rate(max(self.min_rate, current / 2))
        if retry_after:
            self.limiter.hold(retry_after)

    def _recover(self) -> None:
        """Creep back towards the configured rate after a throttle (additive increase)."""
        rate, target = self.limiter.rate, self._target_rate or DOCUMENTED_RATE
        if rate is not None and rate < target:
            self.limiter.set_rate(min(target, rate + target / 20))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def make_dashscope_backend(
    config: Config,
    endpoint: str | None = None,
    precheck: bool = True,
    max_images: int | None = None,
) -> DashScopeBackend:
    """The backend from flags and config; BackendError says what to do when it cannot start."""
    from ..backends import BackendError
    from ..config import config_path

    key = config.api_key
    if not key:
        raise BackendError(
            "the dashscope backend needs an Alibaba Cloud Model Studio API key: set "
            "DASHSCOPE_API_KEY, or put it in the config file "
            f'{config.path or config_path()} as [dashscope] api_key = "..." '
            "(create it with mode 0600: chmod 600)"
        )
    endpoint = (endpoint or config.endpoint).rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise BackendError(
            f"refusing to send the API key over plain http to {parts.hostname}; use https"
        )
    return DashScopeBackend(key, endpoint, precheck, max_images, timeout=config.timeout)
