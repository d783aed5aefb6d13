"""Who becomes a unit's primary contact when the primary contact moves out (pure rule, issue 17)."""

from __future__ import annotations

import pytest

from courtyard.errors import Unprocessable
from directory.people.models import Relation, ResidentLink
from directory.residency.rules import ChooseSuccessor, successor


def link(
    resident_id: str, relation: Relation = Relation.OWNER, *, primary: bool = False, erased: bool = False
) -> ResidentLink:
    return ResidentLink(
        resident_id=resident_id,
        unit_id="U1",
        site_id="S1",
        room_key="1-101",
        relation=relation,
        primary=primary,
        since="2026-01-01T00:00:00.000Z",
        erased=erased,
    )


PRIMARY = link("P", primary=True)


def test_a_member_who_is_not_the_primary_contact_needs_no_successor():
    daughter = link("D", Relation.FAMILY)

    assert successor([PRIMARY, daughter], daughter) is None


def test_the_last_resident_leaves_nobody_as_primary():
    decided = successor([PRIMARY], PRIMARY)

    assert decided is not None
    assert decided.link is None


def test_the_one_other_adult_is_promoted_over_family_members():
    renter, child = link("R", Relation.RENTER), link("C", Relation.FAMILY)

    decided = successor([PRIMARY, renter, child], PRIMARY)

    assert decided is not None
    assert decided.link == renter


@pytest.mark.parametrize(
    "staying",
    [
        [link("A"), link("B", Relation.RENTER)],  # two adults
        [link("C", Relation.FAMILY)],  # only family: the directory cannot tell a child from an adult
    ],
)
def test_the_desk_chooses_when_the_rule_cannot(staying: list[ResidentLink]):
    with pytest.raises(ChooseSuccessor) as refused:
        successor([PRIMARY, *staying], PRIMARY)

    assert refused.value.status == 409
    assert sorted(d["msg"] for d in refused.value.details) == sorted(m.resident_id for m in staying)


def test_an_erased_member_is_never_promoted():
    decided = successor([PRIMARY, link("E", erased=True), link("A")], PRIMARY)

    assert decided is not None
    assert decided.link is not None
    assert decided.link.resident_id == "A"


def test_the_desks_choice_wins_and_must_stay_in_the_unit():
    a, b = link("A"), link("B")

    chosen = successor([PRIMARY, a, b], PRIMARY, chosen="B")

    assert chosen is not None
    assert chosen.link == b
    with pytest.raises(Unprocessable):
        successor([PRIMARY, a, b], PRIMARY, chosen="P")
    with pytest.raises(Unprocessable):
        successor([PRIMARY, a], PRIMARY, chosen="nobody")
