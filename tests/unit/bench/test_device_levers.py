"""The devices' mix and the modelled lever of battery sensors posting over HTTPS (bench/device_levers.py)."""

from __future__ import annotations

import pytest

from bench.device_levers import BATTERY_KINDS, DEVICE_MIX, battery_devices, battery_https
from iot.simulator import DEVICE_KINDS

MONTH_S = 30 * 24 * 3600
# The month the bench measures for 100 devices uploading every ten minutes, each holding its connection.
MEASURED = {"iot.connect_minutes": 100 * 43_200.0, "iot.connects": 100.0}
UPLOADS = 100 * 4_320.0


def test_the_mix_is_the_workloads_hundred_devices_of_kinds_the_simulator_knows() -> None:
    assert sum(DEVICE_MIX.values()) == 100
    assert set(DEVICE_MIX) <= set(DEVICE_KINDS)
    assert set(DEVICE_MIX) >= BATTERY_KINDS
    assert battery_devices() == 60


def test_battery_sensors_posting_hourly_save_their_minutes_even_with_every_post_a_message() -> None:
    lever = battery_https(MEASURED, devices=100, uploads=UPLOADS, month_s=MONTH_S)
    minutes = 0.6 * 4_320_000 * 0.08 / 1e6
    connects = 0.6 * 100 * 1.00 / 1e6
    steady = 0.6 * UPLOADS * (0.15 + 0.15) / 1e6  # a rule and an action an upload
    assert lever.before == pytest.approx(minutes + connects + steady)
    posts = 60 * 720  # one an hour for 30 days
    assert lever.after == pytest.approx(posts * (1.00 + 0.15 + 0.15) / 1e6)
    assert lever.saves > 0
    assert not lever.applied  # modelled: the product's devices still hold a connection


def test_the_lever_follows_the_measured_connections_not_a_constant() -> None:
    idle = battery_https({}, devices=100, uploads=0.0, month_s=MONTH_S)
    assert idle.before == 0.0  # nothing measured, nothing to save
    assert idle.saves < 0
    double = battery_https(
        {k: 2 * v for k, v in MEASURED.items()}, devices=100, uploads=UPLOADS, month_s=MONTH_S
    )
    single = battery_https(MEASURED, devices=100, uploads=UPLOADS, month_s=MONTH_S)
    assert double.before > single.before
