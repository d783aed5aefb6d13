"""Family proxy routes (子女代办): consent and a code for the child, acceptance, the lists, revocation."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from directory.invites.service import Claimant
from directory.proxies.models import ProxyAccept, ProxyCreate, ProxyListOut, ProxyOut
from directory.wiring import proxies as service

router = CourtyardRouter()


@router.post(
    "/units/<unit_id>/proxies",
    summary="Link a family proxy to a unit: the parent in the app, or the desk recording the parent's "
    "consent; answers a one-time code for the child (shown once)",
    responses={201: {"description": "Created", "content": {"application/json": {"model": ProxyOut}}}},
)
def create_proxy(unit_id: str, body: ProxyCreate) -> tuple[ProxyOut, int]:
    proxy, code = service().create(router.tenant(), unit_id, body)
    return ProxyOut.from_domain(proxy, code), 201


@router.get("/units/<unit_id>/proxies", summary="A unit's family proxies (its residents, the desk)")
def list_proxies(unit_id: str) -> ProxyListOut:
    return ProxyListOut(items=[ProxyOut.from_domain(p) for p in service().of_unit(router.tenant(), unit_id)])


@router.post(
    "/units/<unit_id>/proxies/<proxy_id>/revoke",
    summary="Revoke a family proxy (the unit's residents, the desk, or the proxy themself)",
)
def revoke_proxy(unit_id: str, proxy_id: str) -> ProxyOut:
    return ProxyOut.from_domain(service().revoke(router.tenant(), unit_id, proxy_id))


@router.post(
    "/proxies/accept",
    summary="Accept a family proxy code with one's own account (then refresh the session's token)",
)
def accept_proxy(body: ProxyAccept) -> ProxyOut:
    # An account from another city may not belong to the firm yet: the code names the firm and proves it.
    return ProxyOut.from_domain(service().accept(body.code, Claimant.from_claims(router.claims())))


@router.get("/me/proxies", summary="The units the caller acts for as a family proxy")
def my_proxies() -> ProxyListOut:
    return ProxyListOut(items=[ProxyOut.from_domain(p) for p in service().mine(router.tenant())])
