"""Issue 18: a household hears of its bill once. Only the household's texter (an owner first) may be texted
for a unit's bill or arrears letter, and only when nobody of the household (residents and family proxies)
gets it by push or WeChat (``notifications.household_once``, ``services.household_reach``, the intake)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from notifications.domain import Category, Channel, DeliveryJob, Household, Priority, Recipient
from notifications.household_once import may_text, reached_without_text, texter
from notifications.models import PushEndpoint
from notifications.preferences import CategoryPreferences, Preferences, Reach
from notifications.services.household_reach import household_may_text
from notifications.services.intake import EventIntake

from courtyard.directory import ContactView, ProxyView, TenantView, UnitMemberView, UnitView
from schemas import events as contracts

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NOBODY = Reach(push_endpoints=0, phone=True, inbox=True, wechat=False)


def member(resident_id: str, relation: str = "owner", primary: bool = True) -> UnitMemberView:
    return UnitMemberView("U1", resident_id, relation, primary)


def test_the_texter_is_an_owner_whose_home_it_is_then_a_renter_then_family() -> None:
    assert texter([member("R3", "family"), member("R2", "renter"), member("R9", "owner")]) == "R9"
    assert texter([member("R1", "owner", primary=False), member("R2", "owner")]) == "R2"
    assert texter([member("R5", "family"), member("R4", "renter")]) == "R4"
    assert texter([member("R7"), member("R6")]) == "R6"  # ties by record id: every delivery agrees
    assert texter([], ["P2", "P1"]) == "P1"  # a unit with nobody living there: its proxy
    assert texter([]) is None


def test_reached_without_a_text_is_push_or_wechat_as_the_settings_allow() -> None:
    assert reached_without_text(None, Category.BILLING, push_endpoints=1, wechat=False)
    assert reached_without_text(None, Category.BILLING, push_endpoints=0, wechat=True)
    assert not reached_without_text(None, Category.BILLING, push_endpoints=0, wechat=False)
    no_push = Preferences(categories={Category.BILLING: CategoryPreferences(push=False, wechat=False)})
    assert not reached_without_text(no_push, Category.BILLING, push_endpoints=2, wechat=True)


def test_only_the_texter_and_only_when_nobody_else_is_reached() -> None:
    assert not may_text(False, False, [])
    assert may_text(True, False, [False, False])
    assert not may_text(True, False, [False, True])
    assert may_text(True, True, [True])  # their own app or WeChat goes first; the text stands behind it


class Directory:
    """Unit U1: owner R1 (no login), family R2 (login u2), proxy P1 (login up1)."""

    def tenant(self, tenant_id: str) -> TenantView:
        return TenantView(tenant_id, "绿城物业", "active", "Asia/Shanghai", "CNY", "zh-CN")

    def unit(self, tenant_id: str, unit_id: str) -> UnitView:
        return UnitView(tenant_id, unit_id, "S1", "B1", "1-1-101", "residential", label="1栋101室")

    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]:
        return [member("R2", "family", primary=True), member("R1", "owner")]

    def unit_proxies(self, tenant_id: str, unit_id: str) -> list[ProxyView]:
        return [ProxyView(unit_id, "S1", "X1", "P1", "up1")]

    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None:
        logins = {"R1": None, "R2": "u2", "P1": "up1"}
        return ContactView(kind, person_id, person_id, logins[person_id], None, "tok")


class Jobs:
    def __init__(self) -> None:
        self.sent: list[DeliveryJob] = []

    def send(self, jobs: list[DeliveryJob]) -> None:
        self.sent.extend(jobs)


def bill_jobs() -> list[DeliveryJob]:
    event = contracts.BillIssued(
        tenant_id="t", occurred_at=AT, bill_id="B1", site_id="S1", unit_id="U1", period="2026-03",
        amount_due=10_000, currency="CNY", due_date="2026-03-31",
    )  # fmt: skip
    detail = json.loads(event.model_dump_json())
    body = json.dumps({"detail-type": "BillIssued", "source": "courtyard.payments", "detail": detail})
    jobs = Jobs()
    EventIntake(Directory(), jobs).handle(body)  # type: ignore[arg-type]
    return jobs.sent


def test_the_intake_marks_the_owner_as_texter_and_names_the_rest_of_the_household() -> None:
    jobs = {job.recipient.key: job for job in bill_jobs()}
    assert set(jobs) == {"resident:R1", "resident:R2", "resident:P1"}
    owner = jobs["resident:R1"].household
    assert owner is not None
    assert owner.texter
    assert owner.unit_id == "U1"
    assert {r.key for r in owner.others} == {"resident:R2", "resident:P1"}
    for key in ("resident:R2", "resident:P1"):
        household = jobs[key].household
        assert household is not None
        assert not household.texter
        assert household.others == ()


class Settings:
    def __init__(self, reached: dict[str, tuple[int, str | None]]) -> None:
        self.reached = reached
        self.reads: list[str] = []

    def person_settings(self, tenant_id: str, user_id: str) -> tuple[None, list[PushEndpoint], str | None]:
        self.reads.append(user_id)
        devices, openid = self.reached.get(user_id, (0, None))
        endpoints = [
            PushEndpoint(endpoint_id=f"e{i}", platform="android", endpoint_arn="arn", created_at="x")
            for i in range(devices)
        ]
        return None, endpoints, openid


def owner_job() -> DeliveryJob:
    return next(j for j in bill_jobs() if j.household is not None and j.household.texter)


def test_the_owner_is_not_texted_when_a_proxy_has_the_app_or_a_family_member_wechat() -> None:
    app: dict[str, tuple[int, str | None]] = {"up1": (1, None)}
    wechat: dict[str, tuple[int, str | None]] = {"u2": (0, "openid-2")}
    for reached in (app, wechat):
        settings = Settings(reached)
        job = owner_job()
        assert not household_may_text(job, Preferences(), NOBODY, Directory(), settings, wechat_on=True)
    # WeChat counts only where the sender sends WeChat.
    settings = Settings({"u2": (0, "openid-2")})
    assert household_may_text(owner_job(), Preferences(), NOBODY, Directory(), settings, wechat_on=False)


def test_the_owner_is_texted_when_nobody_of_the_household_is_reached_and_others_never() -> None:
    settings = Settings({})
    assert household_may_text(owner_job(), Preferences(), NOBODY, Directory(), settings, wechat_on=True)
    assert sorted(settings.reads) == ["u2", "up1"]  # R1's co-residents without a login are not read
    others = [j for j in bill_jobs() if j.household is not None and not j.household.texter]
    for job in others:
        assert not household_may_text(job, Preferences(), NOBODY, Directory(), Settings({}), wechat_on=True)


def test_an_owner_with_the_app_reads_nobody_else() -> None:
    settings = Settings({"up1": (1, None)})
    app = Reach(push_endpoints=1, phone=True, inbox=True)
    assert household_may_text(owner_job(), Preferences(), app, Directory(), settings, wechat_on=True)
    assert settings.reads == []


def test_messages_that_are_not_a_units_money_are_left_alone() -> None:
    job = DeliveryJob(
        tenant_id="t", message_id="m", source="s", recipient=Recipient(kind="resident", person_id="R1"),
        category=Category.TICKET, priority=Priority.NORMAL, channels=(Channel.INBOX, Channel.PUSH),
        content={"template": "ticket_status_changed"}, created_at="2026-03-10T02:00:00Z",
    )  # fmt: skip
    assert household_may_text(job, Preferences(), NOBODY, Directory(), Settings({}), wechat_on=True)
    assert Household(unit_id="U1").texter is False
