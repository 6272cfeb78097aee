"""`portrait-review demo`: every kind of verdict in seconds, with no API key and no network.

Sample photos shipped by matplotlib and scikit-image (the `demo` extra) plus variants made
with Pillow are served from a loopback `ImageHost`; the review is not saved as a session.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from PIL import Image

from .backends import BackendError, make_backend
from .cli import attach_terminal, engine_settings
from .config import Config
from .engine.backend import Backend, RulesBackend
from .headless import CheckOutputs, check_main
from .imagehost import ImageHost
from .store import ResultStore
from .urllist import parse_list

INSTALL_HINT = "pip install 'portrait-review[demo]'"
_SKIMAGE_PHOTOS = (
    ("astronaut.png", "astronaut.png", "a portrait (scikit-image)"),
    ("chelsea.png", "cat.png", "a cat, not a person (scikit-image)"),
    ("coffee.png", "coffee.png", "a cup of coffee (scikit-image)"),
    ("rocket.jpg", "rocket.jpg", "a rocket (scikit-image)"),
)
NOT_A_URL = "ftp://example.com/portrait.jpg"


@dataclass
class Sample:
    """One demo image: where it is served and what it shows."""

    name: str
    body: bytes | None  # None: not served, so the host answers 404
    note: str
    content_type: str = "image/jpeg"


def sample_photos() -> tuple[list[tuple[str, Path, str]], list[str]]:
    """(served name, file, note) of the sample photos installed, and the packages missing."""
    found: list[tuple[str, Path, str]] = []
    missing: list[str] = []
    try:
        from matplotlib import cbook

        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
        found.append(("grace_hopper.jpg", path, "a portrait (matplotlib)"))
    except (ImportError, OSError, ValueError):
        missing.append("matplotlib")
    try:
        import skimage

        folder = Path(skimage.__file__).parent / "data"
    except ImportError:
        missing.append("scikit-image")
    else:
        for source, name, note in _SKIMAGE_PHOTOS:
            if (folder / source).is_file():
                found.append((name, folder / source, note))
    return found, missing


def build_samples(photos: list[tuple[str, Path, str]]) -> list[Sample]:
    """The photos as they are, then Pillow-made variants that break one rule each."""
    samples = [Sample(name, path.read_bytes(), note, _mime(name)) for name, path, note in photos]
    portraits = [path for _, path, note in photos if "portrait" in note]
    if portraits:
        base = Image.open(portraits[0]).convert("RGB")
    else:
        base = Image.linear_gradient("L").resize((600, 600)).convert("RGB")
        samples.append(Sample("gradient.png", _encode(base, "PNG"), "no face at all", "image/png"))
    tiny = Image.new("RGB", (1600, 1600), (128, 128, 128))
    tiny.paste(base.resize((300, 300 * base.height // base.width)), (650, 600))
    wide = Image.new("RGB", (1500, 500), (200, 200, 200))
    wide.paste(base.resize((500 * base.width // base.height, 500)), (600, 0))
    portrait = _encode(base, "JPEG")
    samples += [
        Sample("tiny_face.jpg", _encode(tiny, "JPEG"), "a tiny face on a big canvas"),
        Sample("too_wide.jpg", _encode(wide, "JPEG"), "3:1, wider than 2:1"),
        Sample("animated.gif", _encode(base, "GIF"), "a GIF: not an accepted format", "image/gif"),
        Sample("huge_5000px.jpg", _encode(base.resize((5000, 3000)), "JPEG"), "5000 px wide"),
        Sample("over_10mb.jpg", portrait + bytes(11 * 1024 * 1024), "over 10 MB"),
        Sample("truncated.jpg", portrait[: len(portrait) * 3 // 5], "a cut-off JPEG"),
        Sample("missing.jpg", None, "the server answers 404"),
    ]
    return samples


def demo_main(args: argparse.Namespace, config: Config, out: TextIO | None = None) -> int:
    """Serve the samples on loopback and review them (TUI, or headless with --check)."""
    out = out or sys.stdout
    photos, missing = sample_photos()
    if missing:
        sys.stderr.write(
            f"demo: {' and '.join(missing)} not installed, so fewer sample photos; "
            f"for all of them: {INSTALL_HINT}\n"
        )
    samples = build_samples(photos)
    backend = _backend(config)
    _bypass_proxy_for_loopback()
    with ImageHost() as host:
        for sample in samples:
            if sample.body is not None:
                host.add("/" + sample.name, sample.body, content_type=sample.content_type)
        lines = [f"# {s.note}\n{host.url('/' + s.name)}" for s in samples]
        lines.append(f"# not an http(s) URL\n{NOT_A_URL}")
        # No file behind it; the path only names exports (`demo.passing.txt` here).
        urllist = parse_list("\n".join(lines).encode(), name="demo", path=Path.cwd() / "demo.txt")
        store = ResultStore(urllist.rows)  # no journal: a demo is not a saved session
        settings = engine_settings(args, config, backend.name)
        if not args.check:
            from .app import run_app

            problem = attach_terminal()
            if problem is not None:
                sys.stderr.write(f"portrait-review: {problem} (demo --check)\n")
                return 2
            return run_app(urllist, store, backend, settings, config, args)
        code = check_main(urllist, store, backend, settings, CheckOutputs())
    notes = {host.url("/" + s.name): (s.name, s.note) for s in samples}
    notes[NOT_A_URL] = (NOT_A_URL, "not an http(s) URL")
    out.write("\n")
    for row in store.rows:
        name, note = notes.get(row.url, (row.url, ""))
        out.write(f"{name:<18} {row.status:<8} {row.reason:<18} {note}\n")
    return code


def _backend(config: Config) -> Backend:
    """The embedded checker; the input rules alone if it cannot load (the demo still runs)."""
    try:
        return make_backend("local", config)
    except (ImportError, BackendError, OSError) as exc:
        sys.stderr.write(f"demo: the face checker is unavailable ({exc}); input rules only\n")
        return RulesBackend()


def _bypass_proxy_for_loopback() -> None:
    """The engine honours proxy variables; a proxy cannot reach this process's loopback host."""
    for key in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(key, "")
        os.environ[key] = ",".join(filter(None, (current, "127.0.0.1", "localhost")))


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _mime(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"
