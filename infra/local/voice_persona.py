"""The telephony provider as the local cloud's persona: Alibaba Cloud's voice service (语音服务 VMS) as
its own API, for the demo and the tests.

- ``GET /?Action=SingleCallByTts&...`` checks the RPC signature (version 1.0, HMAC-SHA1 with the account's
  AccessKeySecret, as Aliyun does), the parameters the call needs and the timestamp, keeps the call and
  answers ``{"Code": "OK", "CallId": ...}``; a bad signature answers ``SignatureDoesNotMatch`` (HTTP 400);
- ``GET /calls`` lists the calls placed (the local cloud's outbox shows them);
- ``POST /fail-next`` with ``{"count": n}``: the next n calls are refused as by an overloaded provider;
- ``POST /calls/{call_id}/press`` with ``{"dtmf": "1"}``: the callee pressed a key; the persona sends the
  call report to the callback URL, signed with the callback secret (``X-Voice-Signature``).

The account's keys and the callback secret are the deployment's ``VoiceProviderSecret``: the local cloud
writes the persona's into it after provisioning, as an operator writes Aliyun's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local.persona_http import post_with_retries

log = logging.getLogger("courtyard.voice_persona")
ACCESS_KEY_ID = "LTAIlocalvoice"
SHOW_NUMBER = "057100000000"
_REQUIRED = ("CalledNumber", "TtsCode", "AccessKeyId", "Timestamp", "SignatureNonce", "Signature")
_SKEW_S = 900


def _encode(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def rpc_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Aliyun's RPC signature (1.0), written here from the provider's documentation, not from the adapter."""
    canonical = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&%2F&{_encode(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def sign_report(secret: str, body: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass(frozen=True)
class PlacedCall:
    call_id: str
    called_number: str
    tts_code: str
    params: dict[str, str]
    out_id: str
    placed_at: str


class VoicePersona:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self.access_key_secret = secrets.token_urlsafe(24)
        self.callback_secret = secrets.token_urlsafe(24)
        self.callback_url = ""
        self._calls: list[PlacedCall] = []
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        # Tests: answer the next N calls as an overloaded provider would (a transient refusal).
        self.fail_next = 0
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        persona = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet: the cloud logs what matters
                return

            def do_GET(self) -> None:
                persona._get(self)

            def do_POST(self) -> None:
                persona._post(self)

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        threading.Thread(target=self._server.serve_forever, name="voice-persona", daemon=True).start()
        port = self._server.server_address[1]
        self.url = f"http://{self._host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def secret_document(self) -> dict[str, str]:
        """What the deployment's VoiceProviderSecret holds for this account."""
        return {
            "access_key_id": ACCESS_KEY_ID,
            "access_key_secret": self.access_key_secret,
            "callback_secret": self.callback_secret,
            "show_number": SHOW_NUMBER,
        }

    # ------------------------------------------------------------------ the provider's side

    def calls(self) -> list[PlacedCall]:
        with self._lock:
            return list(self._calls)

    def place(self, params: dict[str, str], now: datetime | None = None) -> tuple[int, dict[str, Any]]:
        """Aliyun's answer to one RPC request (status, JSON body)."""
        request_id = str(uuid.uuid4()).upper()
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"Code": "ServiceUnavailable", "Message": "busy", "RequestId": request_id}
        if params.get("Action") != "SingleCallByTts":
            return 400, {
                "Code": "InvalidAction.NotFound",
                "Message": "unknown action",
                "RequestId": request_id,
            }
        missing = [name for name in _REQUIRED if not params.get(name)]
        if missing:
            return 400, {
                "Code": "MissingParameter",
                "Message": f"missing {missing[0]}",
                "RequestId": request_id,
            }
        if params["AccessKeyId"] != ACCESS_KEY_ID:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "unknown key",
                "RequestId": request_id,
            }
        expected = rpc_signature(self.access_key_secret, "GET", params)
        if not hmac.compare_digest(expected, params["Signature"]):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature", "RequestId": request_id}
        at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((now or datetime.now(UTC)).timestamp() - at.timestamp()) > _SKEW_S:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "stale", "RequestId": request_id}
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used", "RequestId": request_id}
            self._nonces.add(params["SignatureNonce"])
            try:
                tts = {str(k): str(v) for k, v in json.loads(params.get("TtsParam") or "{}").items()}
            except (ValueError, AttributeError):
                return 400, {"Code": "isv.INVALID_PARAMETERS", "Message": "TtsParam", "RequestId": request_id}
            call = PlacedCall(
                call_id=f"{uuid.uuid4().int % 10**18}^{uuid.uuid4().int % 10**12}",
                called_number=params["CalledNumber"],
                tts_code=params["TtsCode"],
                params=tts,
                out_id=params.get("OutId", ""),
                placed_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            self._calls.append(call)
        return 200, {"Code": "OK", "Message": "OK", "CallId": call.call_id, "RequestId": request_id}

    def report(self, call_id: str, dtmf: str, at: int | None = None) -> tuple[str, dict[str, str]]:
        """The signed call report of the callee pressing ``dtmf`` (body, headers), signed at ``at`` (unix
        seconds; now by default)."""
        call = next((c for c in self.calls() if c.call_id == call_id), None)
        if call is None:
            raise KeyError(call_id)
        body = json.dumps(
            [
                {
                    "call_id": call.call_id,
                    "out_id": call.out_id,
                    "status_code": "200000",
                    "status_msg": "用户听音",
                    "dtmf": dtmf,
                    "callee": call.called_number,
                    "start_time": call.placed_at,
                }
            ],
            ensure_ascii=False,
        )
        signed_at = int(time.time()) if at is None else at
        return body, {"X-Voice-Signature": sign_report(self.callback_secret, body, signed_at)}

    def press(self, call_id: str, dtmf: str) -> list[int]:
        body, headers = self.report(call_id, dtmf)
        return post_with_retries(self.callback_url, lambda: (body, headers, "application/json"))

    # ------------------------------------------------------------------ HTTP

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        if parts.path == "/calls":
            self._answer(request, 200, {"calls": [asdict(c) for c in self.calls()]})
            return
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items()}
        status, body = self.place(params)
        if status != 200:
            log.warning("voice request refused: %s", body["Code"])
        self._answer(request, status, body)

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path).path.strip("/").split("/")
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b"{}"
        if parts == ["fail-next"]:
            with self._lock:
                self.fail_next = int(json.loads(raw or b"{}").get("count", 1))
            self._answer(request, 200, {"fail_next": self.fail_next})
            return
        if len(parts) == 3 and parts[0] == "calls" and parts[2] == "press":
            try:
                dtmf = str(json.loads(raw or b"{}").get("dtmf", "1"))
                statuses = self.press(parts[1], dtmf)
            except KeyError:
                self._answer(request, 404, {"error": "unknown call"})
                return
            except ValueError:
                self._answer(request, 400, {"error": "body must be JSON"})
                return
            self._answer(request, 200, {"delivered": statuses})
            return
        self._answer(request, 404, {"error": "not found"})

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
