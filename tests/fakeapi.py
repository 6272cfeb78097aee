"""Real loopback servers for the DashScope tests: any ASGI app under Uvicorn in a thread,
and a scripted stand-in for the DashScope API (throttles, fails, rejects keys, stalls)."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FACE_DETECT = "/api/v1/services/aigc/image2video/face-detect"


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) until the block ends; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def image(kind: str = "PNG", size: tuple[int, int] = (320, 400)) -> bytes:
    """A solid-colour image: passes the input rules, has no face."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 140, 120)).save(buffer, kind)
    return buffer.getvalue()


# One scripted answer: (HTTP status, JSON body, extra headers, seconds to stall first).
Answer = tuple[int, dict[str, Any], dict[str, str], float]
Script = Callable[[int, dict[str, Any]], Answer]


def ok() -> Answer:
    body = {"output": {"pass": True, "message": "success"}, "usage": {"image_count": 1}}
    return 200, {**body, "request_id": "rid-ok"}, {}, 0.0


def no_face() -> Answer:
    output = {"pass": False, "message": "No human face detected"}
    return 200, {"output": output, "usage": {"image_count": 1}, "request_id": "rid-nf"}, {}, 0.0


def error(
    status: int, code: str, message: str = "", headers: dict[str, str] | None = None
) -> Answer:
    return status, {"code": code, "message": message, "request_id": "rid-err"}, headers or {}, 0.0


@dataclass
class FakeDashScope:
    """A DashScope stand-in: `script(hit_number, request_json)` decides each answer."""

    script: Script
    hits: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def face_detect(request: Request) -> JSONResponse:
            self.hits += 1
            body = await request.json()
            self.bodies.append(body)
            self.auth.append(request.headers.get("authorization", ""))
            status, answer, headers, stall = self.script(self.hits, body)
            if stall:
                await asyncio.sleep(stall)
            return JSONResponse(answer, status_code=status, headers=headers)

        return Starlette(routes=[Route(FACE_DETECT, face_detect, methods=["POST"])])
