"""The local cloud's WeChat OAuth page (``infra.local.wechat_login_persona``): the residents' app redirects to
it; it asks which test user holds the phone, then redirects back with a one-time code and the app's state
exactly as WeChat does; what WeChat refuses gets its error page and no redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from infra.local.wechat_login_persona import AUTHORIZE, PREFIX, WeChatLoginPersona

APP = "wx0123456789abcdef"
BACK = "http://127.0.0.1:8080/m/wechat/callback?next=%2Fbills"


def _persona() -> WeChatLoginPersona:
    persona = WeChatLoginPersona()
    persona.register_app(APP, "the-app-secret")
    return persona


def _get(persona: WeChatLoginPersona, path: str, **query: str) -> tuple[int, dict[str, str], str]:
    reply = persona.route("GET", f"{PREFIX}{path}?{urlencode(query)}", {}, b"")
    assert reply is not None
    body = reply.body.decode() if isinstance(reply.body, bytes) else reply.body
    return reply.status, reply.headers, body


def _authorize(**extra: str) -> dict[str, str]:
    return {
        "appid": APP,
        "redirect_uri": BACK,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s7a7e",
        **extra,
    }


def test_the_page_asks_for_the_user_and_allow_redirects_back_with_a_one_time_code() -> None:
    persona = _persona()
    status, _, page = _get(persona, AUTHORIZE, **_authorize())
    assert status == 200
    assert 'name="user"' in page
    assert 'value="s7a7e"' in page

    status, headers, _ = _get(persona, AUTHORIZE + "/allow", **_authorize(user="chen"))
    assert status == 302
    back = urlsplit(headers["Location"])
    query = parse_qs(back.query)
    assert back.path == "/m/wechat/callback"
    assert (query["next"], query["state"]) == (["/bills"], ["s7a7e"])
    code = query["code"][0]
    exchange = {"appid": APP, "secret": "the-app-secret", "code": code, "grant_type": "authorization_code"}
    answer = persona.exchange("/sns/oauth2/access_token", exchange)
    assert answer["openid"] == persona.openid("chen", APP)
    assert persona.exchange("/sns/oauth2/access_token", exchange)["errcode"] == 40163  # used once


def test_what_wechat_refuses_gets_an_error_page_and_no_redirect() -> None:
    persona = _persona()
    for wrong in (
        {"appid": "wx-unknown"},
        {"scope": "snsapi_login"},
        {"redirect_uri": "javascript:alert(1)"},
    ):
        status, headers, _ = _get(persona, AUTHORIZE + "/allow", **_authorize(user="chen", **wrong))
        assert status == 400
        assert "Location" not in headers
    # No user chosen: the page again, no code.
    status, headers, _ = _get(persona, AUTHORIZE + "/allow", **_authorize())
    assert status == 200
    assert "Location" not in headers
