"""What a failed request means for the operator, from its root cause.

The exception class httpx raises says little (a refused connection, a DNS failure and a
TLS failure are all ConnectError); the chain of causes says which it was.
"""

from __future__ import annotations

import socket
import ssl

import httpx


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every cause behind it, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe_transport_error(exc: httpx.TransportError) -> tuple[str, str]:
    """(reason, message) for a failed request: `network` or `timeout`, and why in words."""
    chain = _chain(exc)
    root = chain[-1]
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "network", f"TLS failed: {_text(root)}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "network", "connection refused by the image host"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "network", f"DNS lookup failed: {_text(root)}"
    if any(isinstance(e, ConnectionResetError | BrokenPipeError) for e in chain) or isinstance(
        exc, httpx.RemoteProtocolError | httpx.ReadError
    ):
        return "network", f"the server broke the connection: {_text(root)}"
    if isinstance(exc, httpx.ConnectTimeout):
        return "timeout", "timed out connecting"
    if isinstance(exc, httpx.ReadTimeout):
        return "timeout", "timed out waiting for data"
    if isinstance(exc, httpx.PoolTimeout):
        return "timeout", "timed out waiting for a free connection"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", "timed out downloading"
    if isinstance(exc, httpx.ConnectError):
        return "network", f"cannot connect: {_text(root)}"
    return "network", f"{type(root).__name__}: {_text(root)}"


def _text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
