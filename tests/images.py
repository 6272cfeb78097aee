"""Test images from files that PyPI packages ship (matplotlib, scikit-image), and encoders."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def _skimage_data(name: str) -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / name


def _grace_hopper_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def open_bytes(data: bytes) -> Image.Image:
    """Decode bytes to an RGB image."""
    return Image.open(io.BytesIO(data)).convert("RGB")


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    """The image encoded in `fmt` (Pillow format name), with encoder options."""
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def grace_hopper() -> Image.Image:
    """One frontal portrait (512x600, face about 40% of the height)."""
    return Image.open(_grace_hopper_path()).convert("RGB")


def astronaut() -> Image.Image:
    """One frontal portrait (512x512)."""
    return Image.open(_skimage_data("astronaut.png")).convert("RGB")


def chelsea() -> Image.Image:
    """A cat: no human face."""
    return Image.open(_skimage_data("chelsea.png")).convert("RGB")


def coffee() -> Image.Image:
    """A coffee cup: no face."""
    return Image.open(_skimage_data("coffee.png")).convert("RGB")


def rocket() -> Image.Image:
    """A rocket on its pad: no face."""
    return Image.open(_skimage_data("rocket.jpg")).convert("RGB")


def grace_hopper_bytes() -> bytes:
    return _grace_hopper_path().read_bytes()


def astronaut_bytes() -> bytes:
    return _skimage_data("astronaut.png").read_bytes()


def chelsea_bytes() -> bytes:
    return _skimage_data("chelsea.png").read_bytes()


def coffee_bytes() -> bytes:
    return _skimage_data("coffee.png").read_bytes()


def rocket_bytes() -> bytes:
    return _skimage_data("rocket.jpg").read_bytes()


def with_orientation(img: Image.Image, orientation: int) -> bytes:
    """A JPEG whose pixels are stored rotated, with the EXIF tag that rights them again."""
    stored = {
        6: img.transpose(Image.Transpose.ROTATE_90),  # tag 6: viewer rotates 90° clockwise
        8: img.transpose(Image.Transpose.ROTATE_270),  # tag 8: viewer rotates 90° anticlockwise
        3: img.transpose(Image.Transpose.ROTATE_180),
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", quality=90, exif=exif)


def on_canvas(img: Image.Image, canvas: tuple[int, int], face_width: int) -> bytes:
    """`img` shrunk to `face_width` px wide and pasted in the middle of a grey canvas (JPEG)."""
    small = img.resize((face_width, round(img.height * face_width / img.width)))
    back = Image.new("RGB", canvas, (128, 128, 128))
    back.paste(small, ((canvas[0] - small.width) // 2, (canvas[1] - small.height) // 2))
    return encode(back, "JPEG", quality=90)


def megapixel_portrait() -> bytes:
    """A ~1-megapixel JPEG portrait (the speed target's unit)."""
    return encode(grace_hopper().resize((1024, 1024 * 600 // 512)).crop((0, 0, 1024, 1000)))
