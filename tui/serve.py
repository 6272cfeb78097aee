"""`portrait-review serve`: the liveportrait-detect HTTP API, answered by the embedded checker.

Same path, request and answer bodies as the documented API, so the official SDK and
this tool's own dashscope backend can point at it. One CheckEngine serves every request.
Extra answer fields (documented in `--help`): `output.reason`, `output.detail`,
`output.faces` and `output.face_bbox` (the largest face as x1, y1, x2, y2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import io
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .config import Config
from .engine.backend import Backend, StopRun
from .engine.engine import CheckEngine, EngineSettings
from .engine.netguard import blocked_reason, guard_client
from .schema import Verdict
from .urllist import validate_url

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse

API_PATH = "/api/v1/services/aigc/image2video/face-detect"
MODEL = "liveportrait-detect"
NO_FACE = "No human face detected."
MAX_BODY = 64 * 1024  # a request is one URL; anything bigger is not a request
FACE_REASONS = frozenset({"no_face", "face_too_small", "side_face", "occluded"})
INSTALL_HINT = "serve needs Starlette and Uvicorn: pip install 'portrait-review[serve]'"

BackendSource = Backend | Callable[[], Backend]


class ApiError(Exception):
    """An answer that is not a verdict: HTTP status, DashScope code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# -- verdict -> answer ---------------------------------------------------------------------
def answer_body(verdict: Verdict, request_id: str) -> dict[str, Any]:
    """A checked image's 200 body, or raise ApiError for a verdict the API gives as an error."""
    if verdict.status == "pass" or (verdict.status == "fail" and verdict.reason in FACE_REASONS):
        passed = verdict.status == "pass"
        output: dict[str, Any] = {
            "pass": passed,
            "message": "success" if passed else NO_FACE,
            "reason": verdict.reason,
            "detail": verdict.message,
        }
        if verdict.faces:
            output["faces"] = [face.to_json() for face in verdict.faces]
            x, y, w, h = max(verdict.faces, key=lambda f: f.box[2] * f.box[3]).box
            output["face_bbox"] = [x, y, x + w, y + h]  # corners, as emo-detect gives them
        return {"output": output, "usage": {"image_count": 1}, "request_id": request_id}
    raise _error_for(verdict)


def _error_for(verdict: Verdict) -> ApiError:
    reason, message = verdict.reason, verdict.message
    if reason == "unsupported_format":
        return ApiError(400, "InvalidParameter.UnsupportedFileFormat", _fmt(message))
    if reason in ("file_too_large", "image_too_large", "aspect_ratio", "corrupt_image"):
        return ApiError(400, "InvalidParameter", message)
    if reason == "invalid_url":
        return ApiError(400, "InvalidURL", message)
    if reason == "timeout":
        return ApiError(400, "InvalidURL.Timeout", message)
    if reason == "network" and message.startswith("cannot connect: blocked:"):
        return ApiError(400, "InvalidURL", message.removeprefix("cannot connect: "))
    if reason == "network" and ("refused" in message or "connection attempts failed" in message):
        return ApiError(400, "InvalidURL.ConnectionRefused", message)
    if reason in ("network", "download_failed"):
        return ApiError(400, "BadRequest.InputDownloadFailed", message)
    return ApiError(500, "InternalError.Algo", message or "the checker failed")


def _fmt(message: str) -> str:
    base = "Input files format not supported."
    return f"{base} ({message})" if message else base


# -- the app -------------------------------------------------------------------------------
def create_app(
    backend: BackendSource,
    settings: EngineSettings | None = None,
    *,
    api_key: str | None = None,
    allow_private: bool = False,
    max_waiting: int | None = None,
) -> Starlette:
    """The ASGI app. `backend` may be a factory, called at startup (models load then)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    settings = settings or EngineSettings()
    slots = asyncio.Semaphore(max(1, settings.concurrency))
    max_waiting = settings.concurrency * 8 if max_waiting is None else max_waiting
    waiting = 0

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        chosen = backend if isinstance(backend, Backend) else backend()
        async with CheckEngine(chosen, settings) as engine:
            assert engine.client is not None
            if not allow_private:
                guard_client(engine.client)  # every connection, redirects included
            if chosen.analyze is not None:
                await engine.analyze(_tiny_png())  # start the worker processes now
            app.state.engine = engine
            yield

    async def face_detect(request: Request) -> JSONResponse:
        nonlocal waiting
        request_id = str(uuid.uuid4())
        try:
            _authorize(request.headers.get("authorization"), api_key)
            url = _image_url(await _read_json(request))
            if not allow_private:
                reason = await blocked_reason(urlsplit(url).hostname or "", urlsplit(url).port)
                if reason is not None:
                    raise ApiError(400, "InvalidURL", reason + " (serve --allow-private)")
            if waiting >= max_waiting:
                raise ApiError(429, "Throttling.RateQuota", "Requests rate limit exceeded.")
            waiting += 1
            try:
                async with slots:
                    verdict = await request.app.state.engine.check_one(url)
            finally:
                waiting -= 1
            return _json(200, answer_body(verdict, request_id))
        except ApiError as exc:
            return _error(exc, request_id)
        except StopRun as exc:
            return _error(ApiError(503, "ModelUnavailable", exc.message), request_id)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "InvalidParameter")
        return _error(ApiError(exc.status_code, code, str(exc.detail)), str(uuid.uuid4()))

    return Starlette(
        routes=[Route(API_PATH, face_detect, methods=["POST"])],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )


def _authorize(header: str | None, api_key: str | None) -> None:
    if api_key is None:
        return
    scheme, _, token = (header or "").partition(" ")
    given = token.strip().encode() if scheme.lower() == "bearer" else b""
    if not hmac.compare_digest(given, api_key.encode()):
        raise ApiError(401, "InvalidApiKey", "Invalid API-key provided.")


async def _read_json(request: Request) -> Any:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(400, "InvalidParameter", f"the request body is over {MAX_BODY} bytes")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "InvalidParameter", "the request body is not valid JSON") from None


def _image_url(data: Any) -> str:
    """input.image_url from a documented request body (extra fields are accepted)."""
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidParameter", "the request body must be a JSON object")
    model = data.get("model")
    if not model:
        raise ApiError(400, "InvalidParameter", "Model is required: model")
    if model != MODEL:
        raise ApiError(400, "InvalidParameter", f"Model not exist: {str(model)[:100]}")
    payload = data.get("input")
    url = payload.get("image_url") if isinstance(payload, dict) else None
    if not isinstance(url, str) or not url:
        raise ApiError(400, "InvalidParameter", "Field required: input.image_url")
    problem = validate_url(url)
    if problem is not None:
        raise ApiError(400, "InvalidURL", f"input.image_url: {problem}")
    return url


def _json(status: int, body: dict[str, Any]) -> JSONResponse:
    from starlette.responses import JSONResponse

    return JSONResponse(body, status_code=status)


def _error(exc: ApiError, request_id: str) -> JSONResponse:
    body = {"code": exc.code, "message": exc.message, "request_id": request_id}
    response = _json(exc.status, body)
    if exc.status == 429:
        response.headers["Retry-After"] = "1"
    return response


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 180, 160)).save(buffer, "PNG")
    return buffer.getvalue()


# -- the command ---------------------------------------------------------------------------
def serve_main(args: argparse.Namespace, config: Config) -> int:
    """Run the server until Ctrl-C. Exit 2 when Starlette/Uvicorn or the checker are missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        sys.stderr.write(f"portrait-review: {INSTALL_HINT}\n")
        return 2
    from .backends import BackendError, make_backend

    def local_backend() -> Backend:
        return make_backend("local", config)

    try:
        local_backend()  # fail here, with a message, rather than inside the lifespan
    except (ImportError, BackendError) as exc:
        sys.stderr.write(f"portrait-review: the embedded face checker cannot start: {exc}\n")
        return 2
    settings = EngineSettings(
        concurrency=args.concurrency or config.concurrency,
        timeout=args.timeout or config.timeout,
        processes=config.processes,
    )
    app = create_app(
        local_backend,
        settings,
        api_key=args.api_key or os.environ.get("PORTRAIT_REVIEW_SERVE_API_KEY"),
        allow_private=args.allow_private,
    )
    base = f"http://{args.host}:{args.port}/api/v1"
    sys.stderr.write(f"portrait-review: serving {MODEL} at {base} (POST {API_PATH})\n")
    if args.api_key is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write("portrait-review: warning: no --api-key; anyone reaching it can use it\n")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    except SystemExit as exc:  # uvicorn exits 1 when the port is taken
        return int(exc.code or 0)
    return 0
