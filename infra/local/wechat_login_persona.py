"""WeChat's login API as the local cloud plays it (issue 18): the code exchange of residents' WeChat sign-in.

Served by the pay sandbox under ``/wechat-api`` (the identity function's ``WECHAT_API_BASE``):
- ``GET /wechat-api/sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`` (mini-program)
  answers ``{"openid", "session_key", "unionid"}``;
- ``GET /wechat-api/sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` (official
  account OAuth) answers ``{"access_token", "expires_in": 7200, "refresh_token", "openid", "scope":
  "snsapi_base", "unionid"}``;
- as WeChat does, errors are HTTP 200 with ``{"errcode", "errmsg"}``: 40013 invalid appid, 40125 invalid
  appsecret, 40029 invalid code (unknown, expired after 5 minutes, or of another app), 40163 code been used,
  40002 invalid grant_type;
- ``POST /wechat-api/_persona/login`` ``{"user": "...", "app_id"?: "..."}`` is the user's phone calling
  ``wx.login()``: it answers ``{"code"}``, one-time. ``openid`` is per (app, user), ``unionid`` per user
  (every app of the persona shares one open-platform account), both stable.

Apps are registered with their id and AppSecret (``register_app``): the local cloud registers the one in the
``WeChatLoginSecret`` it provisioned, so the function's real adapter and credentials path run.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.persona_http import PersonaReply

PREFIX = "/wechat-api"
CODE_SECONDS = 300
_EXCHANGES = {"/sns/jscode2session": "js_code", "/sns/oauth2/access_token": "code"}


@dataclass
class _Code:
    app_id: str
    user: str
    expires: float
    used: bool = False


class WeChatLoginPersona:
    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._apps: dict[str, str] = {}
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ what the tests and the cloud call
    def register_app(self, app_id: str, app_secret: str) -> None:
        with self._lock:
            self._apps[app_id] = app_secret

    def login(self, user: str, app_id: str | None = None) -> str:
        """``wx.login()`` on ``user``'s phone: a one-time code for the app (the only one if not named)."""
        with self._lock:
            app = app_id or next(iter(self._apps), "")
            if app not in self._apps:
                raise KeyError(f"no WeChat app {app!r} at the persona")
            code = "0" + secrets.token_urlsafe(24)
            self._codes[code] = _Code(app, user, self._clock() + CODE_SECONDS)
        return code

    def openid(self, user: str, app_id: str | None = None) -> str:
        app = app_id or next(iter(self._apps), "")
        return "o" + hashlib.sha256(f"open|{app}|{user}".encode()).hexdigest()[:27]

    @staticmethod
    def unionid(user: str) -> str:
        return "u" + hashlib.sha256(f"union|{user}".encode()).hexdigest()[:27]

    # ------------------------------------------------------------------ HTTP
    def route(
        self,
        method: str,
        path: str,
        headers: dict[str, str],  # noqa: ARG002 (the personas' shape; WeChat's API reads none)
        raw: bytes,
    ) -> PersonaReply | None:
        parts = urlsplit(path)
        if not parts.path.startswith(PREFIX + "/"):
            return None
        inner = parts.path.removeprefix(PREFIX)
        if method == "POST" and inner == "/_persona/login":
            body = json.loads(raw or b"{}")
            try:
                code = self.login(str(body.get("user") or ""), body.get("app_id"))
            except KeyError as missing:
                return _json(404, {"error": str(missing)})
            return _json(200, {"code": code})
        if method == "GET" and inner in _EXCHANGES:
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            return _json(200, self.exchange(inner, query))
        return _json(404, {"errcode": -1, "errmsg": "no such api"})

    def exchange(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """The answer WeChat gives a code exchange (``path`` one of the two ``/sns/...`` paths)."""
        app_id, secret = query.get("appid", ""), query.get("secret", "")
        with self._lock:
            if app_id not in self._apps:
                return _error(40013, "invalid appid")
            if not secrets.compare_digest(self._apps[app_id], secret):
                return _error(40125, "invalid appsecret")
            if query.get("grant_type") != "authorization_code":
                return _error(40002, "invalid grant_type")
            code = self._codes.get(query.get(_EXCHANGES[path], ""))
            if code is None or code.app_id != app_id or code.expires <= self._clock():
                return _error(40029, "invalid code")
            if code.used:
                return _error(40163, "code been used")
            code.used = True
        who = {"openid": self.openid(code.user, app_id), "unionid": self.unionid(code.user)}
        if path == "/sns/jscode2session":
            return {**who, "session_key": secrets.token_urlsafe(16)}
        return {
            "access_token": secrets.token_urlsafe(32),
            "expires_in": 7200,
            "refresh_token": secrets.token_urlsafe(32),
            "scope": "snsapi_base",
            **who,
        }


def _error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": f"{message}, rid: {secrets.token_hex(4)}"}


def _json(status: int, body: dict[str, Any]) -> PersonaReply:
    return PersonaReply(status, {"Content-Type": "application/json"}, json.dumps(body))


def register_provisioned_app(persona: WeChatLoginPersona, secretsmanager: Any, secret_id: str) -> str:
    """Register the app of the provisioned ``WeChatLoginSecret`` (``{"app_id", "app_secret"}``); its id."""
    value = json.loads(secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"])
    persona.register_app(str(value["app_id"]), str(value["app_secret"]))
    return str(value["app_id"])
