"""WeChat ahead of SMS (issue 18), on moto with the real handlers: identity's ``ResidentWeChatLinked`` on the
bus -> the notifications' event rule and queue -> the openid kept with the person; a ticket update then
reaches a WeChat resident by a template message (the local cloud's WeChat persona, in process) and no SMS;
a refused WeChat falls through to SMS; routine progress never texts a person with neither; the openid is
erased with the person and shown (masked) in their export."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from courtyard.clock import FixedClock
from infra.local.provision import Stack
from infra.local.wechat_login_persona import WeChatLoginPersona
from infra.local.wechat_messages_persona import WeChatMessagesPersona
from schemas import events as contracts
from tests.integration.exports import export_request, stored_part
from tests.integration.notifications.conftest import Community, People, Pump, Reply, deliveries, outbox
from tests.integration.notifications.test_events import inbox, publish, user

Call = Callable[..., Reply]
APP, SECRET = "wx00000000000000aa", "service-account-secret"
_numbers = itertools.count(1)
WeChat = tuple[WeChatLoginPersona, WeChatMessagesPersona]
BASE = "http://127.0.0.1:9/wechat-api"


@pytest.fixture
def wechat(env: dict[str, str], clock: FixedClock) -> Iterator[WeChat]:
    """The sender's real adapter, its HTTP answered by the WeChat persona in process."""
    from notifications import wiring
    from notifications.adapters.wechat_messages import WeChatMessages

    login = WeChatLoginPersona()
    login.register_app(APP, SECRET)
    persona = WeChatMessagesPersona(login)

    def http(method: str, url: str, body: dict[str, Any] | None, _timeout: float) -> dict[str, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        reply = persona.route(method, url.removeprefix("http://127.0.0.1:9"), {}, raw)
        assert reply is not None, url
        answer: dict[str, Any] = json.loads(reply.body)
        return answer

    adapter = WeChatMessages(
        lambda: (APP, SECRET), {"default": "TPL"}, "http://127.0.0.1:9/wechat-api", http=http
    )
    # The factory answers None where no service account is configured; here it is.
    factory = cast("Callable[[], WeChatMessages]", wiring.wechat_messages)
    wiring.wiring.override(factory, adapter)
    yield login, persona
    wiring.wiring.override(factory, None)


# The local outbox keeps every SMS of the session: each test's people get numbers of their own.
PHONES: dict[str, str] = {}


@pytest.fixture
def world(seed: Callable[..., Community], people: People) -> Community:
    community = seed()
    for name, unit in (("zhang", "a101"), ("ma", "b201")):
        number = f"1370061{next(_numbers):04d}"
        PHONES[name] = "+86" + number
        people.resident(community, name, unit, phone=number, email=f"{name}{number}@example.com")
    return community


def linked(stack: Stack, world: Community, name: str, openid: str) -> None:
    publish(
        stack,
        contracts.ResidentWeChatLinked(
            tenant_id=world.tenant_id,
            resident_id=world.residents[name],
            user_id=user(world, name),
            openid=openid,
        ),
    )


def progress(world: Community, name: str, ticket_id: str, to_status: str) -> contracts.TicketStatusChanged:
    return contracts.TicketStatusChanged(
        tenant_id=world.tenant_id, ticket_id=ticket_id, site_id=world.site_id, action="x",
        from_status="assigned", to_status=to_status, by="u-tech", reporter_user_id=user(world, name),
        unit_id=world.units["a101"],
    )  # fmt: skip


def texts_to(phone: str) -> list[str]:
    return [s.message for s in outbox().sms if s.phone_number == phone]


def test_a_ticket_update_reaches_a_wechat_resident_by_wechat_and_no_sms(
    call: Call,
    pump: Pump,
    world: Community,
    stack: Stack,
    wechat: WeChat,
) -> None:
    login, persona = wechat
    linked(stack, world, "zhang", login.openid("zhang"))
    pump()
    for ticket_id, status in (("TICKET00W001", "in_progress"), ("TICKET00W002", "resolved")):
        publish(stack, progress(world, "zhang", ticket_id, status))
    pump()

    sent = persona.sent()
    assert [m.user for m in sent] == ["zhang", "zhang"]
    assert {m.url.rsplit("/", 1)[-1] for m in sent} == {"TICKET00W001", "TICKET00W002"}
    assert texts_to(PHONES["zhang"]) == []
    message_id = next(m for m in inbox(call, world.people["zhang"]) if "已维修完成" in m["body"])[
        "message_id"
    ]
    records = deliveries(stack, world.tenant_id, message_id)
    assert (records["wechat"]["status"], records["sms"]["status"], records["sms"]["reason"]) == (
        "sent",
        "skipped",
        "wechat_standby",
    )


def test_a_refused_wechat_falls_through_to_sms_for_the_step_to_act_on(
    pump: Pump, world: Community, stack: Stack, wechat: WeChat
) -> None:
    login, persona = wechat
    linked(stack, world, "zhang", login.openid("zhang"))
    pump()
    persona.refuse("zhang")
    publish(stack, progress(world, "zhang", "TICKET00W003", "resolved"))
    pump()
    assert persona.sent() == []
    [text] = texts_to(PHONES["zhang"])
    assert "已维修完成，请确认" in text


def test_routine_progress_does_not_text_a_resident_with_neither_push_nor_wechat(
    call: Call,
    pump: Pump,
    world: Community,
    stack: Stack,
    wechat: WeChat,
) -> None:
    publish(stack, progress(world, "ma", "TICKET00W004", "in_progress"))
    publish(stack, progress(world, "ma", "TICKET00W005", "resolved"))
    pump()
    [text] = texts_to(PHONES["ma"])
    assert "已维修完成，请确认" in text
    assert len(inbox(call, world.people["ma"])) == 2  # the routine step waits in the app


def kept_openid(world: Community, who: str) -> str | None:
    """The WeChat the sender would use for ``who``: read with their settings, as a delivery reads it."""
    from notifications import wiring
    from notifications.repository import NotificationsRepository

    _, _, openid = NotificationsRepository(wiring.worker_table()).person_settings(
        world.tenant_id, user(world, who)
    )
    return openid


def test_the_openid_is_in_the_export_masked_and_erased_with_the_person(
    pump: Pump, world: Community, stack: Stack, wechat: WeChat
) -> None:
    login, _ = wechat
    openid = login.openid("zhang")
    linked(stack, world, "zhang", openid)
    pump()
    assert kept_openid(world, "zhang") == openid

    request = export_request(world, "zhang")
    publish(stack, request)
    pump()
    part = stored_part(stack, request, "notifications")
    assert part is not None
    assert part["data"]["wechat"]["openid"] == "••••••" + openid[-6:]

    publish(
        stack,
        contracts.ResidentErased(
            tenant_id=world.tenant_id, resident_id=world.residents["zhang"], user_id=user(world, "zhang")
        ),
    )
    pump()
    assert kept_openid(world, "zhang") is None


def test_an_older_link_arriving_late_does_not_replace_a_newer_one(
    pump: Pump, world: Community, stack: Stack, clock: FixedClock
) -> None:
    from datetime import timedelta

    zhang = world.residents["zhang"]
    base = {"tenant_id": world.tenant_id, "resident_id": zhang, "user_id": user(world, "zhang")}
    publish(stack, contracts.ResidentWeChatLinked(**base, openid="oNEW", occurred_at=clock.now()))
    pump()
    publish(
        stack,
        contracts.ResidentWeChatLinked(**base, openid="oOLD", occurred_at=clock.now() - timedelta(minutes=5)),
    )
    pump()
    assert kept_openid(world, "zhang") == "oNEW"


def test_a_bill_reaches_the_inbox_and_wechat_but_no_email_unless_asked_for(
    call: Call, pump: Pump, world: Community, stack: Stack, wechat: WeChat
) -> None:
    login, persona = wechat
    linked(stack, world, "zhang", login.openid("zhang"))
    pump()
    bill = contracts.BillIssued(
        tenant_id=world.tenant_id, bill_id="BILLW1", site_id=world.site_id, unit_id=world.units["a101"],
        period="2026-03", amount_due=12_345, currency="CNY", due_date="2026-03-31",
    )  # fmt: skip
    publish(stack, bill)
    pump()
    assert [m["title"] for m in inbox(call, world.people["zhang"])] == ["2026-03 账单已出"]
    assert [m.user for m in persona.sent()] == ["zhang"]
    address = "zhang" + PHONES["zhang"].removeprefix("+86") + "@example.com"
    assert [e for e in outbox().emails if e.to == [address]] == []
    assert texts_to(PHONES["zhang"]) == []


def test_the_settings_answer_every_category_in_force_and_whether_wechat_can_carry_them(
    call: Call, pump: Pump, world: Community, stack: Stack, wechat: WeChat
) -> None:
    """The app's 通知设置 shows what the sender will do: the defaults in force (bills by e-mail start off)
    for categories never saved, and the WeChat column only once WeChat is linked."""
    zhang = world.people["zhang"]
    before = call("GET", "/me/notification-preferences", as_=zhang).body
    assert set(before["categories"]) == {"notice", "ticket", "billing", "visitor", "alarm"}
    categories = before["categories"]
    assert (categories["billing"]["email"], categories["notice"]["email"]) == (False, True)
    assert before["wechat_linked"] is False

    login, _persona = wechat
    linked(stack, world, "zhang", login.openid("zhang"))
    pump()
    saved = call(
        "PUT", "/me/notification-preferences", as_=zhang, body={"categories": {"ticket": {"wechat": False}}}
    )
    assert saved.status == 200, saved.body
    after = call("GET", "/me/notification-preferences", as_=zhang).body
    assert after["wechat_linked"] is True
    assert saved.body["wechat_linked"] is True
    # A switch saved wins; the ones never set keep their defaults.
    assert after["categories"]["ticket"]["wechat"] is False
    assert (after["categories"]["ticket"]["push"], after["categories"]["billing"]["email"]) == (True, False)
