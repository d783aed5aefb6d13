"""The WeChat template-message adapter against the local cloud's WeChat persona (in process, no socket):
WeChat's request and answer shapes, the access token kept per container, "refused"/"not following" mapped
to a permanent "unreachable" (the ladder falls through to SMS), a stale token renewed; others retried."""

from __future__ import annotations

import json
from typing import Any

import pytest
from notifications.adapters.wechat_messages import WeChatMessages, parse_templates, thing
from notifications.domain import SendFailed, Text

from infra.local.wechat_login_persona import WeChatLoginPersona
from infra.local.wechat_messages_persona import WeChatMessagesPersona

APP, SECRET = "wx1234567890abcdef", "s3cret-of-the-service-account"
BASE = "http://127.0.0.1:9/wechat-api"
TEXT = Text(title="报修进度更新", body="您3栋2单元501室的报修 #A1B2C3 于 2026-03-10 10:00 正在维修。")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wechat(clock: Clock) -> tuple[WeChatLoginPersona, WeChatMessagesPersona]:
    login = WeChatLoginPersona(clock=clock)
    login.register_app(APP, SECRET)
    return login, WeChatMessagesPersona(login, clock=clock)


def adapter(
    persona: WeChatMessagesPersona, clock: Clock, calls: list[str], secret: str = SECRET
) -> WeChatMessages:
    def http(method: str, url: str, body: dict[str, Any] | None, _timeout: float) -> dict[str, Any]:
        path = url.removeprefix("http://127.0.0.1:9")
        calls.append(path.split("?")[0])
        raw = json.dumps(body).encode() if body is not None else b""
        reply = persona.route(method, path, {}, raw)
        assert reply is not None, path
        document: dict[str, Any] = json.loads(reply.body)
        return document

    templates = parse_templates('{"default": "TPL_DEFAULT", "ticket_status_changed": "TPL_REPAIR"}')
    return WeChatMessages(lambda: (APP, secret), templates, BASE, http=http, monotonic=clock)


def test_a_template_message_reaches_the_openid_with_the_kinds_template_and_the_apps_page(
    wechat: tuple[WeChatLoginPersona, WeChatMessagesPersona], clock: Clock
) -> None:
    login, persona = wechat
    calls: list[str] = []
    openid = login.openid("zhang")
    msgid = adapter(persona, clock, calls).send(
        openid, "ticket_status_changed", TEXT, "https://courtyard.example/m/repairs/T1"
    )
    [sent] = persona.sent()
    assert msgid == str(sent.msgid)
    assert (sent.user, sent.template_id, sent.url) == (
        "zhang",
        "TPL_REPAIR",
        "https://courtyard.example/m/repairs/T1",
    )
    assert sent.values["thing1"] == "报修进度更新"
    assert len(sent.values["thing2"]) == 20
    assert sent.values["thing2"].endswith("…")
    assert calls == ["/wechat-api/cgi-bin/token", "/wechat-api/cgi-bin/message/template/send"]


def test_the_access_token_is_kept_until_shortly_before_it_expires(
    wechat: tuple[WeChatLoginPersona, WeChatMessagesPersona], clock: Clock
) -> None:
    login, persona = wechat
    calls: list[str] = []
    messages = adapter(persona, clock, calls)
    for _ in range(3):
        messages.send(login.openid("zhang"), "notice", TEXT)
    assert calls.count("/wechat-api/cgi-bin/token") == 1
    clock.now += 7200 - 300  # the margin: fetched again before WeChat would refuse it
    messages.send(login.openid("zhang"), "notice", TEXT)
    assert calls.count("/wechat-api/cgi-bin/token") == 2
    assert [m.template_id for m in persona.sent()] == ["TPL_DEFAULT"] * 4


def test_a_token_wechat_no_longer_takes_is_fetched_again_once(
    wechat: tuple[WeChatLoginPersona, WeChatMessagesPersona], clock: Clock
) -> None:
    login, _ = wechat
    calls: list[str] = []
    first = WeChatMessagesPersona(login, clock=clock)
    messages = adapter(first, clock, calls)
    messages.send(login.openid("zhang"), "notice", TEXT)
    # Another persona instance knows none of the tokens given: WeChat answers 40001 (fetched elsewhere).
    messages._http = adapter(WeChatMessagesPersona(login, clock=clock), clock, calls)._http
    messages.send(login.openid("zhang"), "notice", TEXT)
    assert calls.count("/wechat-api/cgi-bin/token") == 2


def test_a_user_who_refused_or_an_unknown_openid_is_unreachable_for_good(
    wechat: tuple[WeChatLoginPersona, WeChatMessagesPersona], clock: Clock
) -> None:
    login, persona = wechat
    messages = adapter(persona, clock, [])
    persona.refuse("zhang")
    with pytest.raises(SendFailed) as refused:
        messages.send(login.openid("zhang"), "notice", TEXT)
    assert (refused.value.reason, refused.value.permanent) == ("wechat_unreachable", True)
    with pytest.raises(SendFailed) as unknown:
        messages.send("o" + "x" * 27, "notice", TEXT)
    assert (unknown.value.reason, unknown.value.permanent) == ("wechat_unreachable", True)
    assert persona.sent() == []


def test_a_busy_wechat_is_retried_and_bad_credentials_or_no_template_are_not(
    wechat: tuple[WeChatLoginPersona, WeChatMessagesPersona], clock: Clock
) -> None:
    login, persona = wechat
    busy = WeChatMessages(
        lambda: (APP, SECRET), {"default": "T"}, BASE, http=lambda *_: {"errcode": -1, "errmsg": "busy"}
    )
    with pytest.raises(SendFailed) as retried:
        busy.send(login.openid("zhang"), "notice", TEXT)
    assert retried.value.permanent is False
    with pytest.raises(SendFailed) as bad_secret:
        adapter(persona, clock, [], secret="wrong").send(login.openid("zhang"), "notice", TEXT)
    assert (bad_secret.value.reason, bad_secret.value.permanent) == ("wechat_token_40125", True)
    unconfigured = WeChatMessages(lambda: (APP, SECRET), {}, BASE)
    with pytest.raises(SendFailed) as none:
        unconfigured.send(login.openid("zhang"), "notice", TEXT)
    assert (none.value.reason, none.value.permanent) == ("wechat_not_configured", True)


def test_thing_fields_fit_wechats_limit() -> None:
    assert thing("短") == "短"
    assert thing("一二三四五六七八九十一二三四五六七八九十") == "一二三四五六七八九十一二三四五六七八九十"
    assert thing("一二三四五六七八九十一二三四五六七八九十多") == "一二三四五六七八九十一二三四五六七八九…"
