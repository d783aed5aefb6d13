"""An account's standing in the directory: what a signed-in staff account may still do (issue 17).

A token's groups were true when it was issued; a leaver or a demoted manager keeps that token for up to an
hour. The resolver checks every staff token against the directory instead (``DirectoryReader.standing``,
cached for at most a minute).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ItemGetter = Callable[[dict[str, str]], "dict[str, Any] | None"]


@dataclass(frozen=True, slots=True)
class AccountStanding:
    active: bool
    roles: frozenset[str]


def standing_of(
    get: ItemGetter, user_key: dict[str, str], staff_key: Callable[[str], dict[str, str]]
) -> AccountStanding | None:
    """The standing from the user link (``user_key``) and the staff record it names (``staff_key``); None
    when the directory has no user link.

    A staff account stands as its staff record says (``active``, ``roles``); a resident's account holds the
    resident role only (staff groups on it were never the directory's). An account without a user link
    (none is made without one today) is left to its token.
    """
    link = get(user_key)
    if not link:
        return None
    if str(link.get("kind")) != "staff":
        return AccountStanding(active=True, roles=frozenset({"resident"}))
    staff = get(staff_key(str(link["person_id"])))
    if not staff:
        return AccountStanding(active=False, roles=frozenset())
    return AccountStanding(
        active=bool(staff.get("active", True)),
        roles=frozenset(str(role) for role in staff.get("roles", ())),
    )
