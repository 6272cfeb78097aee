"""A small real HTTP image host on loopback, for `demo`, the tests and the benchmarks.

Serves registered byte strings, and a few hostile behaviours a real image host can show
(stalls, endless bodies, lying Content-Length, redirect chains), all from a thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    stall_after_headers: float = 0.0  # seconds of silence after the headers
    endless: bool = False  # stream zeros forever (until the client hangs up)
    content_length: int | None = None  # announce this length instead of the real one
    redirect_to: str | None = None  # 302 to this path or URL


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK stall every keep-alive response by about 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and the TUI must not see request logs on stderr."""

    def setup(self) -> None:
        super().setup()
        with self.server.host.lock:
            self.server.host.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.host.lock:
            self.server.host.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        host = self.server.host
        with host.lock:
            host.hits[path] += 1
            host.active += 1
            host.max_active = max(host.max_active, host.active)
            route = host.routes.get(path)
        try:
            self._send(route, send_body)
        finally:
            with host.lock:
                host.active -= 1

    def _send(self, route: Route | None, send_body: bool) -> None:
        host = self.server.host
        if route is None:
            route = Route(b"not found", 404, "text/plain")
        if route.delay:
            time.sleep(route.delay)
        try:
            self.send_response(302 if route.redirect_to else route.status)
            if route.redirect_to:
                self.send_header("Location", route.redirect_to)
            self.send_header("Content-Type", route.content_type)
            for key, value in route.headers.items():
                self.send_header(key, value)
            if route.endless:
                self.send_header("Connection", "close")
            else:
                length = len(route.body) if route.content_length is None else route.content_length
                self.send_header("Content-Length", str(length))
                if route.content_length is not None:
                    self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            if route.stall_after_headers:
                time.sleep(route.stall_after_headers)
            if not send_body:
                return
            if route.endless:
                chunk = b"\0" * 65536
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not host.closing:
                    self.wfile.write(chunk)
                return
            self.wfile.write(route.body)
            if route.content_length is not None:
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512
    host: ImageHost


class ImageHost:
    """`with ImageHost() as host: host.add("/a.jpg", data); host.url("/a.jpg")`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.active = 0  # requests being answered right now
        self.max_active = 0
        self.lock = threading.Lock()
        self.closing = False
        self.connections: set[socket.socket] = set()
        self._server = _Server((host, port), _Handler)
        self._server.host = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes = b"", **options: object) -> str:
        """Register a route and return its full URL."""
        with self.lock:
            self.routes[path] = Route(body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def start(self) -> ImageHost:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop like a dying host: open keep-alive connections are cut too."""
        self.closing = True
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> ImageHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
