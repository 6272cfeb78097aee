"""The DashScope backend against real loopback servers: `serve` itself and a scripted fake
that throttles, fails, stalls and rejects keys. The key must never leak anywhere."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakeapi import FakeDashScope, error, image, no_face, ok, running
from tui.backends import BackendError
from tui.config import Config, load_config
from tui.engine.backend import RulesBackend
from tui.engine.dashscope import DashScopeBackend, classify, make_dashscope_backend
from tui.engine.engine import CheckEngine, EngineSettings, RunReport
from tui.imagehost import ImageHost
from tui.keystore import KeyStoreError, save_api_key
from tui.schema import Verdict
from tui.serve import create_app

KEY = "sk-SECRET-0123456789abcdef"
BEIJING = "https://dashscope.aliyuncs.com/api/v1"
INTL = "https://dashscope-intl.aliyuncs.com/api/v1"


def backend_for(base: str, key: str = KEY, **options: Any) -> DashScopeBackend:
    options.setdefault("precheck", False)
    options.setdefault("backoff", 0.01)
    return DashScopeBackend(key, base + "/api/v1", **options)


async def run(
    backend: DashScopeBackend, urls: list[str], concurrency: int = 4, rate: float | None = None
) -> tuple[dict[int, Verdict], RunReport]:
    verdicts: dict[int, Verdict] = {}
    settings = EngineSettings(concurrency=concurrency, rate=rate, timeout=10, processes=1)
    async with CheckEngine(backend, settings) as engine:
        report = await engine.run(enumerate(urls), verdicts.__setitem__)
    return verdicts, report


def fake_urls(n: int) -> list[str]:
    return [f"http://img.example/{i}.png" for i in range(n)]


# -- answers, status by status ---------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"output": {"pass": True, "message": "success"}}, ("pass", "ok", "success")),
        (200, {"output": {"pass": True, "message": ""}}, ("pass", "ok", "success")),
        (
            200,
            {"output": {"pass": False, "message": "No human face detected"}},
            ("fail", "no_face", "No human face detected."),
        ),
        (
            200,
            {"output": {"pass": False, "message": "No human face detected."}},
            ("fail", "no_face", "No human face detected."),
        ),
        (
            200,
            {"code": "InvalidParameter.UnsupportedFileFormat", "message": "x"},
            ("fail", "unsupported_format", None),
        ),
        (
            400,
            {"code": "InvalidParameter.UnsupportedFileFormat", "message": "x"},
            ("fail", "unsupported_format", None),
        ),
        (
            400,
            {"code": "InvalidParameter.DataInspection", "message": "x"},
            ("fail", "download_failed", "mainland China"),
        ),
        (
            400,
            {"code": "BadRequest.InputDownloadFailed", "message": "x"},
            ("fail", "download_failed", None),
        ),
        (400, {"code": "InvalidURL.Timeout", "message": "x"}, ("fail", "download_failed", None)),
        (400, {"code": "InvalidURL", "message": "bad"}, ("fail", "invalid_url", None)),
        (400, {"code": "DataInspectionFailed", "message": "x"}, ("fail", "moderation", None)),
        (
            400,
            {"code": "InvalidParameter", "message": "aspect ratio over 2"},
            ("fail", "aspect_ratio", None),
        ),
        (200, {"unexpected": 1}, ("error", "api_error", None)),
    ],
)
def test_answers_become_verdicts(
    status: int, body: dict[str, Any], expected: tuple[str, str, str | None]
) -> None:
    body = {**body, "request_id": "rid", "usage": {"image_count": 1}}
    outcome = classify(status, body, httpx.Headers(), BEIJING)
    assert outcome.kind == "verdict" and outcome.verdict is not None
    v = outcome.verdict
    assert (v.status, v.reason) == expected[:2]
    assert v.request_id == "rid" and v.image_count == 1
    if expected[2]:
        assert expected[2] in v.message


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "InvalidApiKey", "stop"),
        (200, "InvalidApiKey", "stop"),
        (403, "AccessDenied.Unpurchased", "stop"),
        (400, "Arrearage", "stop"),
        (403, "AllocationQuota.FreeTierOnly", "stop"),
        (403, "Model.AccessDenied", "stop"),
        (429, "Throttling.RateQuota", "throttle"),
        (400, "Throttling.BurstRate", "throttle"),
        (500, "InternalError", "transient"),
        (503, "ModelUnavailable", "transient"),
        (500, "RequestTimeOut", "transient"),
    ],
)
def test_codes_stop_or_retry(status: int, code: str, kind: str) -> None:
    outcome = classify(status, {"code": code, "message": "m"}, httpx.Headers(), BEIJING)
    assert outcome.kind == kind
    if kind == "stop":
        assert code in outcome.message


def test_an_unknown_model_stops_the_run() -> None:
    body = {"code": "InvalidParameter", "message": "Model not exist."}
    assert classify(400, body, httpx.Headers(), INTL).kind == "stop"


def test_retry_after_is_read() -> None:
    outcome = classify(429, {}, httpx.Headers({"Retry-After": "7"}), BEIJING)
    assert (outcome.kind, outcome.retry_after) == ("throttle", 7.0)


@pytest.mark.parametrize("status", [401, 404])
def test_other_region_says_the_model_may_not_be_served(status: int) -> None:
    outcome = classify(status, {"code": "X", "message": "m"}, httpx.Headers(), INTL)
    assert outcome.kind == "stop" and "region may not serve" in outcome.message
    beijing = classify(status, {"code": "X", "message": "m"}, httpx.Headers(), BEIJING)
    assert "region" not in beijing.message


# -- building the backend -----------------------------------------------------------
def test_missing_key_says_where_to_put_it() -> None:
    with pytest.raises(BackendError) as info:
        make_dashscope_backend(Config())
    assert "DASHSCOPE_API_KEY" in str(info.value) and "[dashscope] api_key" in str(info.value)


def test_label_names_the_region_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    assert make_dashscope_backend(Config()).label == "dashscope (cn-beijing)"
    intl = make_dashscope_backend(Config(), endpoint=INTL)
    assert intl.label == "dashscope (intl)"
    local = make_dashscope_backend(Config(), endpoint="http://127.0.0.1:9/api/v1")
    assert local.label == "dashscope (127.0.0.1:9)"
    for text in (repr(local), str(vars(local)), local.label):
        assert KEY not in text


def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    with pytest.raises(BackendError, match="plain http"):
        make_dashscope_backend(Config(), endpoint="http://dashscope.example/api/v1")


def test_precheck_decides_who_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    assert make_dashscope_backend(Config()).analyze is not None
    assert make_dashscope_backend(Config(), precheck=False).analyze is None


# -- saving the key ----------------------------------------------------------------------
def test_saved_key_is_private_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# mine\n[check]\nconcurrency = 4\n\n[dashscope]\napi_key = "sk-old-12345"\n')
    save_api_key(KEY, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = load_config(path)
    assert (config.dashscope_api_key, config.concurrency) == (KEY, 4)
    assert path.read_text().startswith("# mine\n") and "sk-old" not in path.read_text()


def test_saving_into_a_new_file(tmp_path: Path) -> None:
    path = save_api_key(KEY, tmp_path / "new" / "config.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).dashscope_api_key == KEY


@pytest.mark.parametrize("key", ["short", "sk-has space-123", ""])
def test_a_malformed_key_is_refused_without_echo(tmp_path: Path, key: str) -> None:
    with pytest.raises(KeyStoreError) as info:
        save_api_key(key, tmp_path / "config.toml")
    assert key not in str(info.value) or not key


# -- against serve -----------------------------------------------------------------
@pytest.fixture
def serve_base() -> Any:
    with running(create_app(RulesBackend(), api_key=KEY, allow_private=True)) as base:
        yield base


def refused_url() -> str:
    """A loopback port that was free a moment ago: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.png"


def host_images(host: ImageHost) -> dict[str, str]:
    return {
        "png": host.add("/a.png", image("PNG")),
        "jpeg": host.add("/b.jpg", image("JPEG")),
        "gif": host.add("/c.gif", image("GIF")),
        "missing": host.url("/missing.png"),
        "refused": refused_url(),
    }


async def test_against_serve(serve_base: str, image_host: ImageHost) -> None:
    urls = host_images(image_host)
    backend = backend_for(serve_base)
    verdicts, report = await run(backend, list(urls.values()))
    got = {name: verdicts[i] for i, name in enumerate(urls)}
    assert report.stopped is None and len(verdicts) == len(urls)
    for name in ("png", "jpeg"):
        assert (got[name].status, got[name].reason) == ("pass", "ok")
        assert got[name].image_count == 1 and got[name].request_id
        assert got[name].backend == "dashscope"
    assert (got["gif"].status, got["gif"].reason) == ("fail", "unsupported_format")
    assert "InvalidParameter.UnsupportedFileFormat" in got["gif"].message
    assert (got["missing"].status, got["missing"].reason) == ("fail", "download_failed")
    assert (got["refused"].status, got["refused"].reason) == ("fail", "download_failed")
    assert "ConnectionRefused" in got["refused"].message
    assert backend.billed == 2


async def test_precheck_spends_no_call_on_a_rule_failure(
    serve_base: str, image_host: ImageHost
) -> None:
    urls = host_images(image_host)
    backend = backend_for(serve_base, precheck=True)
    verdicts, _ = await run(backend, [urls["png"], urls["gif"]])
    assert backend.calls == 1
    assert (verdicts[1].status, verdicts[1].reason) == ("fail", "unsupported_format")
    assert (verdicts[0].width, verdicts[0].height, verdicts[0].format) == (320, 400, "png")


async def test_wrong_key_against_serve_stops_the_run(serve_base: str) -> None:
    backend = backend_for(serve_base, key="sk-wrong-key-000000")
    verdicts, report = await run(backend, fake_urls(12))
    assert not verdicts and report.stopped is not None
    assert "API key was refused" in report.stopped and "sk-wrong" not in report.stopped
    assert backend.calls == 1


# -- against a hostile fake -----------------------------------------------------------
@pytest.fixture
def fake() -> Any:
    def serve(script: Any) -> Any:
        api = FakeDashScope(script)
        return api, running(api.app())

    return serve


async def test_throttling_retries_honours_retry_after_and_slows_the_run(fake: Any) -> None:
    api, server = fake(
        lambda hit, body: (
            error(429, "Throttling.RateQuota", "slow", {"Retry-After": "0.3"}) if hit <= 2 else ok()
        )
    )
    with server as base:
        backend = backend_for(base)
        started = time.monotonic()
        verdicts, _ = await run(backend, fake_urls(5), rate=20)
        elapsed = time.monotonic() - started
    assert [v.status for v in verdicts.values()] == ["pass"] * 5
    assert api.hits == 7 and elapsed >= 0.6
    assert backend.limiter.rate is not None and backend.limiter.rate < 20


async def test_calls_are_paced_at_the_rate_with_the_local_precheck_on(
    fake: Any, image_host: ImageHost
) -> None:
    """The default path (rules checked locally, then the API): no burst past --rate."""
    stamps: list[float] = []

    def answer(hit: int, body: Any) -> Any:
        stamps.append(time.monotonic())
        return ok()

    _, server = fake(answer)
    urls = [image_host.add(f"/p{i}.png", image("PNG")) for i in range(8)]
    with server as base:
        verdicts, _ = await run(backend_for(base, precheck=True), urls, concurrency=8, rate=10)
    assert [v.status for v in verdicts.values()] == ["pass"] * 8
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.05, gaps  # 10 per second: about 0.1 s apart, never a burst


async def test_endless_throttling_gives_up_boundedly(fake: Any) -> None:
    api, server = fake(lambda hit, body: error(429, "Throttling", "", {"Retry-After": "0"}))
    with server as base:
        backend = backend_for(base)
        backend.min_rate = 200.0
        verdicts, _ = await run(backend, fake_urls(2), rate=400)
    assert [(v.status, v.reason) for v in verdicts.values()] == [("error", "api_error")] * 2
    assert api.hits == 2 * 7


async def test_server_errors_are_retried_a_bounded_number_of_times(fake: Any) -> None:
    api, server = fake(lambda hit, body: error(500, "InternalError", "boom"))
    with server as base:
        verdicts, report = await run(backend_for(base), fake_urls(3))
    assert [(v.status, v.reason) for v in verdicts.values()] == [("error", "api_error")] * 3
    assert api.hits == 3 * 4 and report.stopped is None


async def test_a_passing_retry_counts_once(fake: Any) -> None:
    api, server = fake(lambda hit, body: error(503, "ModelUnavailable") if hit == 1 else no_face())
    with server as base:
        backend = backend_for(base)
        verdicts, _ = await run(backend, fake_urls(1))
    assert (verdicts[0].status, verdicts[0].reason) == ("fail", "no_face")
    assert verdicts[0].message == "No human face detected."
    assert api.hits == 2 and backend.billed == 1


async def test_a_slow_api_times_out_boundedly(fake: Any) -> None:
    api, server = fake(lambda hit, body: (*ok()[:3], 1.0))
    with server as base:
        backend = backend_for(base, timeout=0.2)
        verdicts, _ = await run(backend, fake_urls(1))
    assert (verdicts[0].status, verdicts[0].reason) == ("error", "timeout")
    assert api.hits == 4


async def test_a_wrong_key_stops_within_one_call(fake: Any) -> None:
    api, server = fake(lambda hit, body: error(401, "InvalidApiKey", f"Invalid key {KEY}"))
    with server as base:
        verdicts, report = await run(backend_for(base), fake_urls(40), concurrency=16)
    assert api.hits == 1 and not verdicts
    assert report.stopped and KEY not in report.stopped and "***" in report.stopped


async def test_an_account_problem_stops_the_run(fake: Any) -> None:
    api, server = fake(lambda hit, body: ok() if hit == 1 else error(400, "Arrearage", "owed"))
    with server as base:
        verdicts, report = await run(backend_for(base), fake_urls(10), concurrency=1)
    assert len(verdicts) == 1 and report.stopped and "account" in report.stopped
    assert api.hits == 2


async def test_max_images_is_never_exceeded(fake: Any) -> None:
    api, server = fake(lambda hit, body: ok())
    with server as base:
        backend = backend_for(base, max_images=3)
        verdicts, report = await run(backend, fake_urls(10), concurrency=4)
    assert backend.billed == 3 and api.hits == 3 and len(verdicts) == 3
    assert report.stopped and "--max-images" in report.stopped


async def test_request_shape_and_no_key_anywhere(
    fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api, server = fake(
        lambda hit, body: error(400, "InvalidParameter", f"echo {KEY}") if hit > 1 else ok()
    )
    with server as base:
        verdicts, _ = await run(backend_for(base), fake_urls(3), concurrency=1)
    assert api.bodies[0] == {
        "model": "liveportrait-detect",
        "input": {"image_url": "http://img.example/0.png"},
    }
    assert api.auth[0] == f"Bearer {KEY}"
    assert verdicts[1].status == "fail" and "echo ***" in verdicts[1].message
    dumped = json.dumps([asdict(v) for v in verdicts.values()], default=str)
    assert KEY not in dumped and KEY not in caplog.text


# -- the real command, end to end ------------------------------------------------------
def check_command(
    base: str, listfile: Path, out: Path, key: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tui", "check", str(listfile), "--backend", "dashscope"]
    command += ["--endpoint", base + "/api/v1", "--jsonl", str(out), "--no-cache", *extra]
    env = {**os.environ, "DASHSCOPE_API_KEY": key}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=90)


def test_check_command_against_serve(
    serve_base: str, image_host: ImageHost, tmp_path: Path
) -> None:
    urls = host_images(image_host)
    listfile = tmp_path / "urls.txt"
    listfile.write_text("\n".join(urls.values()) + "\n")
    out = tmp_path / "report.jsonl"
    done = check_command(serve_base, listfile, out, KEY)
    assert done.returncode == 0, done.stderr
    rows = {r["url"]: r for r in map(json.loads, out.read_text().splitlines())}
    got = {name: (rows[u]["status"], rows[u]["reason"]) for name, u in urls.items()}
    assert got == {
        "png": ("pass", "ok"),
        "jpeg": ("pass", "ok"),
        "gif": ("fail", "unsupported_format"),
        "missing": ("fail", "download_failed"),
        "refused": ("error", "network"),
    }
    assert rows[urls["png"]]["image_count"] == 1 and rows[urls["png"]]["request_id"]
    assert rows[urls["png"]]["backend"] == "dashscope"
    assert KEY not in done.stderr + done.stdout + out.read_text()


def test_check_command_with_a_wrong_key_stops(serve_base: str, tmp_path: Path) -> None:
    wrong = "sk-WRONG-9876543210"
    listfile = tmp_path / "urls.txt"
    listfile.write_text("".join(f"http://127.0.0.1:9/{i}.png\n" for i in range(5)))
    out = tmp_path / "report.jsonl"
    done = check_command(serve_base, listfile, out, wrong, "--no-precheck")
    assert done.returncode == 3, done.stderr
    assert "API key was refused" in done.stderr
    assert wrong not in done.stderr + done.stdout + out.read_text()
