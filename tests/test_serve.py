"""`portrait-review serve` on a real loopback socket: documented bodies, errors, auth, SSRF,
and the official dashscope SDK pointed at it."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakeapi import FACE_DETECT, image, running
from tui import serve
from tui.engine import netguard
from tui.engine.backend import RulesBackend
from tui.engine.engine import EngineSettings
from tui.imagehost import ImageHost
from tui.serve import blocked_reason, create_app

KEY = "sk-serve-test-key-42"
MODEL = "liveportrait-detect"


def body(url: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": {"image_url": url}, **extra}


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    """A client for serve (rules only, key required, loopback allowed, 1 s downloads)."""
    settings = EngineSettings(concurrency=4, timeout=1.0, processes=1)
    app = create_app(RulesBackend(), settings, api_key=KEY, allow_private=True)
    with running(app) as base, httpx.Client(base_url=base, timeout=20) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        yield client


def test_a_passing_image_gets_the_documented_body(api: httpx.Client, image_host: ImageHost) -> None:
    url = image_host.add("/a.png", image("PNG"))
    response = api.post(FACE_DETECT, json=body(url, parameters={}))
    assert response.status_code == 200
    data = response.json()
    assert data["output"]["pass"] is True and data["output"]["message"] == "success"
    assert data["usage"] == {"image_count": 1}
    uuid.UUID(data["request_id"])


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        (b"{not json", "InvalidParameter", "JSON"),
        (b"[]", "InvalidParameter", "object"),
        (b'{"input": {"image_url": "http://a/b.png"}}', "InvalidParameter", "Model"),
        (
            b'{"model": "qwen-max", "input": {"image_url": "http://a/b.png"}}',
            "InvalidParameter",
            "Model",
        ),
        (b'{"model": "liveportrait-detect", "input": {}}', "InvalidParameter", "input.image_url"),
        (b'{"model": "liveportrait-detect"}', "InvalidParameter", "input.image_url"),
        (
            b'{"model": "liveportrait-detect", "input": {"image_url": "ftp://a/b.png"}}',
            "InvalidURL",
            "ftp",
        ),
        (
            b'{"model": "liveportrait-detect", "input": {"image_url": "/tmp/a.png"}}',
            "InvalidURL",
            "http",
        ),
    ],
)
def test_bad_requests_are_400(api: httpx.Client, payload: bytes, code: str, words: str) -> None:
    response = api.post(FACE_DETECT, content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == code and words in data["message"] and data["request_id"]


def test_image_errors_use_the_platform_codes(api: httpx.Client, image_host: ImageHost) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/x.png"
    cases = {
        image_host.add("/c.gif", image("GIF")): "InvalidParameter.UnsupportedFileFormat",
        image_host.add("/wide.png", image("PNG", (900, 300))): "InvalidParameter",
        image_host.add("/huge.png", image("PNG", (4200, 2400))): "InvalidParameter",
        image_host.url("/missing.png"): "BadRequest.InputDownloadFailed",
        image_host.add("/slow.png", image("PNG"), delay=3.0): "InvalidURL.Timeout",
        refused: "InvalidURL.ConnectionRefused",
    }
    for url, code in cases.items():
        response = api.post(FACE_DETECT, json=body(url))
        assert (response.status_code, response.json()["code"]) == (400, code), url
    wide = api.post(FACE_DETECT, json=body(image_host.url("/wide.png"))).json()
    assert "aspect ratio" in wide["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {KEY}", f"Bearer {KEY}x"])
def test_a_missing_or_wrong_key_is_401(
    api: httpx.Client, image_host: ImageHost, header: str | None
) -> None:
    url = image_host.add("/a.png", image("PNG"))
    headers = {"Authorization": header} if header else {}
    del api.headers["Authorization"]
    response = api.post(FACE_DETECT, json=body(url), headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "InvalidApiKey")
    assert image_host.hits["/a.png"] == 0


def test_unknown_paths_answer_json(api: httpx.Client) -> None:
    response = api.post("/api/v1/services/aigc/other")
    assert response.status_code == 404 and response.json()["code"] == "NotFound"
    assert api.get(FACE_DETECT).status_code == 405


def test_a_full_queue_answers_429_with_retry_after(image_host: ImageHost) -> None:
    url = image_host.add("/a.png", image("PNG"))
    app = create_app(RulesBackend(), allow_private=True, max_waiting=0)
    with running(app) as base:
        response = httpx.post(base + FACE_DETECT, json=body(url))
    assert (response.status_code, response.json()["code"]) == (429, "Throttling.RateQuota")
    assert response.headers["Retry-After"] == "1"


# -- SSRF guard ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "localhost",
        "0.0.0.0",
    ],
)
async def test_private_addresses_are_blocked(host: str) -> None:
    assert (await blocked_reason(host, 80) or "").startswith("blocked:")


async def test_public_addresses_pass() -> None:
    assert await blocked_reason("8.8.8.8", 80) is None
    assert await blocked_reason("2606:4700:4700::1111", 443) is None


def test_serve_refuses_loopback_images(image_host: ImageHost) -> None:
    url = image_host.add("/a.png", image("PNG"))
    with running(create_app(RulesBackend())) as base:
        response = httpx.post(base + FACE_DETECT, json=body(url))
    assert (response.status_code, response.json()["code"]) == (400, "InvalidURL")
    assert "loopback" in response.json()["message"]
    assert image_host.hits["/a.png"] == 0


def test_a_redirect_to_a_private_host_is_refused(
    image_host: ImageHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = netguard.refusal

    def first_hop_public(host: str, addresses: list[Any]) -> str | None:
        return None if host == "127.0.0.1" else real(host, addresses)

    monkeypatch.setattr(netguard, "refusal", first_hop_public)
    target = image_host.add("/a.png", image("PNG")).replace("127.0.0.1", "localhost")
    start = image_host.add("/r", redirect_to=target)
    with running(create_app(RulesBackend())) as base:
        response = httpx.post(base + FACE_DETECT, json=body(start))
    assert (response.status_code, response.json()["code"]) == (400, "InvalidURL")
    assert "loopback" in response.json()["message"]
    assert image_host.hits["/r"] == 1 and image_host.hits["/a.png"] == 0


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect(
    image_host: ImageHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: public when serve looks, loopback when it connects."""
    port = int(image_host.base_url.rsplit(":", 1)[1])
    url = image_host.add("/a.png", image("PNG")).replace("127.0.0.1", "rebind.test")
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding(host: str, port_: int) -> list[Any]:
        assert host == "rebind.test" and port_ == port
        return [ipaddress.ip_address(a) for a in next(answers)]

    monkeypatch.setattr(netguard, "resolve", rebinding)
    with running(create_app(RulesBackend())) as base:
        response = httpx.post(base + FACE_DETECT, json=body(url))
    assert response.status_code == 400, response.text
    assert "loopback" in response.json()["message"]
    assert image_host.hits["/a.png"] == 0


# -- the official SDK ----------------------------------------------------------------------
def test_the_dashscope_sdk_gets_the_documented_answers(
    api: httpx.Client, image_host: ImageHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashscope = pytest.importorskip("dashscope")
    from dashscope.client.base_api import BaseApi

    monkeypatch.setattr(dashscope, "base_http_api_url", str(api.base_url) + "/api/v1")

    def call(url: str, key: str = KEY) -> Any:
        return BaseApi.call(
            model=MODEL,
            input={"image_url": url},
            task_group="aigc",
            task="image2video",
            function="face-detect",
            api_key=key,
        )

    passed = call(image_host.add("/a.jpg", image("JPEG")))
    assert passed.status_code == 200 and passed.output["pass"] is True
    assert passed.usage["image_count"] == 1 and passed.request_id
    gif = call(image_host.add("/c.gif", image("GIF")))
    assert (gif.status_code, gif.code) == (400, "InvalidParameter.UnsupportedFileFormat")
    wrong = call(image_host.url("/a.jpg"), key="sk-nope")
    assert (wrong.status_code, wrong.code) == (401, "InvalidApiKey")


# -- with the embedded face checker ------------------------------------------------------
def test_serve_answers_with_the_face_checker(image_host: ImageHost) -> None:
    local = pytest.importorskip("tui.checker.local")
    images = pytest.importorskip("tests.images")
    portrait = image_host.add("/p.jpg", images.grace_hopper_bytes())
    blank = image_host.add("/b.png", image("PNG"))
    settings = EngineSettings(concurrency=2, processes=1)
    with running(create_app(local.LocalBackend, settings, allow_private=True)) as base:
        yes = httpx.post(base + FACE_DETECT, json=body(portrait), timeout=60).json()
        no = httpx.post(base + FACE_DETECT, json=body(blank), timeout=60).json()
    assert yes["output"]["pass"] is True and yes["output"]["message"] == "success"
    assert len(yes["output"]["face_bbox"]) == 4 and yes["output"]["faces"]
    assert no["output"] == {**no["output"], "pass": False, "message": "No human face detected."}
    assert no["usage"] == {"image_count": 1}


def test_serve_command_runs_and_answers(image_host: ImageHost) -> None:
    pytest.importorskip("tui.checker.local")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "tui", "serve", "--port", str(port), "--allow-private"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        url = image_host.add("/b.png", image("PNG"))
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}{FACE_DETECT}", json=body(url), timeout=60
                )
                break
            except httpx.ConnectError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["output"]["pass"] is False
    finally:
        process.terminate()
        process.wait(20)


def test_serve_without_its_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert serve.serve_main(None, None) == 2  # type: ignore[arg-type]
    assert "pip install 'portrait-review[serve]'" in capsys.readouterr().err
