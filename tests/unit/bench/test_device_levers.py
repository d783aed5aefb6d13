"""The devices' mix, each kind at its own cadence, and the applied lever of battery detectors that wake
(bench/device_levers.py)."""

from __future__ import annotations

import pytest

from bench.device_levers import (
    DEVICE_MIX,
    battery_devices,
    battery_wakes,
    gateway_devices,
    ingest_writes,
    scaled_mix,
    steady_uploads,
)
from iot.kinds import BATTERY_KINDS
from iot.simulator import DEVICE_KINDS

MONTH_S = 30 * 24 * 3600
# A month as the bench scales it: 40 gateways connected all month, uploading every ten minutes; 60 battery
# detectors waking hourly, each wake a CONNECT and a billed minute.
GATEWAYS = {"iot.connect_minutes": 40 * 43_200.0, "iot.connects": 40.0, "iot.rules": 40 * 4_320.0}
GATEWAYS["iot.actions"] = GATEWAYS["iot.rules"]
BATTERY = {"iot.connect_minutes": 60 * 720.0, "iot.connects": 60 * 720.0, "iot.rules": 60 * 720.0}
BATTERY["iot.actions"] = BATTERY["iot.rules"]


def test_the_mix_is_the_workloads_hundred_devices_of_kinds_the_simulator_knows() -> None:
    assert sum(DEVICE_MIX.values()) == 100
    assert set(DEVICE_MIX) <= set(DEVICE_KINDS)
    assert set(DEVICE_MIX) >= BATTERY_KINDS
    assert (gateway_devices(), battery_devices()) == (40, 60)
    assert scaled_mix(100) == DEVICE_MIX
    assert sum(scaled_mix(0).values()) == 0


def test_each_kind_uploads_and_writes_at_its_own_cadence() -> None:
    # 40 gateways every ten minutes, 60 detectors hourly.
    assert steady_uploads(DEVICE_MIX, MONTH_S) == pytest.approx(40 * 4_320 + 60 * 720)
    writes = ingest_writes(DEVICE_MIX, MONTH_S, refresh_s=1500, flush_s=3600)
    # A gateway's mark every third upload + each hour; a detector's mark every wake + each hour.
    assert writes == pytest.approx(40 * (1_440 + 720) + 60 * (720 + 720))


def test_battery_detectors_that_wake_cost_less_than_connected_ones_and_the_lever_is_applied() -> None:
    lever = battery_wakes(GATEWAYS, BATTERY)

    # Before: each detector as a measured gateway (43,200 minutes, 1 CONNECT, 4,320 rules and actions).
    per_device = 43_200 * 0.08 / 1e6 + 1 * 1.00 / 1e6 + 4_320 * (0.15 + 0.15) / 1e6
    assert lever.before == pytest.approx(60 * per_device)
    # After: 720 wakes each: a CONNECT (a message) + one minute + a rule and an action.
    assert lever.after == pytest.approx(60 * 720 * (1.00 + 0.08 + 0.15 + 0.15) / 1e6)
    assert lever.saves > 0
    assert lever.applied


def test_the_lever_follows_the_measured_samples_not_a_constant() -> None:
    double = battery_wakes({k: 2 * v for k, v in GATEWAYS.items()}, BATTERY)
    assert double.before == pytest.approx(2 * battery_wakes(GATEWAYS, BATTERY).before)
    assert battery_wakes(GATEWAYS, {}).after == 0.0
