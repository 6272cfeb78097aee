"""Preview images for the detail pane: fetch with a size cap, decode small, draw face boxes.

No Textual here: the app calls `Previewer.get` from a worker and shows what comes back.
Decoding runs in a thread so a large JPEG never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Sequence

import httpx
from PIL import Image, ImageDraw, ImageOps

from .schema import Face, Row

MAX_PREVIEW_BYTES = 10 * 1024 * 1024  # the check's own limit: larger files fail anyway
PREVIEW_SIDE = 480  # pixels; a terminal pane never shows more
BOX_COLOUR = (255, 64, 64)
ORIENTATION = 0x0112  # the EXIF tag


class PreviewError(Exception):
    """The preview cannot be shown; the message says why in a few words."""


def decode_preview(
    data: bytes, faces: Sequence[Face] | None = None, side: int = PREVIEW_SIDE
) -> Image.Image:
    """A small upright RGB copy of the image with the face boxes drawn.

    Boxes are in the upright original's pixels (the checker applies EXIF orientation), so
    the preview is turned the same way before they are scaled onto it.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            original = image.size
            if image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8):
                original = (original[1], original[0])
            image.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
            small = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PreviewError(f"cannot decode the image: {exc}") from None
    small.thumbnail((side, side))
    return draw_faces(small, original, faces or ())


def draw_faces(image: Image.Image, original: tuple[int, int], faces: Sequence[Face]) -> Image.Image:
    """Draw each face box, scaled from the original size to this image's size."""
    if not faces:
        return image
    sx = image.width / max(original[0], 1)
    sy = image.height / max(original[1], 1)
    draw = ImageDraw.Draw(image)
    # Thick enough to survive half-cell rendering (about 50 pixel rows for the whole image).
    width = max(2, min(image.size) // 50)
    for face in faces:
        x, y, w, h = face.box
        draw.rectangle(
            (x * sx, y * sy, (x + w) * sx, (y + h) * sy), outline=BOX_COLOUR, width=width
        )
    return image


async def fetch_bytes(client: httpx.AsyncClient, url: str, limit: int = MAX_PREVIEW_BYTES) -> bytes:
    """GET `url`, refusing bodies over `limit` bytes."""
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise PreviewError(f"HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise PreviewError("too large to preview")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise PreviewError(f"{type(exc).__name__}: {exc}"[:120]) from None


class Previewer:
    """Fetches and decodes previews, keeping the last few in an LRU cache."""

    def __init__(self, cache_size: int = 32, timeout: float = 15.0) -> None:
        self.cache: OrderedDict[tuple[str, int], Image.Image] = OrderedDict()
        self.cache_size = cache_size
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def get(self, row: Row) -> Image.Image:
        """The preview of a row with its faces drawn; from the cache when seen recently."""
        url, faces = row.url, row.faces
        key = (url, hash(tuple(f.box for f in faces or ())))
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            return cached
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=True, max_redirects=5
            )
        data = await fetch_bytes(self._client, url)
        image = await asyncio.to_thread(decode_preview, data, faces)
        self.cache[key] = image
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return image

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class StaticPreviewer(Previewer):
    """Always the same local image (tests, snapshots, screenshots): no network, deterministic."""

    def __init__(self, image: Image.Image) -> None:
        super().__init__()
        self.image = image

    async def get(self, row: Row) -> Image.Image:
        original = (row.width or self.image.width, row.height or self.image.height)
        return draw_faces(self.image.copy(), original, row.faces or ())
