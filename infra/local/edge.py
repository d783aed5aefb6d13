"""The local web edge: what CloudFront is in AWS, on one loopback origin.

It serves the built web apps (``web/console/dist`` under ``/console/``, ``web/mobile/dist`` under
``/m/``) with a history fallback to each app's ``index.html``, forwards ``/api/*`` to the local API gateway
with the prefix stripped (as the distribution's viewer-request function does), forwards the apps' Cognito
calls (``/_cognito/``) to moto, and answers ``/config.json`` with the running cloud's settings. One origin
means the browser needs no CORS, which moto's Cognito could not answer anyway.
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import re
import socket
import sys
import threading
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
WEB_ROOT = ROOT / "web"
# URL prefix -> the app's folder under web/.
APPS = {"console": "console", "m": "mobile"}
API_PREFIX = "/api"
COGNITO_PREFIX = "/_cognito"
# The headers a browser's API call carries that the API reads; nothing else crosses (no cookies).
API_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Idempotency-Key",
    "X-On-Behalf-Of",
    "X-Assist-Reason",
    # WeChat Pay's notification signature (CloudFront's AllViewerExceptHostHeader forwards them too).
    "Wechatpay-Serial",
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature-Type",
)
COGNITO_REQUEST_HEADERS = ("Content-Type", "X-Amz-Target", "X-Amz-User-Agent")
RESPONSE_HEADERS = ("Content-Type", "Retry-After", "Location", "x-amzn-ErrorType", "x-amzn-RequestId")
# What the builds emit: only a last path part with one of these types is a file (a missing one is 404);
# anything else, even with a dot (an invitation code "<tenant>.<secret>"), is a route of the app.
FILE_TYPE = re.compile(r"\.(?:js|mjs|css|html|json|webmanifest|svg|png|jpe?g|webp|ico|txt|map|woff2?)$")
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class WebConfig:
    """The body of ``/config.json`` (the apps' RuntimeConfig in web/shared/src/config)."""

    apiBase: str
    region: str
    userPoolId: str
    userPoolClientId: str
    cognitoEndpoint: str
    stage: str
    timeZone: str = "Asia/Shanghai"
    # The console asks managers, finance and platform operators for TOTP when the stage requires it
    # (template parameter RequireMfa, enforced by the API); the local cloud turns it off.
    requireMfa: bool = True
    # Residents' 「微信一键登录」: WeChat's web OAuth page and the official account's app id (public: both are
    # in every authorize URL). No app id: the app shows the phone sign-in only.
    wechatAuthorizeUrl: str = "https://open.weixin.qq.com/connect/oauth2/authorize"
    wechatAppId: str = ""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()


class WebEdge:
    def __init__(
        self,
        api_url: str,
        aws_endpoint: str,
        config: WebConfig,
        *,
        web_root: Path = WEB_ROOT,
        host: str = "127.0.0.1",
        port: int = 0,
        listening: socket.socket | None = None,
    ) -> None:
        handler = _handler(api_url, aws_endpoint, config, web_root)
        if listening is None:
            self._server = _EdgeServer((host, port), handler)
        else:
            # A socket bound before the stack existed: its URL went into the template's parameters.
            self._server = _EdgeServer(listening.getsockname()[:2], handler, bind_and_activate=False)
            self._server.socket.close()
            self._server.socket = listening
            self._server.server_address = listening.getsockname()[:2]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="web-edge")

    def start(self) -> str:
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def app_file(web_root: Path, path: str) -> tuple[Path, str] | None:
    """The file a request path stands for and its Cache-Control, or None when no app has it: ``/console/``
    and any route without a file extension get the app's index.html (history fallback); a missing asset
    (``/console/assets/gone.js``) is a real 404 so a stale tab reloads instead of parsing HTML as JS."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in APPS:
        return None
    dist = (web_root / APPS[parts[0]] / "dist").resolve()
    index = dist / "index.html"
    rest = parts[1:]
    if any(p in {"..", "."} for p in rest):
        return None
    if rest:
        candidate = (dist / Path(*rest)).resolve()
        if candidate.is_file() and candidate.is_relative_to(dist):
            cache = IMMUTABLE if rest[0] == "assets" else NO_CACHE
            return candidate, (NO_CACHE if candidate.name == "index.html" else cache)
        if FILE_TYPE.search(rest[-1]):
            return None
    return (index, NO_CACHE) if index.is_file() else None


def _handler(api_url: str, aws_endpoint: str, config: WebConfig, web_root: Path) -> type[_EdgeHandler]:
    settings = {
        "api_netloc": urlsplit(api_url).netloc,
        "aws_netloc": urlsplit(aws_endpoint).netloc,
        "config": config,
        "web_root": web_root,
    }
    return type("EdgeHandler", (_EdgeHandler,), settings)


class _EdgeServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that closed the page (or a test that closed its phone) before the answer was written: what
        # CloudFront logs as a client disconnect, not an edge failure worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _EdgeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api_netloc: str
    aws_netloc: str
    config: WebConfig
    web_root: Path

    def log_message(self, *_: Any) -> None:
        return

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_PATCH(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def do_OPTIONS(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._forward(self.api_netloc, self.path[len(API_PREFIX) :] or "/", API_REQUEST_HEADERS)
        elif path == COGNITO_PREFIX or path.startswith(COGNITO_PREFIX + "/"):
            self._cognito()
        elif self.command not in {"GET", "HEAD"}:
            self._send(405, b"method not allowed", "text/plain; charset=utf-8", NO_CACHE)
        elif path == "/config.json":
            self._send(200, self.config.to_json(), "application/json", NO_CACHE)
        elif path in {"", "/"}:
            self._redirect("/console/")
        elif path in {f"/{prefix}" for prefix in APPS}:
            self._redirect(path + "/")
        else:
            self._static(path)

    def _cognito(self) -> None:
        if self.headers.get("X-Amz-Target", "").endswith(".RevokeToken"):
            # moto 5.2 has no RevokeToken (it answers 500); the apps call it after GlobalSignOut, which
            # already ends every session of the user in moto, so answering its success is the truth here.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(200, b"{}", "application/x-amz-json-1.1", NO_CACHE)
            return
        self._forward(self.aws_netloc, "/", COGNITO_REQUEST_HEADERS)

    def _static(self, path: str) -> None:
        found = app_file(self.web_root, path)
        if found is None:
            self._send(404, b"not found", "text/plain; charset=utf-8", NO_CACHE)
            return
        file, cache = found
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in {"application/javascript", "application/json"}:
            kind += "; charset=utf-8"
        self._send(200, file.read_bytes(), kind, cache)

    def _forward(self, netloc: str, target: str, allowed: tuple[str, ...]) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: self.headers[name] for name in allowed if self.headers.get(name) is not None}
        connection = http.client.HTTPConnection(netloc, timeout=120)
        try:
            connection.request(self.command, target, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
        except OSError as error:
            # What CloudFront answers when its origin is unreachable.
            message = json.dumps({"error": {"code": "bad_gateway", "message": str(error), "details": []}})
            self._send(502, message.encode(), "application/json", NO_CACHE)
            return
        finally:
            connection.close()
        self.send_response(answer.status)
        for name in RESPONSE_HEADERS:
            value = answer.getheader(name)
            if value is not None:
                self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str, cache: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
