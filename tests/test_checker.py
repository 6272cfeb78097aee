"""The offline checker on images that PyPI packages ship, and variants made here."""

from __future__ import annotations

import asyncio
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
from PIL import Image, ImageOps

from tests import images
from tui.checker import CHECKER_VERSION, LocalBackend, Thresholds, analyze
from tui.checker.local import checker_version, init_worker


def check(data: bytes) -> tuple[str, str]:
    verdict = analyze(data)
    return verdict.status, verdict.reason


@pytest.mark.parametrize("data", [images.grace_hopper_bytes(), images.astronaut_bytes()])
def test_portraits_pass(data: bytes) -> None:
    verdict = analyze(data)
    assert (verdict.status, verdict.reason) == ("pass", "ok")
    assert verdict.faces and len(verdict.faces) == 1
    assert "1 face" in verdict.message and "yaw" in verdict.message


@pytest.mark.parametrize(
    "data", [images.chelsea_bytes(), images.coffee_bytes(), images.rocket_bytes()]
)
def test_no_person_fails(data: bytes) -> None:
    assert check(data) == ("fail", "no_face")


def test_face_box_is_in_original_pixels() -> None:
    face = analyze(images.grace_hopper_bytes()).faces[0]  # type: ignore[index]
    x, y, w, h = face.box
    assert 150 < x < 200 and 100 < y < 140 and 150 < w < 200 and 190 < h < 240
    assert face.score > 0.99 and face.yaw is not None and abs(face.yaw) < 20


def test_tiny_face_on_big_canvas_is_too_small() -> None:
    verdict = analyze(images.on_canvas(images.grace_hopper(), (1600, 1200), 90))
    assert (verdict.status, verdict.reason) == ("fail", "face_too_small")
    assert "needs about" in verdict.message and verdict.faces


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_exif_rotated_still_passes(orientation: int) -> None:
    data = images.with_orientation(images.grace_hopper(), orientation)
    verdict = analyze(data)
    assert verdict.status == "pass"
    _x, y, w, h = verdict.faces[0].box  # type: ignore[index]
    assert h > w and 100 < y < 140  # upright, in the transposed image's pixels


@pytest.mark.parametrize(
    ("mode", "fmt", "options"),
    [
        ("L", "JPEG", {}),
        ("CMYK", "JPEG", {}),
        ("RGB", "WEBP", {"quality": 85}),
        ("RGB", "BMP", {}),
        ("RGB", "PNG", {}),
        ("RGBA", "PNG", {}),
        ("P", "PNG", {}),
    ],
)
def test_re_encodes_pass(mode: str, fmt: str, options: dict) -> None:
    data = images.encode(images.grace_hopper().convert(mode), fmt, **options)
    assert check(data) == ("pass", "ok")


@pytest.mark.parametrize("make", [images.grace_hopper, images.astronaut])
def test_mirrored_passes(make) -> None:
    assert check(images.encode(ImageOps.mirror(make()))) == ("pass", "ok")


@pytest.mark.parametrize("box", [(0, 300, 512, 600), (0, 0, 256, 512), (256, 0, 512, 512)])
def test_half_a_face_fails(box: tuple[int, int, int, int]) -> None:
    status, reason = check(images.encode(images.grace_hopper().crop(box)))
    assert status == "fail" and reason in {"occluded", "no_face"}


def test_face_cut_off_by_the_frame_is_occluded() -> None:
    # Keep the eyes, nose and mouth but push a third of the face box off the top edge.
    portrait = images.grace_hopper()
    status, reason = check(images.encode(portrait.crop((60, 190, 460, 590))))
    assert status == "fail" and reason in {"occluded", "no_face"}


def test_input_rules_come_first() -> None:
    wide = images.encode(Image.new("RGB", (900, 300), (200, 180, 160)))
    assert check(wide) == ("fail", "aspect_ratio")
    assert check(b"GIF89a" + b"\0" * 100) == ("fail", "unsupported_format")


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8\xff\xe0 truncated", images.grace_hopper_bytes()[:3000], b"\x89PNG\r\n\x1a\n"],
)
def test_corrupt_never_raises(data: bytes) -> None:
    verdict = analyze(data)
    assert verdict.status == "fail" and verdict.reason == "corrupt_image"


def test_strict_thresholds_change_the_verdict_in_workers() -> None:
    backend = LocalBackend(Thresholds(min_face_area=0.5))
    assert backend.version != CHECKER_VERSION == LocalBackend().version
    pickle.dumps(backend.analyze)
    pickle.dumps(backend.process_initializer)
    with ProcessPoolExecutor(1, initializer=backend.process_initializer) as pool:
        verdict = pool.submit(backend.analyze, images.grace_hopper_bytes()).result()
    assert (verdict.status, verdict.reason) == ("fail", "face_too_small")


def test_backend_decide_marks_local() -> None:
    backend = LocalBackend()
    assert backend.name == "local" and backend.analyze is analyze
    verdict = asyncio.run(backend.decide("http://x/a.jpg", analyze(images.grace_hopper_bytes())))
    assert verdict.backend == "local" and verdict.status == "pass"


def test_version_tracks_thresholds() -> None:
    assert checker_version() == CHECKER_VERSION
    assert checker_version(Thresholds(max_yaw=30)) != checker_version(Thresholds(max_yaw=40))
    assert callable(init_worker)
