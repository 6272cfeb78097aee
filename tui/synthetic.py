"""Deterministic synthetic review data for tests, snapshots, screenshots and the bench."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

from .schema import Face, Row
from .store import ResultStore
from .urllist import UrlList

# (status, reason, message) in the words the real checker uses.
_OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("pass", "ok", "1 face, the largest covers 14% of the image, yaw 6°"),
    ("pass", "ok", "1 face, the largest covers 22% of the image, yaw 12°"),
    ("pass", "ok", "2 faces, the largest covers 9.5% of the image, yaw 3°"),
    ("fail", "no_face", "no human face detected"),
    ("fail", "side_face", "face turned 71.4°; at most 60° passes"),
    ("fail", "aspect_ratio", "1664x640: aspect ratio 2.6 is over 2"),
    ("fail", "face_too_small", "face covers 0.4% of the image; needs about 1.2%"),
    ("error", "network", "the image host answered HTTP 503 Service Unavailable"),
    ("error", "timeout", "the image did not arrive within 30 s"),
    ("pending", "", ""),
)
HOSTS = ("cdn.example.com", "img.photos.example.org", "static.portraits.example.net")


def synthetic_rows(count: int, seed: int = 7) -> list[Row]:
    """`count` rows with a realistic mix of verdicts; the same seed gives the same rows."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for n in range(count):
        status, reason, message = _OUTCOMES[rng.randrange(len(_OUTCOMES))]
        url = f"https://{HOSTS[n % 3]}/people/{n // 100:04d}/portrait-{n:06d}.jpg"
        row = Row(url=url, lines=[n + 1], status=status, reason=reason, message=message)  # type: ignore[arg-type]
        if status in ("pass", "fail"):
            row.width, row.height = rng.choice(((800, 1000), (1024, 768), (640, 1664)))
            row.format = "jpeg"
            row.bytes = rng.randrange(40_000, 2_000_000)
            row.elapsed_ms = rng.randrange(40, 900)
            row.backend = "local"
            w, h = row.width, row.height
            if reason == "no_face":
                row.faces = []
            elif reason == "face_too_small":
                row.faces = [Face((w // 2, h // 3, w // 16, h // 16), 0.95, 5.0)]
            else:
                yaw = 71.4 if reason == "side_face" else 6.0
                row.faces = [Face((w // 3, h // 4, w // 3, h // 3), 0.99, yaw)]
        elif status == "error":
            row.elapsed_ms = rng.randrange(100, 30_000)
        rows.append(row)
    return rows


def synthetic_store(count: int, seed: int = 7) -> tuple[UrlList, ResultStore]:
    rows = synthetic_rows(count, seed)
    urllist = UrlList("portraits.txt", Path("portraits.txt"), "txt", rows, count, "0" * 64)
    return urllist, ResultStore(rows)


def portrait_image(width: int = 300, height: int = 400) -> Image.Image:
    """A drawn stand-in portrait: a head and shoulders on a gradient (no photo needed)."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = 60 + 120 * y // height
        draw.line((0, y, width, y), fill=(shade // 2, shade // 2, shade))
    draw.ellipse((width * 0.15, height * 0.7, width * 0.85, height * 1.3), fill=(40, 70, 120))
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.62), fill=(224, 182, 150))
    return image
