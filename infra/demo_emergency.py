"""`make demo` chapter (issue 19): one emergency. The manager enters the firm's holidays and the community's
duty roster; the desk puts an elderly resident living alone on the care list; she presses SOS; the
emergency ladder's first step reaches the guard and the technician on duty at once (push and SMS, and a voice
call, as she is on the care list) and her household is told; dispatch gives the SOS to the technician on the
roster; the guard on duty presses 1 on the call, which stops the ladder and accepts the SOS as the guard
(the tickets consume ``EmergencyAcknowledged``); the response time shows in the KPIs.

The local cloud runs on the wall clock, so the story says which shift it is rather than faking 03:00; the
tests drive the clock through the night-time and holiday cases (tests/integration/notifications/
test_emergency_ladder.py).
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from courtyard.crypto import mask_phone
from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import wait_for
from infra.local.outbox import read_outbox

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData

# China's 2026 National Day holidays and the Saturday worked instead (entered by the firm each year).
HOLIDAYS = [f"2026-10-0{day}" for day in range(1, 8)]
MAKE_UP_WORKDAYS = ["2026-10-10"]


def prepare(story: Story, demo: DemoData) -> None:
    """The firm's holidays and its community's duty roster, entered at go-live, before the first ticket.

    Dispatch reads the roster through a per-container cache of a minute (an empty roster is cached too, so a
    community without one costs no extra read per filing): a roster entered after tickets were filed reaches
    dispatch within that minute. The demo enters it first, as a firm would, instead of waiting it out."""
    manager = story.token(demo.user("greenfield", Role.MANAGER).username)
    guard_user, tech_user = demo.user("greenfield", Role.GUARD), demo.user("greenfield", Role.TECHNICIAN)
    calendar = {"holidays": HOLIDAYS, "workdays": MAKE_UP_WORKDAYS, "ladder_step_minutes": 2}
    story.check(story.call("PUT", "/duty/calendar", manager, body=calendar).status == 200, "calendar set")
    lines = [
        {"staff_id": person.person_id, "shift": shift}
        for person in (guard_user, tech_user)
        for shift in ("day", "night")
    ]
    site_id = demo.sites["greenfield"]
    roster = story.call("PUT", f"/sites/{site_id}/duty-roster", manager, body={"lines": lines})
    story.check(roster.status == 200, f"roster set: {roster.text}")


def chapter(story: Story, demo: DemoData) -> None:
    print(
        "\n== An emergency: an elderly resident's SOS, the ladder's first step, the acknowledgment, the KPI"
    )
    desk = story.token(demo.user("greenfield", Role.SERVICE_DESK).username)
    guard_user, tech_user = demo.user("greenfield", Role.GUARD), demo.user("greenfield", Role.TECHNICIAN)
    resident_user = demo.user("greenfield", Role.RESIDENT)
    site_id = demo.sites["greenfield"]

    now = story.call("GET", f"/duty/now?site_id={site_id}", desk).json()
    shift = now["shift"]
    rostered = {p["staff_id"] for p in now["staff"] if p["source"] == "roster"}
    story.check({guard_user.person_id, tech_user.person_id} <= rostered, "the roster puts them on duty")
    print(
        f"   holidays entered ({len(HOLIDAYS)} days, {len(MAKE_UP_WORKDAYS)} make-up workday); it is the "
        f"{shift['shift']} shift of a {shift['day_kind']}: on duty "
        + ", ".join(f"{p['name']} ({'/'.join(p['roles'])}, {p['source']})" for p in now["staff"])
    )

    care = story.call(
        "PUT",
        f"/residents/{resident_user.person_id}/care",
        desk,
        body={"flags": ["elderly_alone"], "note": "独居，每月电话回访"},
    )
    story.check(care.status == 200, f"care flag set: {care.text}")
    visits = story.call("GET", "/care-visits", desk).json()
    print(
        f"   the desk puts {care.json()['name']} on the care list (elderly living alone); "
        f"{visits['month']} return-visit calls to make: {visits['to_call']}"
    )

    for person in (guard_user, tech_user):
        token = story.token(person.username)
        device = story.call(
            "POST", "/me/push-endpoints", token, body={"platform": "fcm", "token": f"duty-{uuid.uuid4().hex}"}
        )
        story.check(device.status == 201, f"{person.username} registers a phone for push: {device.text}")

    before = read_outbox(story.info.aws_endpoint)
    seen_sms = {m.message_id for m in before.sms}
    seen_push = {m.message_id for m in before.pushes}
    staff_phones = {f"+86{guard_user.phone}": guard_user.name, f"+86{tech_user.phone}": tech_user.name}
    resident = story.token(resident_user.username)
    started = time.perf_counter()
    sos = story.call(
        "POST",
        "/tickets",
        resident,
        body={"kind": "sos", "description": "一键求助 SOS"},
        headers={"Idempotency-Key": f"sos-{uuid.uuid4()}"},
    )
    story.check(sos.status == 201, f"SOS filed: {sos.text}")
    ticket = sos.json()
    print(
        f"   201 SOS {ticket['ticket_id']} from {resident_user.name}: "
        f"{ticket['status']}, {ticket['priority']}"
    )

    def first_step() -> bool:
        box = read_outbox(story.info.aws_endpoint)
        texted = {m.phone_number for m in box.sms if m.message_id not in seen_sms and "紧急" in m.message}
        return set(staff_phones) <= texted

    story.check(wait_for(first_step, 60), "the ladder's first step reached the guard and the technician")
    elapsed = time.perf_counter() - started
    box = read_outbox(story.info.aws_endpoint)
    new_sms = [m for m in box.sms if m.message_id not in seen_sms and "紧急" in m.message]
    new_push = [m for m in box.pushes if m.message_id not in seen_push and m.title.startswith("紧急")]
    story.check(len(new_push) >= 2, "the first step also went by push")
    print(f"   step 1 in {elapsed:.1f} s: SMS and push to the guard and the technician on duty:")
    for sms in new_sms:
        if sms.phone_number in staff_phones:
            print(
                f"     sms {mask_phone(sms.phone_number)} ({staff_phones[sms.phone_number]}): "
                f"{sms.message[:70]}"
            )
    print(f"     {len(new_push)} pushes: {new_push[0].title}")
    # She is on the care list: the first step phones them too (the telephony persona took the calls).
    staff_numbers = {guard_user.phone, tech_user.phone}

    def phoned() -> bool:
        calls = read_outbox(story.info.aws_endpoint, voice_url=story.info.voice_url).calls
        return staff_numbers <= {c.called_number for c in calls}

    story.check(wait_for(phoned, 60), "the care-list SOS phoned the guard and the technician")
    for call in read_outbox(story.info.aws_endpoint, voice_url=story.info.voice_url).calls:
        if call.called_number in staff_numbers:
            print(
                f"     voice call {mask_phone(call.called_number)} [{call.tts_code}]: "
                f"{call.params.get('who', '')}{call.params.get('place', '')}{call.params.get('what', '')}"
                "，确认请按1"
            )
    story.check(
        ticket["assignee_staff_id"] == tech_user.person_id, "dispatch gave the SOS to the rostered technician"
    )
    print(f"   dispatched to {tech_user.name}, the technician on the roster")

    # The guard answers the call and presses 1: the provider's signed report reaches POST /voice/callbacks,
    # which stops the ladder, and EmergencyAcknowledged makes the tickets accept the SOS as the guard.
    guard_call = next(
        c
        for c in read_outbox(story.info.aws_endpoint, voice_url=story.info.voice_url).calls
        if c.called_number == guard_user.phone
    )
    pressed = request("POST", f"{story.info.voice_url}/calls/{guard_call.call_id}/press", body={"dtmf": "1"})
    story.check(pressed.status == 200, f"the guard pressed 1 on the call: {pressed.text}")

    def accepted() -> bool:
        seen = story.call("GET", f"/tickets/{ticket['ticket_id']}", desk)
        return seen.status == 200 and seen.json()["status"] == "accepted"

    story.check(wait_for(accepted, 60), "the guard's keypress accepted the SOS")
    timeline = story.call("GET", f"/tickets/{ticket['ticket_id']}/timeline", desk).json()["timeline"]
    print(
        f"   {guard_user.name} (guard) presses 1 on the call: the ladder stops and the SOS is accepted "
        f"({timeline[-1]['action']}, {timeline[-1].get('note') or ''})"
    )
    story.cloud.fire("NotificationsJobsFunction")
    manager_phone = f"+86{demo.user('greenfield', Role.MANAGER).phone}"
    late = read_outbox(story.info.aws_endpoint)
    story.check(
        not any(m.phone_number == manager_phone and m.message_id not in seen_sms for m in late.sms),
        "nobody acknowledged late: the manager was not called",
    )

    stats = story.call("GET", f"/tickets/stats?site_id={site_id}", desk).json()
    months = stats["sites"][0]["emergency_response"] if stats["sites"] else []
    story.check(bool(months) and months[-1]["acknowledged"] >= 1, "the response time is in the KPIs")
    month = months[-1]
    print(
        f"   KPI {month['month']}: {month['emergencies']} emergencies, p50 {month['p50_minutes']} min, "
        f"p90 {month['p90_minutes']} min, within 5 minutes {month['within_5_min_pct']}%"
    )
