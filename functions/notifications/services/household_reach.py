"""The reads behind ``household_once`` at send time: may this household member's bill or arrears message end
on a text? Only the texter's, and only when nobody else of the household gets it by push or WeChat.

The rest of the household is read (directory contact, then the login's settings: one query each) only when
the texter has neither push nor WeChat, i.e. only when a text is in question, and it stops at the first
person reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from courtyard.directory import ContactView
from notifications.domain import Category, DeliveryJob, Recipient
from notifications.household_once import may_text, reached_without_text
from notifications.models import PushEndpoint
from notifications.preferences import Preferences, Reach


class _Contacts(Protocol):
    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None: ...


class _Settings(Protocol):
    def person_settings(
        self, tenant_id: str, user_id: str
    ) -> tuple[Preferences | None, list[PushEndpoint], str | None]: ...


def household_may_text(
    job: DeliveryJob,
    prefs: Preferences,
    reach: Reach,
    contacts: _Contacts,
    settings: _Settings,
    *,
    wechat_on: bool,
) -> bool:
    """``reach``: the recipient's own (as the sender saw it); ``wechat_on``: this sender sends WeChat."""
    household = job.household
    if household is None:
        return True
    own = reached_without_text(prefs, job.category, push_endpoints=reach.push_endpoints, wechat=reach.wechat)
    others = _reached(job.tenant_id, household.others, job.category, contacts, settings, wechat_on)
    return may_text(household.texter, own, others)


def _reached(
    tenant_id: str,
    others: tuple[Recipient, ...],
    category: Category,
    contacts: _Contacts,
    settings: _Settings,
    wechat_on: bool,
) -> Iterator[bool]:
    for other in others:
        user_id = other.user_id
        if user_id is None and other.person_id:
            contact = contacts.contact(tenant_id, other.kind, other.person_id)
            user_id = contact.user_id if contact else None
        if user_id is None:  # no login: no app, no WeChat link
            yield False
            continue
        prefs, endpoints, openid = settings.person_settings(tenant_id, user_id)
        yield reached_without_text(
            prefs, category, push_endpoints=len(endpoints), wechat=wechat_on and openid is not None
        )
