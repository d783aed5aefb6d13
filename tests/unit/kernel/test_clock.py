from datetime import UTC, datetime, timedelta, timezone

import pytest

from courtyard.clock import Clock, FixedClock, SystemClock, epoch, parse_iso, to_iso


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(), Clock)


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(seconds=30)
    clock.advance(minutes=1, hours=1, days=1)
    assert clock.now() == datetime(2026, 3, 2, 9, 1, 30, tzinfo=UTC)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2027


def test_fixed_clock_refuses_naive_times():
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2026, 1, 1))


def test_to_iso_writes_utc_millis_with_z():
    dt = datetime(2026, 1, 2, 3, 4, 5, 678_999, tzinfo=UTC)
    assert to_iso(dt) == "2026-01-02T03:04:05.678Z"


def test_to_iso_converts_other_zones_to_utc():
    beijing = timezone(timedelta(hours=8))
    assert to_iso(datetime(2026, 1, 2, 8, 0, tzinfo=beijing)) == "2026-01-02T00:00:00.000Z"


def test_iso_strings_sort_like_the_times_they_name():
    base = datetime(2026, 1, 1, tzinfo=UTC)
    times = [base + timedelta(milliseconds=n * 997) for n in range(0, 5000, 37)]
    assert sorted(to_iso(t) for t in times) == [to_iso(t) for t in times]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05.678Z", datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)),
        ("2026-01-02T11:04:05+08:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_parse_iso_reads_z_and_offsets(text: str, expected: datetime):
    parsed = parse_iso(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_iso_round_trips_to_iso():
    dt = datetime(2026, 5, 6, 7, 8, 9, 123_000, tzinfo=UTC)
    assert parse_iso(to_iso(dt)) == dt


def test_parse_iso_refuses_times_without_zone():
    with pytest.raises(ValueError, match="timezone"):
        parse_iso("2026-01-02T03:04:05")


def test_epoch_is_whole_seconds():
    assert epoch(datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)) == 1
    assert epoch(datetime(2026, 1, 1, tzinfo=UTC)) == 1767225600
