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
- ``GET /wechat-api/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`` is WeChat's
  web OAuth page (``open.weixin.qq.com/connect/oauth2/authorize``, ``#wechat_redirect``) as the residents'
  app reaches it: inside WeChat, ``snsapi_base`` redirects at once and ``snsapi_userinfo`` asks the user. A
  browser here has no WeChat user, so the page asks which test user holds the phone (``user``) and its
  「允许」 button (``GET .../authorize/allow``) redirects to ``redirect_uri?code=...&state=...`` exactly as
  WeChat does; an unknown app, a scope or response type WeChat refuses, or a non-http ``redirect_uri`` gets
  WeChat's error page (no redirect);
- ``POST /wechat-api/_persona/login`` ``{"user": "...", "app_id"?: "..."}`` is the user's phone calling
  ``wx.login()``: it answers ``{"code"}``, one-time. ``openid`` is per (app, user), ``unionid`` per user
  (every app of the persona shares one open-platform account), both stable.

Apps are registered with their id and AppSecret (``register_app``): the local cloud registers the one in the
``wechat-login`` parameter it provisioned, so the function's real adapter and credentials path run. The same
service account's message API (token, template messages) is the sibling ``wechat_messages_persona.py``: it
asks this persona which apps exist and whose an openid is.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from infra.local.persona_http import PersonaReply

PREFIX = "/wechat-api"
CODE_SECONDS = 300
AUTHORIZE = "/connect/oauth2/authorize"
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
        self._users: dict[tuple[str, str], str] = {}  # (app, openid) -> the test user it names
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
        openid = "o" + hashlib.sha256(f"open|{app}|{user}".encode()).hexdigest()[:27]
        self._users[(app, openid)] = user  # WeChat knows whose it is: its message API checks it
        return openid

    def first_app(self) -> str:
        return next(iter(self._apps), "")

    def has_app(self, app_id: str) -> bool:
        return app_id in self._apps

    def secret_matches(self, app_id: str, secret: str) -> bool:
        return secrets.compare_digest(self._apps.get(app_id, ""), secret) and bool(secret)

    def user_of(self, openid: str, app_id: str) -> str | None:
        """The test user an openid of ``app_id`` names (one this persona handed out), else None."""
        return self._users.get((app_id, openid))

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
        if method == "GET" and inner in (AUTHORIZE, AUTHORIZE + "/allow"):
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            return self.authorize(query, allow=inner.endswith("/allow"))
        if method == "GET" and inner in _EXCHANGES:
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            return _json(200, self.exchange(inner, query))
        return _json(404, {"errcode": -1, "errmsg": "no such api"})

    def authorize(self, query: dict[str, str], allow: bool) -> PersonaReply:
        """WeChat's OAuth page: who holds the phone (the page), then the redirect back with a code."""
        app_id, redirect = query.get("appid", ""), query.get("redirect_uri", "")
        with self._lock:
            known = app_id in self._apps
        if not known:
            return _page(400, "10016 appid 无效", "此公众号的网页授权没有开通，请联系开发者。")
        if query.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
            return _page(400, "10005 scope 参数错误", "请联系开发者。")
        if query.get("response_type") != "code" or not redirect.startswith(("https://", "http://")):
            return _page(400, "10003 redirect_uri 参数错误", "请联系开发者。")
        user = query.get("user", "").strip()
        if allow and user:
            code = self.login(user, app_id)
            sep = "&" if "?" in redirect else "?"
            back = redirect + sep + urlencode({"code": code, "state": query.get("state", "")})
            return PersonaReply(302, {"Location": back, "Cache-Control": "no-store"}, "")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
            if k != "user"
        )
        form = (
            '<form method="get" action="authorize/allow">'
            f"{hidden}"
            '<label>微信用户（本地测试）<input name="user" autocomplete="off" required></label>'
            '<button type="submit">允许</button></form>'
        )
        return _page(200, "微信登录", "本地云的微信：选择拿着这部手机的测试用户。" + form, raw=True)

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


def _page(status: int, title: str, body: str, raw: bool = False) -> PersonaReply:
    text = body if raw else html.escape(body)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:20px sans-serif;margin:24px}input,button{font-size:22px;padding:12px;"
        "margin:12px 0;display:block;width:100%}button{background:#07c160;color:#fff;border:0;"
        "border-radius:8px}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{text}</p></body></html>"
    )
    return PersonaReply(status, {"Content-Type": "text/html; charset=utf-8"}, page)


def _error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": f"{message}, rid: {secrets.token_hex(4)}"}


def _json(status: int, body: dict[str, Any]) -> PersonaReply:
    return PersonaReply(status, {"Content-Type": "application/json"}, json.dumps(body))


def register_provisioned_app(persona: WeChatLoginPersona, value: Mapping[str, Any]) -> str:
    """Register the app of the provisioned ``wechat-login`` parameter (``{"app_id", "app_secret"}``)."""
    persona.register_app(str(value["app_id"]), str(value["app_secret"]))
    return str(value["app_id"])
