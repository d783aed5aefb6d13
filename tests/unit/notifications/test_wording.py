"""Messages speak the firm's time and people's words: times in the firm's time zone (read from the
directory's tenant record), units as people write them (3栋2单元501室), devices by their name and place,
amounts in yuan. Each message kind that carries a time, a place or an amount, rendered with a fixed zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from notifications.domain import Locale, Priority, Recipient
from notifications.event_messages import EventMessage, messages_for
from notifications.templates import render
from notifications.wording import device_label, local_time

from courtyard.directory import (
    ProxyView,
    ResidentUnitView,
    StaffView,
    StaffZoneView,
    TenantView,
    UnitMemberView,
    UnitView,
    UserLink,
)
from schemas import events as contracts

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


class Directory:
    def __init__(self, timezone: str = "Asia/Shanghai") -> None:
        self.timezone = timezone
        self.staff = [
            StaffView(
                "M1",
                "u-m1",
                "王经理",
                frozenset({"manager"}),
                frozenset(),
                (StaffZoneView("S1"),),
                True,
                True,
            ),
            StaffView(
                "M2",
                "u-m2",
                "赵经理",
                frozenset({"manager"}),
                frozenset(),
                (StaffZoneView("S2"),),
                True,
                True,
            ),
            StaffView(
                "D1",
                "u-d1",
                "客服",
                frozenset({"service_desk"}),
                frozenset(),
                (StaffZoneView("S1"),),
                True,
                True,
            ),
            StaffView(
                "G1", "u-g1", "保安", frozenset({"guard"}), frozenset(), (StaffZoneView("S1"),), True, True
            ),
        ]

    def tenant(self, tenant_id: str) -> TenantView:
        return TenantView(tenant_id, "绿城物业", "active", self.timezone, "CNY", "zh-CN")

    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None:
        if unit_id != "U501":
            return None
        return UnitView(tenant_id, "U501", "S1", "B3", "3-2-501", "residential", label="3栋2单元501室")

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return True

    def site_units(self, tenant_id: str, site_id: str) -> list[UnitView]:
        return []

    def site_resident_links(self, tenant_id: str, site_id: str) -> list[ResidentUnitView]:
        return []

    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]:
        return []

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        return self.staff

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        return UserLink("resident", "R1")

    def unit_proxies(self, tenant_id: str, unit_id: str) -> list[ProxyView]:
        return []

    def site_proxies(self, tenant_id: str, site_id: str) -> list[ProxyView]:
        return []


def body(message: EventMessage, locale: Locale = Locale.ZH_CN) -> str:
    return render(message.template, locale, message.params).body


@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("Asia/Shanghai", "2026-03-10 10:00"),
        ("Europe/London", "2026-03-10 02:00"),
        ("Asia/Tokyo", "2026-03-10 11:00"),
    ],
)
def test_times_are_written_in_the_firms_zone(zone: str, text: str) -> None:
    assert local_time("2026-03-10T02:00:00.000Z", zone) == text


def test_a_visitor_arrival_names_the_local_time() -> None:
    event = contracts.VisitorArrived(
        tenant_id="t", occurred_at=AT, pass_id="P1", site_id="S1", unit_id="U501", host_user_id="u-li",
        visitor_name="赵先生", gate_id=None, entry_number=1, arrived_at="2026-03-10T02:00:00.000Z",
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert body(message) == "您的访客 赵先生 已于 2026-03-10 10:00 到达。"
    [tokyo] = messages_for(event, Directory("Asia/Tokyo"))
    assert "2026-03-10 11:00" in body(tokyo, Locale.EN)


def test_a_receipt_gives_yuan_and_the_local_time() -> None:
    event = contracts.PaymentSucceeded(
        tenant_id="t", occurred_at=AT, payment_id="PAY1", provider="sandbox", payer_user_id="u-li",
        site_id="S1", unit_ids=["U501"], bill_ids=["B1"], amount=123_450, currency="CNY",
        paid_at="2026-03-09T16:30:00.000Z",
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert body(message) == "已收到您的付款 ¥1,234.50（2026-03-10 00:30），感谢！收据编号 PAY1。"


def test_bills_and_arrears_letters_name_the_unit_as_people_write_it() -> None:
    bill = contracts.BillIssued(
        tenant_id="t", occurred_at=AT, bill_id="B1", site_id="S1", unit_id="U501", period="2026-03",
        amount_due=123_450, currency="CNY", due_date="2026-03-31",
    )  # fmt: skip
    overdue = contracts.PaymentOverdue(
        tenant_id="t", occurred_at=AT, bill_id="B1", site_id="S1", unit_id="U501", period="2026-03",
        step="overdue_3", days_overdue=3, formal=False, amount_due=123_450, currency="CNY",
        due_date="2026-03-31",
    )  # fmt: skip
    [issued] = messages_for(bill, Directory())
    [reminder] = messages_for(overdue, Directory())
    assert body(issued) == (
        "您的 3栋2单元501室 2026-03 物业账单 ¥1,234.50 已于 2026-03-10 10:00 生成，请于 2026-03-31 前缴纳。"
    )
    assert body(reminder) == (
        "截至 2026-03-10 10:00，您的 3栋2单元501室 2026-03 账单 ¥1,234.50 应于 2026-03-31 缴纳，"
        "目前逾期 3 天。"
    )


def test_ticket_progress_names_the_unit_the_local_time_and_the_status_in_words() -> None:
    event = contracts.TicketStatusChanged(
        tenant_id="t", occurred_at=AT, ticket_id="01JTICKET000042", site_id="S1", action="resolve",
        from_status="in_progress", to_status="resolved", by="u-tech", reporter_user_id="u-li",
        unit_id="U501",
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert body(message) == "您3栋2单元501室的报修 #000042 于 2026-03-10 10:00 已维修完成，请确认。"


def test_a_pass_link_gives_its_end_in_local_time() -> None:
    event = contracts.PassIssued(
        tenant_id="t", occurred_at=AT, pass_id="P1", site_id="S1", unit_id="U501", host_user_id="u-li",
        visitor_name="赵先生", visitor_phone_enc="enc", share_url="https://p.example.com/v#x",
        valid_from="2026-03-10T02:00:00.000Z", valid_until="2026-03-10T14:00:00.000Z", entries_allowed=1,
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert body(message).endswith("有效期至 2026-03-10 22:00。")


def test_an_sla_breach_gives_the_deadline_in_local_time() -> None:
    event = contracts.TicketSlaBreached(
        tenant_id="t", occurred_at=AT, ticket_id="01JTICKET000042", site_id="S1", priority="urgent",
        target="response", due_at="2026-03-10T01:30:00.000Z", assignee_staff_id=None,
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert "2026-03-10 09:30" in body(message)


def test_an_alarm_names_the_device_as_people_call_it() -> None:
    event = contracts.AlarmRaised(
        tenant_id="t", occurred_at=AT, alarm_id="A1", rule_id="R1", rule_name="电梯困人",
        device_id="01JDEVICE0000000000000000", device_kind="elevator", site_id="S1", building_id="B2",
        severity="critical", kind="entrapment", notify_roles=["guard"],
        device_name="2号楼电梯", device_location="2号楼1单元",
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert "2号楼电梯（2号楼1单元）" in body(message)
    assert "01JDEVICE" not in body(message) + render(message.template, Locale.EN, message.params).body


@pytest.mark.parametrize(
    ("name", "location", "text"),
    [
        ("2号楼电梯", None, "2号楼电梯"),
        ("2号楼电梯", "2号楼", "2号楼电梯"),  # the place is already in the name
        ("1号消防泵", "地下泵房", "1号消防泵（地下泵房）"),
        (None, "地下泵房", "地下泵房"),
        (None, None, "elevator"),
    ],
)
def test_a_device_is_named_by_its_name_then_its_place(
    name: str | None, location: str | None, text: str
) -> None:
    assert device_label(name, location, "elevator") == text


def test_an_escalation_tells_the_communitys_managers() -> None:
    event = contracts.TicketEscalated(
        tenant_id="t", occurred_at=AT, ticket_id="01JTICKET000042", site_id="S1", priority="urgent",
        to_role="manager", reason="not accepted within 10 minutes after 2 re-dispatches",
        assignee_staff_id="T1",
    )  # fmt: skip
    [message] = messages_for(event, Directory())
    assert [r.person_id for r in message.recipients] == ["M1"]  # not S2's manager, not the desk
    assert message.recipients == [Recipient(kind="staff", person_id="M1", user_id="u-m1")]
    assert message.priority is Priority.URGENT
    assert render(message.template, Locale.ZH_CN, message.params).title == "工单升级 #000042"
    assert "not accepted within 10 minutes" in body(message)
