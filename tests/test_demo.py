"""`portrait-review demo`: sample photos plus rule-breaking variants, no key, no saved session."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import demo
from tui.config import Config
from tui.engine.backend import RulesBackend
from tui.engine.rules import check_rules

REPO = Path(__file__).resolve().parent.parent
RULE_BREAKERS = {
    "too_wide.jpg": "aspect_ratio",
    "animated.gif": "unsupported_format",
    "huge_5000px.jpg": "image_too_large",
    "over_10mb.jpg": "file_too_large",
    "truncated.jpg": "corrupt_image",
}


def test_pillow_variants_break_one_rule_each() -> None:
    samples = {s.name: s for s in demo.build_samples([])}
    assert "gradient.png" in samples and samples["missing.jpg"].body is None
    for name, reason in RULE_BREAKERS.items():
        body = samples[name].body
        assert body is not None
        verdict = check_rules(body)
        assert (verdict.status, verdict.reason) == ("fail", reason), name
    for name in ("gradient.png", "tiny_face.jpg"):
        assert check_rules(samples[name].body or b"").status == "pass"


def test_sample_photos_come_from_the_installed_packages() -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("skimage")
    photos, missing = demo.sample_photos()
    assert missing == []
    names = [name for name, _, _ in photos]
    assert names == ["grace_hopper.jpg", "astronaut.png", "cat.png", "coffee.png", "rocket.jpg"]
    assert all(path.is_file() for _, path, _ in photos)


def test_demo_without_sample_packages_says_so_and_still_runs(
    monkeypatch: pytest.MonkeyPatch, isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "sample_photos", lambda: ([], ["matplotlib", "scikit-image"]))
    monkeypatch.setattr(demo, "_backend", lambda config: RulesBackend())
    args = argparse.Namespace(check=True, processes=1)
    assert demo.demo_main(args, Config()) == 0
    captured = capsys.readouterr()
    assert "matplotlib and scikit-image not installed" in captured.err
    assert demo.INSTALL_HINT in captured.err
    table = {line.split()[0]: line.split()[2] for line in captured.out.split("\n") if line}
    for name, reason in RULE_BREAKERS.items():
        assert table[name] == reason
    assert table["missing.jpg"] == "download_failed"
    assert table[demo.NOT_A_URL] == "invalid_url"
    assert not (isolated_dirs / "data" / "sessions").exists()


@pytest.mark.skipif(
    importlib.util.find_spec("tui.checker.local") is None, reason="no local checker yet"
)
def test_demo_check_shows_every_kind_of_verdict(isolated_dirs: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("skimage")
    done = subprocess.run(
        [sys.executable, "-m", "tui", "demo", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    table = {line.split()[0]: line.split()[1:3] for line in done.stdout.split("\n") if line}
    assert table["grace_hopper.jpg"] == ["pass", "ok"]
    assert table["astronaut.png"] == ["pass", "ok"]
    assert table["cat.png"] == ["fail", "no_face"]
    assert table["tiny_face.jpg"] == ["fail", "face_too_small"]
    for name, reason in RULE_BREAKERS.items():
        assert table[name] == ["fail", reason]
    assert table["missing.jpg"] == ["fail", "download_failed"]
    assert table[demo.NOT_A_URL] == ["invalid", "invalid_url"]
    assert not (isolated_dirs / "data" / "sessions").exists()
