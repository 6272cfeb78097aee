"""From detected faces to a verdict: the thresholds that predict the cloud's answer.

Calibrated on the field set (`bench/fieldset.py`); the cloud publishes no numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..schema import Face
from .detector import Detection


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every tunable number of the offline check (bump CHECKER_VERSION when one changes)."""

    # Detector confidence (mean of the O-Net score on the face and on its mirror image)
    # below which a detection is ignored: most animals score 0.77-0.87, real faces >= 0.94.
    score_floor: float = 0.9
    # Smallest face area share of the image that passes (0.0115 ~ a face side of 10.7% of
    # the image's mean side): crowds fail at <= 1.0%, group photos pass from 1.3%.
    min_face_area: float = 0.0115
    # Largest |yaw| in degrees that passes, from the nose offset between the eyes.
    # Three-quarter views pass up to ~59 degrees, the near profile fails at ~61.
    max_yaw: float = 60.0
    # Nose depth over half the eye distance, turning the nose offset into a yaw angle.
    nose_depth: float = 0.65
    # Skin share of the nose/mouth patches below which, when the eye band is skin,
    # the face counts as masked: masks measure <= 0.48, bare faces >= 0.75.
    min_mouth_skin: float = 0.6
    # Skin share of the eye band needed before the mouth test applies (grey photos skip it).
    min_eye_skin: float = 0.6
    # Share of the face box that must lie inside the frame (tight crops overhang ~5%).
    min_inside: float = 0.8


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Judged:
    """One detection measured against the thresholds."""

    detection: Detection
    score: float
    area: float  # share of the image
    yaw: float
    inside: float  # share of the box inside the frame
    mouth_skin: float | None  # None when the eye band is not skin (the test does not apply)


def measure(image: Image.Image, detection: Detection, score: float, t: Thresholds) -> Judged:
    """Size, yaw, framing and mouth skin of one face in the analysed image."""
    w, h = image.size
    d = detection
    area = max(d.width, 0.0) * max(d.height, 0.0) / (w * h)
    cw = max(0.0, min(d.x2, w) - max(d.x1, 0.0))
    ch = max(0.0, min(d.y2, h) - max(d.y1, 0.0))
    inside = cw * ch / max(d.width * d.height, 1e-6)
    return Judged(d, score, area, _yaw(d.landmarks, t.nose_depth), inside, _mouth_skin(image, d, t))


def _yaw(marks: np.ndarray, nose_depth: float) -> float:
    """Signed yaw in degrees from the nose's offset along the eye line (0 = frontal)."""
    left, right, nose = marks[0], marks[1], marks[2]
    axis = right - left
    half = float(np.hypot(*axis)) / 2
    if half < 1e-6:
        return 90.0
    offset = float(np.dot(nose - (left + right) / 2, axis / (2 * half)))
    return math.degrees(math.atan(offset / half / nose_depth))


def _mouth_skin(image: Image.Image, d: Detection, t: Thresholds) -> float | None:
    """Skin share around the nose and mouth, or None when the eye band itself is not skin."""
    ycc = np.asarray(image.convert("YCbCr"))
    m = d.landmarks
    eye = float(np.hypot(*(m[1] - m[0])))
    eye_y = (m[0][1] + m[1][1]) / 2
    mouth_y = (m[3][1] + m[4][1]) / 2
    band = _skin_share(ycc, m[0][0], m[1][0], eye_y - 0.1 * eye, eye_y + 0.15 * eye)
    if band is None or band < t.min_eye_skin:
        return None
    lips = _skin_share(ycc, m[3][0], m[4][0], mouth_y - 0.1 * eye, mouth_y + 0.3 * eye)
    nose = _skin_share(
        ycc, m[2][0] - 0.15 * eye, m[2][0] + 0.15 * eye, m[2][1] - 0.15 * eye, m[2][1] + 0.1 * eye
    )
    shares = [s for s in (lips, nose) if s is not None]
    return sum(shares) / len(shares) if shares else None


def _skin_share(ycc: np.ndarray, x1: float, x2: float, y1: float, y2: float) -> float | None:
    """Share of pixels in a box whose chroma is skin-like (the classic Cb/Cr box)."""
    h, w = ycc.shape[:2]
    xa, xb = sorted((int(max(x1, 0)), int(min(x2, w - 1))))
    ya, yb = sorted((int(max(y1, 0)), int(min(y2, h - 1))))
    patch = ycc[ya : yb + 1, xa : xb + 1].reshape(-1, 3).astype(np.int16)
    if not len(patch):
        return None
    cb, cr = patch[:, 1], patch[:, 2]
    return float(np.mean((cr > 135) & (cr < 180) & (cb > 80) & (cb < 135)))


def failure(face: Judged, t: Thresholds) -> tuple[str, str] | None:
    """(reason, message) when the judged face fails; None when it passes."""
    if face.area < t.min_face_area:
        return (
            "face_too_small",
            f"face covers {_pct(face.area)} of the image; needs about {_pct(t.min_face_area)}",
        )
    if face.inside < t.min_inside:
        return "occluded", f"face is cut off by the frame ({_pct(1 - face.inside)} outside)"
    if abs(face.yaw) > t.max_yaw:
        return "side_face", f"face turned {abs(face.yaw):.1f}°; at most {t.max_yaw:.0f}° passes"
    if face.mouth_skin is not None and face.mouth_skin < t.min_mouth_skin:
        return "occluded", "nose and mouth look covered (mask or hand)"
    return None


def to_face(face: Judged, size: tuple[int, int], scale: float) -> Face:
    """The schema's face: the box clipped to the frame, scaled back to original pixels."""
    d = face.detection
    x1, y1 = max(d.x1, 0.0), max(d.y1, 0.0)
    x2, y2 = min(d.x2, size[0]), min(d.y2, size[1])
    box = (round(x1 * scale), round(y1 * scale), round((x2 - x1) * scale), round((y2 - y1) * scale))
    return Face(box=box, score=face.score, yaw=round(face.yaw, 1))


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%" if share < 0.1 else f"{share * 100:.0f}%"
