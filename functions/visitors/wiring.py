"""The visitors functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(repository, fake)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courtyard.wiring import Wiring
from visitors.repository import VisitorsRepository
from visitors.settings import settings

if TYPE_CHECKING:
    from visitors.adapters.firm_keys import FirmKeyring
    from visitors.adapters.kms_keys import KmsPassKeys
    from visitors.revocations import RevocationService
    from visitors.services.blocklist import BlocklistService
    from visitors.services.erasure import HostErasure
    from visitors.services.export import VisitorsExport
    from visitors.services.gate import GateService
    from visitors.services.moveout import MoveOutRevocation
    from visitors.services.pass_keys import PassKeysService
    from visitors.services.passes import PassService

# Each function imports a use case (and its adapters) when it first builds it: the residency consumer never
# loads passes, the gate or the QR code; the API loads a route's service on its first request to it.

wiring = Wiring(settings, source="courtyard.visitors")

repository = wiring.factory(
    lambda: VisitorsRepository(wiring.table(wiring.config.visitors_table), wiring.config.idempotency_hours)
)


def _pass_keys() -> KmsPassKeys | FirmKeyring:
    """Public keys are fetched on first use and kept for the life of the sandbox: no KMS call per scan.
    With ``pass_keys_per_firm`` each firm signs with its own key and the stage's key only verifies."""
    from visitors.adapters.firm_keys import FirmKeyring
    from visitors.adapters.kms_keys import KmsPassKeys
    from visitors.repositories.firm_keys import FirmKeysRepository

    config = wiring.config
    stage = KmsPassKeys(
        config.pass_signing_key_id, config.retired_key_ids, exported=config.retired_public_keys
    )
    if not wiring.config.pass_keys_per_firm:
        return stage
    store = FirmKeysRepository(wiring.table(wiring.config.visitors_table))
    return FirmKeyring(store, wiring.cipher(), stage, wiring.clock)


pass_keys = wiring.factory(_pass_keys)


def _pass_key_service() -> PassKeysService:
    from visitors.services.pass_keys import PassKeysService

    return PassKeysService(pass_keys(), wiring.recent(), wiring.audit())


pass_key_service = wiring.factory(_pass_key_service)

# The API's own pending effects (PassIssued) live in the visitors table.
outbox = wiring.factory(lambda: wiring.outbox(wiring.table(wiring.config.visitors_table)))

# The jobs' sweep writes no list cursors: a per-process key spares it the cursor secret (and its IAM grant).
sweep_outbox = wiring.factory(
    lambda: wiring.outbox(wiring.table(wiring.config.visitors_table, cursors=False))
)


def _service() -> PassService:
    from visitors.services.passes import PassService

    # Issuing reads the host's units and the unit on every request: kept a minute per container
    # (courtyard.directory_cache), within the delay a directory change may take (issue 18).
    return PassService(
        repo=repository(),
        directory=wiring.recent(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        cipher=wiring.cipher(),
        index=wiring.blind_index(),
        keys=pass_keys(),
        share_base_url=wiring.config.pass_share_base_url,
        outbox=outbox(),
        links=wiring.live_links(),
    )


service = wiring.factory(_service)


def _gate() -> GateService:
    from visitors.services.gate import GateService

    return GateService(
        repo=repository(),
        directory=wiring.recent(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        index=wiring.blind_index(),
        keys=pass_keys(),
        passes=service(),
    )


gate = wiring.factory(_gate)


def _revocations() -> RevocationService:
    from visitors.repositories.revocations import RevocationsRepository
    from visitors.revocations import RevocationService

    return RevocationService(
        RevocationsRepository(wiring.table(wiring.config.visitors_table)),
        wiring.reader(),
        pass_keys(),
        wiring.clock,
    )


revocations = wiring.factory(_revocations)


def _blocklist() -> BlocklistService:
    from visitors.services.blocklist import BlocklistService

    return BlocklistService(
        repository(), wiring.reader(), wiring.audit(), wiring.clock, wiring.cipher(), wiring.blind_index()
    )


blocklist = wiring.factory(_blocklist)


# The residency consumer: a moved-out resident's live passes for the unit are revoked.
# It pages through a host's passes internally (no cursor leaves it): a per-process cursor key, no secret.
def _moveout() -> MoveOutRevocation:
    from visitors.services.moveout import MoveOutRevocation

    return MoveOutRevocation(
        VisitorsRepository(
            wiring.table(wiring.config.visitors_table, cursors=False), wiring.config.idempotency_hours
        ),
        wiring.audit(),
        wiring.events(),
        wiring.clock,
    )


moveout = wiring.factory(_moveout)


# ResidentErased: the host's live passes are revoked and every pass they host loses its personal fields.
def _erasure() -> HostErasure:
    from visitors.repositories.erasure import PassScrubber
    from visitors.services.erasure import HostErasure

    return HostErasure(moveout(), PassScrubber(wiring.table(wiring.config.visitors_table, cursors=False)))


erasure = wiring.factory(_erasure)


# PersonalDataExportRequested: the passes the person hosts and their scans, as the visitors' part.
def _export() -> VisitorsExport:
    from visitors.repositories.export import PassExportReader
    from visitors.services.export import VisitorsExport

    table = wiring.table(wiring.config.visitors_table, cursors=False)
    return VisitorsExport(PassExportReader(table), wiring.export_part("visitors"))


export = wiring.factory(_export)
