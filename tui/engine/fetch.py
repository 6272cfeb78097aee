"""Downloading one image with the documented size limit, as a stream.

An endless or lying server costs at most 10 MB and one timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from ..schema import Verdict
from .neterrors import describe_transport_error
from .rules import MAX_BYTES

CHUNK = 64 * 1024


@dataclass(slots=True)
class Download:
    """The body of a successful download, or the verdict that ends the check."""

    data: bytes | None
    failure: Verdict | None = None
    etag: str | None = None
    last_modified: str | None = None


def _fail(reason: str, message: str, nbytes: int | None = None) -> Download:
    return Download(None, Verdict("fail", reason, message, bytes=nbytes))


def _error(reason: str, message: str) -> Download:
    return Download(None, Verdict("error", reason, message))


async def fetch_image(client: httpx.AsyncClient, url: str, timeout: float) -> Download:
    """GET `url`, reading at most MAX_BYTES; the whole download must finish in `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(client, url)
    except TimeoutError:
        return _error("timeout", f"the image did not arrive within {timeout:g} s")
    except httpx.TooManyRedirects:
        return _fail("download_failed", "too many redirects (more than 5)")
    except httpx.UnsupportedProtocol as exc:
        return _fail("download_failed", f"redirected to an unsupported URL: {exc}")
    except httpx.InvalidURL as exc:
        return _fail("invalid_url", f"invalid URL: {exc}")
    except httpx.TransportError as exc:
        return _error(*describe_transport_error(exc))


async def _fetch(client: httpx.AsyncClient, url: str) -> Download:
    async with client.stream("GET", url) as response:
        status = response.status_code
        if status >= 400:
            phrase = response.reason_phrase or ""
            message = f"the image host answered HTTP {status} {phrase}".rstrip()
            if status >= 500 or status == 429:
                return _error("network", message)
            return _fail("download_failed", message)
        if status != 200:
            return _fail("download_failed", f"the image host answered HTTP {status}")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) >= MAX_BYTES:
            return _fail(
                "file_too_large",
                f"Content-Length is {int(declared) / 1048576:.1f} MB; must be under 10 MB",
                int(declared),
            )
        chunks: list[bytes] = []
        size = 0
        # Decoded bytes count against the limit, so a gzip bomb stops at 10 MB too.
        async for chunk in response.aiter_bytes(CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BYTES:
                return _fail("file_too_large", "the body passed 10 MB; stopped reading", size)
        return Download(
            b"".join(chunks),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
