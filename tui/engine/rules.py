"""The documented input rules of liveportrait-detect, checked on downloaded bytes.

Pure functions (no I/O) so they run in worker processes and in tests alike.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ..schema import Verdict

MAX_BYTES = 10 * 1024 * 1024  # "under 10 MB": a body of exactly this many bytes fails
MAX_SIDE = 4096
MAX_ASPECT = 2.0
ACCEPTED_FORMATS = frozenset({"jpeg", "png", "bmp", "webp"})

# Within the rules an image has at most 4096 x 4096 pixels; anything claiming far more
# is refused before decoding (decompression bombs).
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE * 2
ImageFile.LOAD_TRUNCATED_IMAGES = False


def sniff_format(head: bytes) -> str | None:
    """The file format by its magic bytes (never by extension or Content-Type)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
            return "heic"
        return "mp4"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    if head.startswith(b"\xff\x0a") or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "jxl"
    if head[:4] == b"%PDF":
        return "pdf"
    text = head[:512].lstrip().lower()
    if text.startswith(b"<?xml") or text.startswith(b"<svg") or b"<svg" in text:
        return "svg"
    if text.startswith(b"<!doctype html") or text.startswith(b"<html") or b"<body" in text:
        return "html"
    if text[:1] in (b"{", b"["):
        return "json"
    return None


@dataclass(slots=True)
class Facts:
    """What the header says: enough to apply every rule without decoding pixels."""

    format: str | None
    bytes: int
    width: int | None = None
    height: int | None = None


def rule_failure(facts: Facts) -> Verdict | None:
    """The first documented rule the image breaks, as a `fail` verdict; None if it passes."""

    def fail(reason: str, message: str) -> Verdict:
        return Verdict(
            "fail", reason, message, facts.format, facts.bytes, facts.width, facts.height
        )

    if facts.bytes >= MAX_BYTES:
        return fail("file_too_large", f"file is {_mb(facts.bytes)}; must be under 10 MB")
    if facts.bytes == 0:
        return fail("corrupt_image", "the file is empty (0 bytes)")
    if facts.format not in ACCEPTED_FORMATS:
        what = facts.format or "unknown"
        return fail(
            "unsupported_format", f"format {what} is not accepted (jpeg, png, bmp, webp only)"
        )
    if facts.width is None or facts.height is None:
        return None
    w, h = facts.width, facts.height
    if w <= 0 or h <= 0:
        return fail("corrupt_image", f"image header gives an empty size {w}x{h}")
    longest, shortest = max(w, h), min(w, h)
    if longest > MAX_SIDE:
        return fail("image_too_large", f"{w}x{h}: longest side {longest} px is over {MAX_SIDE}")
    if longest > MAX_ASPECT * shortest:
        return fail("aspect_ratio", f"{w}x{h}: aspect ratio {longest / shortest:.3g} is over 2")
    return None


def read_facts(data: bytes) -> tuple[Facts, Image.Image | None, str | None]:
    """Format and size from the header, and the lazily opened image (not decoded yet).

    Returns (facts, image or None, error message or None).
    """
    facts = Facts(format=sniff_format(data[:512]), bytes=len(data))
    if facts.format not in ACCEPTED_FORMATS or facts.bytes >= MAX_BYTES:
        return facts, None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return facts, None, BOMB
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return facts, None, f"cannot read the {facts.format} header: {_short(exc)}"
    facts.width, facts.height = image.size
    return facts, image, None


BOMB = "the header claims more than 4096 x 4096 pixels; refused before decoding"


def open_checked(data: bytes) -> tuple[Verdict | None, Image.Image | None, Facts]:
    """Apply every input rule; on success return the opened (undecoded) image.

    Returns (failure verdict or None, image or None, facts).
    """
    facts, image, error = read_facts(data)
    if error is not None:
        reason = "image_too_large" if error is BOMB else "corrupt_image"
        return (
            Verdict("fail", reason, error, facts.format, facts.bytes),
            None,
            facts,
        )
    failure = rule_failure(facts)
    if failure is not None:
        return failure, None, facts
    return None, image, facts


def decode(image: Image.Image, max_side: int | None = None) -> Image.Image:
    """Decode fully (at a reduced size when `max_side` allows), upright and RGB.

    JPEG decodes at 1/2..1/8 scale via draft mode; other formats are reduced after
    loading. EXIF orientation is applied. Raises OSError/ValueError on a corrupt file.
    """
    if max_side and image.format == "JPEG":
        # draft() picks the largest DCT scale that keeps the image at least this big.
        w, h = image.size
        scale = max(w, h) / max_side
        if scale > 1:
            image.draft("RGB", (int(w / scale), int(h / scale)))
    image.load()
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("RGB",):
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode.startswith("I;16") or image.mode in ("I", "F"):
            image = ImageOps.autocontrast(image.convert("I").point(lambda v: v / 256).convert("L"))
            image = image.convert("RGB")
        else:
            image = image.convert("RGB")
    if max_side and max(image.size) > max_side:
        factor = max(1, int(max(image.size) / max_side))
        if factor > 1:
            image = image.reduce(factor)
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return image


def check_rules(data: bytes) -> Verdict:
    """Input rules plus a full decode (a file that cannot be decoded is `corrupt_image`).

    `pass`/`ok` here means only "the documented input rules pass".
    """
    failure, image, facts = open_checked(data)
    if failure is not None:
        return failure
    assert image is not None
    try:
        decode(image, max_side=512)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return Verdict(
            "fail",
            "corrupt_image",
            f"cannot decode the {facts.format}: {_short(exc)}",
            facts.format,
            facts.bytes,
            facts.width,
            facts.height,
        )
    return Verdict(
        "pass", "ok", "input rules pass", facts.format, facts.bytes, facts.width, facts.height
    )


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
