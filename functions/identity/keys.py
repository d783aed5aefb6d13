"""Keys of the identity table. Sign-in starts from a phone number, before any firm is known, so these keys
have no tenant prefix (DESIGN.md's departures): each item holds digests and ids only, never a number.

``PHONE#{digest}``/``ACCOUNT`` the account (one per number); ``ACCOUNT#{id}``/``ACCOUNT`` a pointer to it;
``ACCOUNT#{id}``/``DEVICE#{digest}`` a confirmed device; ``ACCOUNT#{id}``/``FAMILY#{id}`` a revoked refresh
family; ``CODE#{digest}``/``CODE`` the pending SMS code; ``REFRESH#{digest}``/``REFRESH`` a refresh token;
``LIMIT#{name}#{subject}#{window}``/``LIMIT`` a rate counter; ``WECHAT#{digest}``/``LINK`` the account a
WeChat user (its keyed ``unionid`` or ``openid`` digest) signs in to, and ``ACCOUNT#{id}``/``WECHAT#{digest}``
the same link seen from the account (erasure finds them there); ``WTICKET#{digest}``/``TICKET`` a WeChat user
vouched for by WeChat and waiting for a phone's proof (10 minutes, single use). No index: every read is by
key, or one account's own partition.
"""

from __future__ import annotations


def phone(phone_digest: str) -> dict[str, str]:
    return {"pk": f"PHONE#{phone_digest}", "sk": "ACCOUNT"}


def account(account_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT"}


def device(account_id: str, device_digest: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": f"DEVICE#{device_digest}"}


def family(account_id: str, family_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": f"FAMILY#{family_id}"}


def code(phone_digest: str) -> dict[str, str]:
    return {"pk": f"CODE#{phone_digest}", "sk": "CODE"}


def refresh(token_digest: str) -> dict[str, str]:
    return {"pk": f"REFRESH#{token_digest}", "sk": "REFRESH"}


def limit(name: str, subject: str, window: int) -> dict[str, str]:
    return {"pk": f"LIMIT#{name}#{subject}#{window}", "sk": "LIMIT"}


def wechat(subject_digest: str) -> dict[str, str]:
    return {"pk": f"WECHAT#{subject_digest}", "sk": "LINK"}


def account_wechat(account_id: str, subject_digest: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": f"WECHAT#{subject_digest}"}


def wechat_ticket(ticket_digest: str) -> dict[str, str]:
    return {"pk": f"WTICKET#{ticket_digest}", "sk": "TICKET"}
