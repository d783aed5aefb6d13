"""The local web edge: history fallback, caching headers, /api forwarding (prefix stripped, only the API's
headers), /config.json."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra.local.edge import IMMUTABLE, NO_CACHE, WebConfig, WebEdge, app_file


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    dist = tmp_path / "console" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>console</html>", encoding="utf-8")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)", encoding="utf-8")
    return tmp_path


def test_a_route_without_a_file_gets_the_apps_index_uncached(web_root: Path) -> None:
    for path in ("/console/", "/console/tickets/01J0000", "/console/today"):
        assert app_file(web_root, path) == (web_root / "console" / "dist" / "index.html", NO_CACHE)


def test_a_route_whose_last_part_has_a_dot_but_no_file_type_still_gets_the_index(web_root: Path) -> None:
    # An invitation link carries the code "<tenant>.<secret>": a route of the app, not a missing file.
    index = (web_root / "console" / "dist" / "index.html", NO_CACHE)
    assert app_file(web_root, "/console/invite/01JTENANT.ABCD-EFGH-JKMN") == index
    assert app_file(web_root, "/console/gone.css") is None


def test_hashed_assets_are_immutable_and_a_missing_one_is_404(web_root: Path) -> None:
    assert app_file(web_root, "/console/assets/index-abc.js") == (
        web_root / "console" / "dist" / "assets" / "index-abc.js",
        IMMUTABLE,
    )
    assert app_file(web_root, "/console/assets/gone.js") is None


def test_no_path_escapes_the_apps_folder_and_unknown_apps_are_404(web_root: Path) -> None:
    assert app_file(web_root, "/console/../../etc/passwd") is None
    assert app_file(web_root, "/other/index.html") is None
    assert app_file(web_root, "/m/") is None  # no mobile build yet


class _Upstream(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def log_message(self, *_: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Upstream.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        answer = b'{"error": {"code": "conflict", "message": "taken", "details": []}}'
        self.send_response(409)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "leak=1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def edge(web_root: Path) -> Iterator[str]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    config = WebConfig("/api", "us-east-1", "pool", "client", "/_cognito/", "dev")
    server = WebEdge(url, url, config, web_root=web_root)
    yield server.start()
    server.stop()
    upstream.shutdown()
    upstream.server_close()


def test_api_calls_reach_the_gateway_without_the_prefix_with_the_apis_headers_only(edge: str) -> None:
    _Upstream.seen.clear()
    request = urllib.request.Request(
        f"{edge}/api/tickets?limit=5",
        data=b'{"category": "plumbing"}',
        method="POST",
        headers={
            "Authorization": "Bearer t",
            "Content-Type": "application/json",
            "Idempotency-Key": "key-12345678",
            "X-On-Behalf-Of": "R1",
            "Cookie": "session=secret",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 409
    assert json.loads(answer.value.read())["error"]["code"] == "conflict"
    assert answer.value.headers.get("Set-Cookie") is None
    (call,) = _Upstream.seen
    assert call["path"] == "/tickets?limit=5"
    assert call["body"] == b'{"category": "plumbing"}'
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert headers["authorization"] == "Bearer t"
    assert headers["idempotency-key"] == "key-12345678"
    assert headers["x-on-behalf-of"] == "R1"
    assert "cookie" not in headers


def test_config_json_carries_the_clouds_settings_uncached(edge: str) -> None:
    with urllib.request.urlopen(f"{edge}/config.json", timeout=10) as answer:
        assert answer.headers["Cache-Control"] == NO_CACHE
        assert json.loads(answer.read()) == {
            "apiBase": "/api",
            "region": "us-east-1",
            "userPoolId": "pool",
            "userPoolClientId": "client",
            "cognitoEndpoint": "/_cognito/",
            "stage": "dev",
            "timeZone": "Asia/Shanghai",
            "requireMfa": True,
            "wechatAuthorizeUrl": "https://open.weixin.qq.com/connect/oauth2/authorize",
            "wechatAppId": "",
        }


def test_cognito_calls_reach_the_aws_endpoint_root(edge: str) -> None:
    _Upstream.seen.clear()
    request = urllib.request.Request(
        f"{edge}/_cognito/",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "X.InitiateAuth"},
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10)
    (call,) = _Upstream.seen
    assert call["path"] == "/"
    assert {k.lower(): v for k, v in call["headers"].items()}["x-amz-target"] == "X.InitiateAuth"
