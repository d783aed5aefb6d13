"""The personal fields of a pass, removed when its host's data is erased (``ResidentErased``).

A pass carries what its host typed about their visitor (name, phone, plate, note) and the digests that
find it by phone or plate; erasing the host removes them all, keeping the pass's shape, window, counts and
status for the firm's visit statistics. Removing is idempotent (the same update again changes nothing).
"""

from __future__ import annotations

from courtyard.table import Table
from visitors import keys

ERASED_VISITOR = "已注销"


class PassScrubber:
    def __init__(self, table: Table) -> None:
        self._table = table

    def scrub(self, tenant_id: str, pass_id: str) -> None:
        self._table.update(
            keys.visitor_pass(tenant_id, pass_id),
            "SET visitor_name = :erased REMOVE visitor_phone_enc, visitor_plate_enc, phone_digest, "
            "plate_digest, phone_masked, plate_masked, note, gsi3pk, gsi3sk",
            {":erased": ERASED_VISITOR},
            condition="attribute_exists(pk)",
            conflict="the pass is gone",
        )
