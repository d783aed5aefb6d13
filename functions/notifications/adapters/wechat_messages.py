"""WeChat service-account template messages (公众号模板消息, issue 18): a free channel ahead of SMS.

WeChat's documented shapes (official account "Template Message Interface"; wechatpy's
``client/api/message.py`` ``send_template`` and ``client/api/base.py`` token handling follow them):
- the account's access token: ``GET /cgi-bin/token?grant_type=client_credential&appid=APPID&secret=SECRET``
  -> ``{"access_token", "expires_in": 7200}``; it is kept per container until a few minutes before it
  expires (WeChat limits how often it may be fetched, and every fetch invalidates nothing before 5 minutes);
- the message: ``POST /cgi-bin/message/template/send?access_token=TOKEN`` with ``{"touser": openid,
  "template_id", "url", "data": {"thing1": {"value"}, "thing2": {"value"}}}`` -> ``{"errcode": 0, "errmsg":
  "ok", "msgid"}``. Errors come back as HTTP 200 with a non-zero ``errcode``.

What an error means here (``SendFailed``):
- 43101 (the user refused this template's messages), 43004 (not following the account: "require subscribe")
  and 40003 (an openid of another account) mean this person cannot be reached by WeChat: permanent, reason
  ``wechat_unreachable``, so the delivery ladder falls through to SMS at once;
- 40001/40014/42001 (the token is invalid or expired, e.g. fetched again elsewhere): the token is dropped and
  the message sent once more with a new one;
- 40037 (unknown template id) and 47003 (the data does not fit the template) are configuration faults:
  permanent (a retry cannot help; the ladder falls through);
- anything else (-1 system busy, 45009 quota, HTTP errors, timeouts) is retried as the other channels are.

Template ids are per message kind (our template name, e.g. ``ticket_status_changed``; ``default`` for the
rest), configured in ``WECHAT_MESSAGE_TEMPLATES``: each is a service template with two ``thing`` fields (the
title, and the message cut to WeChat's 20 characters); ``url`` opens the message's page in the app, where
it is shown whole. The account's id and secret are the WeChat app parameter identity signs residents in
with (the same service account: its OAuth gives the openid these messages go to).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from courtyard.secure_parameters import read_secure_json
from notifications.domain import SendFailed, Text

TOKEN_PATH = "/cgi-bin/token"  # noqa: S105 (a path, not a secret)
SEND_PATH = "/cgi-bin/message/template/send"
# Fetch a new token this long before WeChat's expiry, so a message never carries one that lapses in flight.
TOKEN_MARGIN_S = 300
THING_LIMIT = 20  # WeChat's ``thing`` fields take at most 20 characters
UNREACHABLE = frozenset({43101, 43004, 40003})
TOKEN_EXPIRED = frozenset({40001, 40014, 42001})
MISCONFIGURED = frozenset({40037, 47003, 40013, 40125})

# (method, url, JSON body or None, timeout) -> the parsed JSON answer.
Http = Callable[[str, str, dict[str, Any] | None, float], dict[str, Any]]


def urllib_json(method: str, url: str, body: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (the API base is a setting, checked in __init__)
        url, data=data, method=method, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        document = json.loads(answer.read())
    return document if isinstance(document, dict) else {}


def thing(value: str) -> str:
    """A value cut to WeChat's ``thing`` limit, marked when cut."""
    value = " ".join(value.split())
    return value if len(value) <= THING_LIMIT else value[: THING_LIMIT - 1] + "…"


class WeChatMessages:
    """``send(openid, kind, text, url)`` -> WeChat's ``msgid``; ``SendFailed`` when it is not delivered."""

    def __init__(
        self,
        credentials: Callable[[], tuple[str, str]],
        templates: Mapping[str, str],
        api_base: str,
        *,
        http: Http = urllib_json,
        timeout_s: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if api_base and not api_base.startswith(("https://", "http://127.", "http://localhost")):
            raise ValueError("the WeChat API must be reached over https")
        self._credentials = credentials
        self._templates = dict(templates)
        self._base = api_base.rstrip("/")
        self._http = http
        self._timeout = timeout_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (token, monotonic time it is good until)

    def template_for(self, kind: str) -> str | None:
        return self._templates.get(kind) or self._templates.get("default")

    def send(self, openid: str, kind: str, text: Text, url: str = "") -> str:
        template_id = self.template_for(kind)
        if not self._base or not template_id:
            raise SendFailed("wechat_not_configured", permanent=True)
        message: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {"thing1": {"value": thing(text.title)}, "thing2": {"value": thing(text.body)}},
        }
        if url:
            message["url"] = url
        answer = self._post(message)
        if _errcode(answer) in TOKEN_EXPIRED:
            self._forget_token()
            answer = self._post(message)
        code = _errcode(answer)
        if code == 0:
            return str(answer.get("msgid", ""))
        if code in UNREACHABLE:
            raise SendFailed("wechat_unreachable", permanent=True)
        raise SendFailed(f"wechat_{code}", permanent=code in MISCONFIGURED)

    # ------------------------------------------------------------------ HTTP

    def _post(self, message: dict[str, Any]) -> dict[str, Any]:
        query = urllib.parse.urlencode({"access_token": self._access_token()})
        return self._call("POST", f"{self._base}{SEND_PATH}?{query}", message)

    def _access_token(self) -> str:
        with self._lock:
            now = self._monotonic()
            if self._token is not None and now < self._token[1]:
                return self._token[0]
            app_id, secret = self._credentials()
            query = urllib.parse.urlencode(
                {"grant_type": "client_credential", "appid": app_id, "secret": secret}
            )
            answer = self._call("GET", f"{self._base}{TOKEN_PATH}?{query}", None)
            token = str(answer.get("access_token") or "")
            if not token:
                code = _errcode(answer)
                raise SendFailed(f"wechat_token_{code}", permanent=code in MISCONFIGURED)
            lifetime = max(0, int(answer.get("expires_in") or 0) - TOKEN_MARGIN_S)
            self._token = (token, now + lifetime)
            return token

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def _call(self, method: str, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        try:
            return self._http(method, url, body, self._timeout)
        except urllib.error.HTTPError as error:
            raise SendFailed(f"wechat_http_{error.code}", permanent=False) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            raise SendFailed("wechat_unreachable_api", permanent=False) from None


def _errcode(answer: Mapping[str, Any]) -> int:
    try:
        return int(answer.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def parse_templates(raw: str) -> dict[str, str]:
    """``WECHAT_MESSAGE_TEMPLATES``: a JSON object of message kind -> WeChat template id ('' or {}: none)."""
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("WECHAT_MESSAGE_TEMPLATES must be a JSON object of kind -> template id")
    return {str(k): str(v) for k, v in value.items() if v}


def load_credentials(parameter_name: str) -> tuple[str, str]:
    """The service account's ``{"app_id", "app_secret"}`` SecureString parameter (``/courtyard/<stage>/
    wechat-login``: the one identity's WeChat sign-in uses)."""
    value = read_secure_json(parameter_name)
    app_id, secret = str(value.get("app_id") or ""), str(value.get("app_secret") or "")
    if not app_id or not secret:
        raise SendFailed("wechat_not_configured", permanent=True)
    return app_id, secret
