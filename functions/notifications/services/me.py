"""The caller's own notification settings: preferences per category and the devices that get push."""

from __future__ import annotations

import hashlib
from typing import Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.directory import TenantView
from courtyard.errors import NotFound
from courtyard.ids import new_id
from courtyard.tenancy import TenantContext
from notifications.domain import Category, Locale
from notifications.models import PreferencesOut, PushEndpoint, PushEndpointIn
from notifications.preferences import Preferences
from notifications.repository import NotificationsRepository


class Tenants(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...


class Registry(Protocol):
    def register(self, platform: str, token: str, user_data: str) -> str: ...
    def unregister(self, endpoint_arn: str) -> None: ...


class MeService:
    def __init__(
        self,
        repo: NotificationsRepository,
        tenants: Tenants,
        registry: Registry,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._tenants = tenants
        self._registry = registry
        self._audit = audit
        self._clock = clock

    def preferences(self, ctx: TenantContext) -> PreferencesOut:
        prefs, _, openid = self._repo.person_settings(ctx.tenant_id, ctx.user_id)
        return self._out(ctx, prefs or Preferences(), wechat_linked=openid is not None)

    def put_preferences(self, ctx: TenantContext, prefs: Preferences) -> PreferencesOut:
        self._repo.put_preferences(ctx.tenant_id, ctx.user_id, prefs, to_iso(self._clock.now()))
        self._audit.record(ctx, "notification_preferences.put", "user", ctx.user_id)
        # One read more only on a save (rare): the answer says whether WeChat can carry a message.
        _, _, openid = self._repo.person_settings(ctx.tenant_id, ctx.user_id)
        return self._out(ctx, prefs, wechat_linked=openid is not None)

    def add_push_endpoint(self, ctx: TenantContext, req: PushEndpointIn) -> tuple[PushEndpoint, bool]:
        """Register a device (201), or return the one already registered with that token (200)."""
        digest = hashlib.sha256(f"{req.platform}\n{req.token}".encode()).hexdigest()
        existing = self._repo.push_endpoint_by_token(ctx.tenant_id, ctx.user_id, digest)
        if existing is not None:
            return existing, False
        arn = self._registry.register(req.platform, req.token, f"{ctx.tenant_id}/{ctx.user_id}")
        endpoint = PushEndpoint(new_id(), req.platform, arn, to_iso(self._clock.now()))
        self._repo.add_push_endpoint(ctx.tenant_id, ctx.user_id, endpoint, digest)
        self._audit.record(ctx, "push_endpoint.add", "push_endpoint", endpoint.endpoint_id)
        return endpoint, True

    def delete_push_endpoint(self, ctx: TenantContext, endpoint_id: str) -> None:
        endpoint = self._repo.push_endpoint(ctx.tenant_id, ctx.user_id, endpoint_id)
        if endpoint is None:
            raise NotFound("push endpoint")
        self._registry.unregister(endpoint.endpoint_arn)
        self._repo.delete_push_endpoint(ctx.tenant_id, ctx.user_id, endpoint_id)
        self._audit.record(ctx, "push_endpoint.delete", "push_endpoint", endpoint_id)

    def _out(self, ctx: TenantContext, prefs: Preferences, *, wechat_linked: bool) -> PreferencesOut:
        tenant = self._tenants.tenant(ctx.tenant_id)
        language = prefs.language or (
            Locale.EN if tenant and tenant.locale.startswith("en") else Locale.ZH_CN
        )
        # Every category with the switches in force (saved ones, else the category's default: billing's e-mail
        # starts off), so the app shows what the sender will do instead of repeating the server's defaults.
        categories = {category: prefs.of(category) for category in Category}
        return PreferencesOut(
            language=language,
            quiet_hours=prefs.quiet_hours,
            categories=categories,
            wechat_linked=wechat_linked,
        )
