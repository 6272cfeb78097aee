"""The documented input rules, on bytes made here: formats, sizes at and past each limit."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tui.engine.rules import MAX_BYTES, check_rules, sniff_format


def encode(size: tuple[int, int], fmt: str, mode: str = "RGB", **kw: object) -> bytes:
    buffer = io.BytesIO()
    color = {"L": 128, "I;16": 30000, "1": 0, "LA": (128, 255), "P": 3}.get(mode, (120, 80, 40))
    Image.new(mode, size, color).save(buffer, fmt, **kw)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "jpeg"), ("PNG", "png"), ("BMP", "bmp"), ("WEBP", "webp")]
)
def test_accepted_formats_pass(fmt: str, name: str) -> None:
    verdict = check_rules(encode((640, 480), fmt))
    assert (verdict.status, verdict.reason, verdict.format) == ("pass", "ok", name)
    assert (verdict.width, verdict.height) == (640, 480)


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "ICO", "PDF"])
def test_other_formats_fail_unsupported(fmt: str) -> None:
    verdict = check_rules(encode((64, 64), fmt))
    assert (verdict.status, verdict.reason) == ("fail", "unsupported_format")


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"<!DOCTYPE html><html><body>", "html"),
        (b'<?xml version="1.0"?><svg xmlns="x">', "svg"),
        (b"\x00\x00\x00\x1cftypavif", "avif"),
        (b"\x00\x00\x00\x18ftypheic", "heic"),
    ],
)
def test_magic_bytes_decide_the_format(head: bytes, name: str) -> None:
    assert sniff_format(head + b"\0" * 64) == name
    verdict = check_rules(head + b"\0" * 64)
    assert verdict.reason == "unsupported_format"
    assert name in verdict.message


def test_extension_and_content_type_do_not_matter() -> None:
    # A PNG is a PNG whatever it is called; a JPEG-named HTML page is not an image.
    assert check_rules(encode((100, 100), "PNG")).format == "png"


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        ((4096, 4096), "ok"),
        ((4096, 2048), "ok"),
        ((2048, 4096), "ok"),
        ((4097, 4000), "image_too_large"),
        ((4097, 1), "image_too_large"),
        ((2001, 1000), "aspect_ratio"),
        ((1000, 2001), "aspect_ratio"),
        ((2000, 1000), "ok"),
    ],
)
def test_side_and_aspect_limits_are_inclusive(size: tuple[int, int], reason: str) -> None:
    verdict = check_rules(encode(size, "PNG", mode="L"))
    assert verdict.reason == reason, verdict.message


def test_file_size_limit_is_under_10_mb() -> None:
    data = encode((32, 32), "BMP")
    assert check_rules(data + b"\0" * (MAX_BYTES - len(data) - 1)).reason != "file_too_large"
    big = check_rules(data + b"\0" * (MAX_BYTES - len(data)))
    assert (big.status, big.reason) == ("fail", "file_too_large")


def test_corrupt_and_empty_files() -> None:
    jpeg = encode((800, 600), "JPEG", quality=95)
    truncated = check_rules(jpeg[: len(jpeg) // 2])
    assert (truncated.status, truncated.reason) == ("fail", "corrupt_image")
    assert check_rules(b"").reason == "corrupt_image"
    header_only = check_rules(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    assert header_only.reason == "corrupt_image"


def test_a_png_bomb_is_refused_before_decoding() -> None:
    # 20000 x 20000 pixels of zeros compress to a few hundred KB: refused by its header.
    verdict = check_rules(encode((20000, 20000), "PNG", mode="1"))
    assert verdict.status == "fail"
    assert verdict.reason in ("image_too_large", "corrupt_image")


@pytest.mark.parametrize("mode", ["CMYK", "L", "I;16", "RGBA", "P", "LA"])
def test_unusual_modes_decode(mode: str) -> None:
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG"
    verdict = check_rules(encode((300, 200), fmt, mode=mode))
    assert verdict.status == "pass", verdict.message


def test_animated_webp_passes_on_its_first_frame() -> None:
    frames = [Image.new("RGB", (200, 200), c) for c in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    assert check_rules(buffer.getvalue()).status == "pass"
