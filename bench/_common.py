"""Bits the benchmark scripts share: sample photos, sizes, RSS."""

from __future__ import annotations

import io
import resource
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_portrait() -> Image.Image:
    """A real face photo that a PyPI package ships (matplotlib's grace_hopper.jpg)."""
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def jpeg_at(megapixels: float, image: Image.Image | None = None, quality: int = 90) -> bytes:
    """The sample portrait resized to about `megapixels`, as a JPEG."""
    image = image or sample_portrait()
    w, h = image.size
    scale = (megapixels * 1e6 / (w * h)) ** 0.5
    resized = image.resize((max(1, round(w * scale)), max(1, round(h * scale))))
    buffer = io.BytesIO()
    resized.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def command_line() -> str:
    return " ".join([".venv/bin/python", *sys.argv])
