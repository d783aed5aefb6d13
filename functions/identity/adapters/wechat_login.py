"""WeChat login: swap the one-time ``code`` WeChat gave the app for the user's ``openid`` (and ``unionid``).

Two doors, one interface (``WeChatLogin.code_to_session``):
- the mini-program's ``wx.login()`` code, through ``GET /sns/jscode2session?appid&secret&js_code&grant_type=
  authorization_code``, answered ``{openid, session_key, unionid?}``;
- a web page opened inside WeChat (the official account's OAuth), through ``GET /sns/oauth2/access_token?
  appid&secret&code&grant_type=authorization_code``, answered ``{access_token, expires_in, refresh_token,
  openid, scope, unionid?}``.
A bad, used or expired code is answered ``{errcode, errmsg}`` (40029 invalid code, 40163 code been used,
40013 invalid appid, 40125 invalid secret, 45011 rate limit); every one of them is a 401 for the caller.
``unionid`` is there when the firm's apps share an open-platform account: the same person in every app.

The app's id and secret are one SecureString parameter (``{"app_id", "app_secret"}``), read once per
container. HTTP goes through an injectable ``HttpGet`` (urllib by default); the local cloud's persona
(``infra/local/wechat_login_persona.py``) answers these two paths as WeChat does, so tests run this code.
The ``session_key`` and the OAuth ``access_token`` are never stored or logged: sign-in needs only who it is.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from courtyard.errors import Unauthorized
from courtyard.secure_parameters import read_secure_json

API_BASE = "https://api.weixin.qq.com"
PATHS = {"miniprogram": "/sns/jscode2session", "oauth": "/sns/oauth2/access_token"}
LoginKind = Literal["miniprogram", "oauth"]

HttpGet = Callable[[str, float], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class WeChatSession:
    """Who WeChat says signed in: ``openid`` (per app) and ``unionid`` (per open-platform account)."""

    openid: str
    unionid: str | None


class WeChatLogin(Protocol):
    def code_to_session(self, code: str) -> WeChatSession: ...


class WeChatRefused(Unauthorized):
    """WeChat did not accept the code (bad, used, expired) or the app's credentials."""

    code = "wechat_code_refused"


def urllib_get(url: str, timeout: float) -> dict[str, Any]:
    """GET ``url`` and parse its JSON (WeChat answers errors with 200 and an ``errcode``)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (checked by the caller)
        body = json.loads(answer.read())
    return body if isinstance(body, dict) else {}


class CodeExchange:
    """``WeChatLogin`` through WeChat's HTTP API (mini-program or OAuth, ``kind``)."""

    def __init__(
        self,
        credentials: Callable[[], tuple[str, str]],
        kind: LoginKind = "miniprogram",
        api_base: str = API_BASE,
        http_get: HttpGet = urllib_get,
        timeout: float = 3.0,
    ) -> None:
        if not (api_base.startswith("https://") or api_base.startswith("http://127.")):
            raise ValueError("the WeChat API must be reached over https")
        self._credentials = credentials
        self._kind = kind
        self._url = api_base.rstrip("/") + PATHS[kind]
        self._get = http_get
        self._timeout = timeout

    def code_to_session(self, code: str) -> WeChatSession:
        app_id, secret = self._credentials()
        code_field = "js_code" if self._kind == "miniprogram" else "code"
        query = urllib.parse.urlencode(
            {"appid": app_id, "secret": secret, code_field: code, "grant_type": "authorization_code"}
        )
        body = self._get(f"{self._url}?{query}", self._timeout)
        openid = body.get("openid")
        if body.get("errcode") or not isinstance(openid, str) or not openid:
            raise WeChatRefused("WeChat did not accept the login code: open the sign-in in WeChat again")
        unionid = body.get("unionid")
        return WeChatSession(openid, unionid if isinstance(unionid, str) and unionid else None)


class SecretCredentials:
    """The app's id and secret from their SecureString parameter, read once per container."""

    def __init__(self, parameter_name: str, client: Any | None = None) -> None:
        self._name = parameter_name
        self._client = client
        self._lock = threading.Lock()
        self._value: tuple[str, str] | None = None

    def __call__(self) -> tuple[str, str]:
        with self._lock:
            if self._value is None:
                value = read_secure_json(self._name, self._client)
                app_id, secret = str(value.get("app_id") or ""), str(value.get("app_secret") or "")
                if not app_id or not secret:
                    raise ValueError("the WeChat login secret needs app_id and app_secret")
                self._value = (app_id, secret)
            return self._value
