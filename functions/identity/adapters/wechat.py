"""WeChat mini-program login: the interface sign-in will use next, and the ``jscode2session`` call behind it.

The app gets a one-time ``code`` from ``wx.login``; the server swaps it for the user's ``openid`` (and
``unionid`` when the firm's apps share an open-platform account). A resident links WeChat to the account
they made with their phone number; sign-in by WeChat then needs no password (not wired to a route yet).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from courtyard.errors import Unauthorized

_ENDPOINT = "https://api.weixin.qq.com/sns/jscode2session"


@dataclass(frozen=True, slots=True)
class WeChatSession:
    openid: str
    unionid: str | None


class WeChatLogin(Protocol):
    def code_to_session(self, code: str) -> WeChatSession: ...


class Jscode2Session:
    def __init__(self, app_id: str, app_secret: str, endpoint: str = _ENDPOINT, timeout: float = 3.0) -> None:
        self._app_id = app_id
        self._secret = app_secret
        self._endpoint = endpoint
        self._timeout = timeout

    def code_to_session(self, code: str) -> WeChatSession:
        query = urllib.parse.urlencode(
            {
                "appid": self._app_id,
                "secret": self._secret,
                "js_code": code,
                "grant_type": "authorization_code",
            }
        )
        if not self._endpoint.startswith("https://") and not self._endpoint.startswith("http://127."):
            raise ValueError("the WeChat endpoint must be https")
        with urllib.request.urlopen(f"{self._endpoint}?{query}", timeout=self._timeout) as answer:  # noqa: S310
            body = json.loads(answer.read())
        if body.get("errcode") or not body.get("openid"):
            raise Unauthorized("WeChat did not accept the login code")
        return WeChatSession(str(body["openid"]), body.get("unionid"))
