"""The vertical slice: a registered elevator's readings through the ingest become one alarm and events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from courtyard.clock import FixedClock
from tests.integration.sensors.conftest import Community, alarms_of, raised

HIGH = 6.0
NORMAL = 1.2


def test_vibration_for_less_than_ten_seconds_raises_nothing(manager, register, call, published) -> None:
    community, wang = manager
    elevator = register(community, wang)

    elevator.stream([NORMAL] * 3 + [HIGH] * 9 + [NORMAL] * 3)

    assert alarms_of(call, wang) == []
    assert raised(published) == []


def test_vibration_for_longer_raises_one_alarm_and_one_event(manager, register, call, published) -> None:
    community, wang = manager
    elevator = register(community, wang)

    elevator.stream([NORMAL] * 3 + [HIGH] * 20)

    alarms = alarms_of(call, wang)
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["status"] == "active"
    assert alarm["device_id"] == elevator.device_id
    assert alarm["rule_id"] == "default-elevator-vibration"
    assert alarm["kind"] == "threshold"
    events = raised(published)
    assert len(events) == 1
    event = events[0]
    assert event["alarm_id"] == alarm["alarm_id"]
    assert event["repeat"] is False
    assert event["action"] == {"category": "elevator", "priority": "urgent"}
    assert event["severity"] == "major"
    assert event["site_id"] == community.site_id
    assert event["building_id"] == "BLDG-A"
    assert event["metric"] == "vibration_mm_s"
    assert event["threshold"] == 4.5
    assert set(event["notify_roles"]) == {"technician", "service_desk"}


def test_oscillating_inside_the_band_is_one_alarm_with_a_count(
    manager, register, call, published, clock
) -> None:
    community, wang = manager
    elevator = register(community, wang)

    elevator.stream([HIGH] * 11 + [4.4, 4.6] * 30)

    alarms = alarms_of(call, wang)
    assert len(alarms) == 1
    assert alarms[0]["count"] == 31  # the raise and 30 re-triggers
    assert len(raised(published)) == 1  # repeats go out at most every 10 minutes

    clock.advance(minutes=10)
    elevator.stream([4.4, 4.6])
    repeats = [e for e in raised(published) if e["repeat"]]
    assert len(repeats) == 1
    assert repeats[0]["alarm_id"] == alarms[0]["alarm_id"]
    assert repeats[0]["count"] == 32


def test_the_clear_condition_clears_the_alarm(manager, register, call, published) -> None:
    community, wang = manager
    elevator = register(community, wang)

    elevator.stream([HIGH] * 11 + [NORMAL] * 31)  # below 3.5 for 30 s

    alarms = alarms_of(call, wang)
    assert [a["status"] for a in alarms] == ["cleared"]
    assert alarms[0]["cleared_by"] == "system"
    cleared = [d for name, d in published if name == "AlarmCleared"]
    assert len(cleared) == 1
    assert cleared[0]["alarm_id"] == alarms[0]["alarm_id"]


def test_after_a_clear_a_new_fault_is_a_new_alarm(manager, register, call) -> None:
    community, wang = manager
    elevator = register(community, wang)

    elevator.stream([HIGH] * 11 + [NORMAL] * 31 + [HIGH] * 11)

    statuses = sorted(a["status"] for a in alarms_of(call, wang))
    assert statuses == ["active", "cleared"]


def test_older_readings_do_not_move_state(manager, register, call, clock: FixedClock) -> None:
    community, wang = manager
    elevator = register(community, wang)
    elevator.stream([NORMAL] * 3)
    from sensors import ingest_handler

    from courtyard.clock import to_iso
    from tests.factories import lambda_context

    old = to_iso(clock.now().replace(year=2026, month=3, day=10, hour=1))
    for seq in range(30):
        message = elevator.message({"ts": old, "seq": seq, "metrics": {"vibration_mm_s": HIGH}})
        reply = ingest_handler.lambda_handler(message, lambda_context())
        assert reply["outcomes"] == {"out_of_order": 1}

    assert alarms_of(call, wang) == []


def test_a_silent_device_goes_offline_and_comes_back(
    manager, register, call, published, clock, sensors: Any
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    elevator.stream([NORMAL] * 5)
    from sensors import heartbeat_handler

    from tests.factories import lambda_context

    clock.advance(minutes=29)  # devices upload every 10 minutes: two missed uploads + 9 minutes is not yet
    assert heartbeat_handler.lambda_handler({}, lambda_context())["raised"] == 0
    clock.advance(minutes=22)  # 51 minutes of silence: beyond the 25-minute timeout + the 25-minute mark
    run = heartbeat_handler.lambda_handler({}, lambda_context())
    clock.advance(minutes=1)
    again = heartbeat_handler.lambda_handler({}, lambda_context())

    assert run["raised"] == 1
    assert again["raised"] == 0  # offline once, not every minute
    offline = alarms_of(call, wang)
    assert [(a["kind"], a["status"]) for a in offline] == [("offline", "active")]
    assert raised(published)[-1]["kind"] == "offline"
    assert raised(published)[-1]["action"] is None  # the offline rule notifies, it opens no work order

    elevator.stream([NORMAL])

    back = alarms_of(call, wang)
    assert [(a["kind"], a["status"]) for a in back] == [("offline", "cleared")]


def test_camera_event_raises_and_clears_when_not_seen_again(manager, register, call, clock) -> None:
    community, wang = manager
    camera = register(community, wang, kind="camera")
    from sensors import heartbeat_handler

    from tests.factories import lambda_context

    camera.send(event={"name": "high_altitude_throw", "attributes": {"zone": "east"}})
    camera.send(event={"name": "high_altitude_throw"}, every_s=60)
    clock.advance(minutes=11)
    heartbeat_handler.lambda_handler({}, lambda_context())

    alarms = [a for a in alarms_of(call, wang) if a["kind"] != "offline"]  # 11 min of silence: offline too
    assert len(alarms) == 1
    assert alarms[0]["kind"] == "high_altitude_throw"
    assert alarms[0]["count"] == 2
    assert alarms[0]["status"] == "cleared"


def test_steady_readings_cost_few_writes(manager, register, sensors) -> None:
    community, wang = manager
    elevator = register(community, wang)
    ingest = sensors.ingest()
    before = ingest.writes

    elevator.stream([NORMAL] * 1000)
    ingest.flush_all()

    assert ingest.writes - before <= 20


def _unused(_: Community, __: Callable[..., Any]) -> None:
    return None
