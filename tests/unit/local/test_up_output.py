"""What `make up` prints for a curl: the demo users and each firm's community, building and units."""

from __future__ import annotations

from infra.local.__main__ import demo_lines
from infra.seed import DEMO_ROOMS, DemoData, DemoUser


def test_make_up_prints_each_firms_community_building_and_unit_ids():
    demo = DemoData(
        tenants={"greenfield": "T1"},
        users=[
            DemoUser(
                firm="greenfield",
                role="manager",
                username="greenfield-manager",
                name="Wang",
                email="wang@example.com",
                phone="+8613800000001",
                tenant_id="T1",
                user_id="U1",
                person_id="P1",
            )
        ],
        sites={"greenfield": "SITE1"},
        units={"greenfield": ["UNIT1", "UNIT2", "UNIT3"]},
        buildings={"greenfield": "BLDG1"},
    )

    text = "\n".join(demo_lines(demo))

    assert "greenfield-manager" in text
    assert "community SITE1" in text
    assert "building 1栋 BLDG1" in text
    for room, unit_id in zip(DEMO_ROOMS, ["UNIT1", "UNIT2", "UNIT3"], strict=True):
        assert f"unit {room:<9} {unit_id}" in text
