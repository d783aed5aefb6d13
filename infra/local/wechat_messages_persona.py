"""WeChat's service-account message API as the local cloud plays it (issue 18), beside the login persona.

Served by the pay sandbox under ``/wechat-api`` (the notifications senders' ``WECHAT_API_BASE``), for the apps
the login persona knows (the provisioned ``wechat-login`` parameter: one service account for sign-in and
messages):
- ``GET /wechat-api/cgi-bin/token?grant_type=client_credential&appid&secret`` answers ``{"access_token",
  "expires_in": 7200}``; 40013 invalid appid, 40125 invalid appsecret, 40002 invalid grant_type;
- ``POST /wechat-api/cgi-bin/message/template/send?access_token=...`` with ``{"touser", "template_id",
  "url"?, "data"}`` keeps the message and answers ``{"errcode": 0, "errmsg": "ok", "msgid"}``; 40001 for a
  token it did not give (or an expired one), 40003 for an openid of no user of the app, 40037 without a
  template id, 47003 when ``data`` holds no ``{"value"}`` fields, 43101 when the user refused the
  account's messages (``refuse``), as WeChat answers (HTTP 200 and an ``errcode``);
- ``GET /wechat-api/_persona/messages`` lists what was sent (the local cloud's outbox, stories and e2e read
  it): openid, the test user it belongs to, template id, the fields' values and the url;
- ``POST /wechat-api/_persona/refuse`` ``{"user": "..."}`` is that user switching the account's messages off.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.persona_http import PersonaReply
from infra.local.wechat_login_persona import PREFIX, WeChatLoginPersona

TOKEN_SECONDS = 7200


@dataclass(frozen=True)
class SentMessage:
    msgid: int
    app_id: str
    openid: str
    user: str
    template_id: str
    values: dict[str, str]
    url: str = ""
    at: float = field(default=0.0)


class WeChatMessagesPersona:
    def __init__(self, login: WeChatLoginPersona, clock: Any = time.time) -> None:
        self._login = login
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (app id, expiry)
        self._users: dict[str, set[str]] = {}  # refused: app id -> users
        self._sent: list[SentMessage] = []
        self._next_id = 2_000_000_000
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ what tests and the cloud call
    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(self._sent)

    def refuse(self, user: str, app_id: str | None = None) -> None:
        app = app_id or self._login.first_app()
        with self._lock:
            self._users.setdefault(app, set()).add(user)

    # ------------------------------------------------------------------ HTTP
    def route(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> PersonaReply | None:  # noqa: ARG002
        parts = urlsplit(path)
        inner = parts.path.removeprefix(PREFIX)
        if not parts.path.startswith(PREFIX + "/"):
            return None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and inner == "/cgi-bin/token":
            return _json(self.token(query))
        if method == "POST" and inner == "/cgi-bin/message/template/send":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _json(_error(47001, "data format error"))
            return _json(self.send(query.get("access_token", ""), body if isinstance(body, dict) else {}))
        if method == "GET" and inner == "/_persona/messages":
            return _json({"messages": [asdict(m) for m in self.sent()]})
        if method == "POST" and inner == "/_persona/refuse":
            self.refuse(str(json.loads(raw or b"{}").get("user") or ""))
            return _json({"ok": True})
        return None  # the login persona's paths

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        app_id = query.get("appid", "")
        if not self._login.has_app(app_id):
            return _error(40013, "invalid appid")
        if not self._login.secret_matches(app_id, query.get("secret", "")):
            return _error(40125, "invalid appsecret")
        if query.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = (app_id, self._clock() + TOKEN_SECONDS)
        return {"access_token": token, "expires_in": TOKEN_SECONDS}

    def send(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            held = self._tokens.get(token)
        if held is None or held[1] <= self._clock():
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        app_id = held[0]
        openid = str(body.get("touser") or "")
        user = self._login.user_of(openid, app_id)
        if user is None:
            return _error(40003, "invalid openid")
        template_id = str(body.get("template_id") or "")
        if not template_id:
            return _error(40037, "invalid template_id")
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            return _error(47003, "argument invalid! data is empty")
        values: dict[str, str] = {}
        for name, entry in data.items():
            if not isinstance(entry, dict) or "value" not in entry:
                return _error(47003, f"argument invalid! data.{name}.value is empty")
            values[str(name)] = str(entry["value"])
        with self._lock:
            if user in self._users.get(app_id, set()):
                return _error(43101, "user refuse to accept the msg")
            self._next_id += 1
            message = SentMessage(
                self._next_id, app_id, openid, user, template_id, values, str(body.get("url") or ""),
                self._clock(),
            )  # fmt: skip
            self._sent.append(message)
        return {"errcode": 0, "errmsg": "ok", "msgid": message.msgid}


def _error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": f"{message} rid: {secrets.token_hex(4)}"}


def _json(body: dict[str, Any]) -> PersonaReply:
    return PersonaReply(200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False))
