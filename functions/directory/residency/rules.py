"""Who becomes a unit's primary contact when the primary contact moves out: a pure rule.

The issue asks to promote another adult of the household or to ask the desk to choose. The directory knows
relations, not ages: owners and renters are the adults it can vouch for. Exactly one of them left in the
unit is promoted; several, or only family members, answer 409 with the candidates so the desk chooses
(``promote_resident_id``). A unit nobody else lives in is left without a primary contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from courtyard.errors import Conflict, Unprocessable
from directory.people.models import Relation, ResidentLink

ADULT_RELATIONS = frozenset({Relation.OWNER, Relation.RENTER})


@dataclass(frozen=True, slots=True)
class Successor:
    """The link to promote (None: nobody stays in the unit)."""

    link: ResidentLink | None


class ChooseSuccessor(Conflict):
    code = "choose_primary_contact"


def successor(
    members: Sequence[ResidentLink], leaving: ResidentLink, chosen: str | None = None
) -> Successor | None:
    """The primary contact after ``leaving`` goes; None when ``leaving`` is not the primary contact.

    Raises ChooseSuccessor (409, with the candidates) when the rule cannot pick, and Unprocessable when
    ``chosen`` is not someone who stays in the unit.
    """
    staying = [m for m in members if m.resident_id != leaving.resident_id and not m.erased]
    if chosen is not None:
        pick = next((m for m in staying if m.resident_id == chosen), None)
        if pick is None:
            raise Unprocessable(
                "promote_resident_id must be another resident of this unit",
                [{"loc": ["body", "promote_resident_id"], "type": "not_a_member", "msg": "not in this unit"}],
            )
        return Successor(pick) if leaving.primary else None
    if not leaving.primary:
        return None
    if not staying:
        return Successor(None)
    adults = [m for m in staying if m.relation in ADULT_RELATIONS]
    if len(adults) == 1:
        return Successor(adults[0])
    candidates = adults or staying
    raise ChooseSuccessor(
        "the primary contact is moving out: the service desk chooses who takes over (promote_resident_id)",
        [
            {"loc": ["body", "promote_resident_id"], "type": "candidate", "msg": m.resident_id}
            for m in sorted(candidates, key=lambda m: m.resident_id)
        ],
    )
