"""The visitors functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(repository, fake)``.
"""

from __future__ import annotations

from courtyard.wiring import Wiring
from visitors.adapters.kms_keys import KmsPassKeys
from visitors.erasure_repository import PassScrubber
from visitors.repository import VisitorsRepository
from visitors.revocations import RevocationService
from visitors.revocations_repository import RevocationsRepository
from visitors.services.blocklist import BlocklistService
from visitors.services.erasure import HostErasure
from visitors.services.gate import GateService
from visitors.services.moveout import MoveOutRevocation
from visitors.services.passes import PassService
from visitors.settings import settings

wiring = Wiring(settings, source="courtyard.visitors")

repository = wiring.factory(
    lambda: VisitorsRepository(wiring.table(wiring.config.visitors_table), wiring.config.idempotency_hours)
)


def _pass_keys() -> KmsPassKeys:
    """Public keys are fetched on first use and kept for the life of the sandbox: no KMS call per scan."""
    return KmsPassKeys(wiring.config.pass_signing_key_id, wiring.config.retired_key_ids)


pass_keys = wiring.factory(_pass_keys)

# The API's own pending effects (PassIssued) live in the visitors table.
outbox = wiring.factory(lambda: wiring.outbox(wiring.table(wiring.config.visitors_table)))

# The jobs' sweep writes no list cursors: a per-process key spares it the cursor secret (and its IAM grant).
sweep_outbox = wiring.factory(
    lambda: wiring.outbox(wiring.table(wiring.config.visitors_table, cursors=False))
)

service = wiring.factory(
    lambda: PassService(
        repo=repository(),
        directory=wiring.reader(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        cipher=wiring.cipher(),
        index=wiring.blind_index(),
        keys=pass_keys(),
        share_base_url=wiring.config.pass_share_base_url,
        outbox=outbox(),
    )
)

gate = wiring.factory(
    lambda: GateService(
        repo=repository(),
        directory=wiring.reader(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        index=wiring.blind_index(),
        keys=pass_keys(),
        passes=service(),
    )
)

revocations = wiring.factory(
    lambda: RevocationService(
        RevocationsRepository(wiring.table(wiring.config.visitors_table)),
        wiring.reader(),
        pass_keys(),
        wiring.clock,
    )
)

blocklist = wiring.factory(
    lambda: BlocklistService(
        repository(), wiring.reader(), wiring.audit(), wiring.clock, wiring.cipher(), wiring.blind_index()
    )
)

# The residency consumer: a moved-out resident's live passes for the unit are revoked.
# It pages through a host's passes internally (no cursor leaves it): a per-process cursor key, no secret.
moveout = wiring.factory(
    lambda: MoveOutRevocation(
        VisitorsRepository(
            wiring.table(wiring.config.visitors_table, cursors=False), wiring.config.idempotency_hours
        ),
        wiring.audit(),
        wiring.events(),
        wiring.clock,
    )
)

# ResidentErased: the host's live passes are revoked and every pass they host loses its personal fields.
erasure = wiring.factory(
    lambda: HostErasure(moveout(), PassScrubber(wiring.table(wiring.config.visitors_table, cursors=False)))
)
