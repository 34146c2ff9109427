"""The audit log's one writer, and the client address every security record and limit uses."""

from django.conf import settings

from core.models import AuditEvent


def client_ip_get(request) -> str | None:
    """The real client behind TRUSTED_PROXY_COUNT reverse proxies (each appends to X-Forwarded-For); with no
    trusted proxy the peer address. Entries a client wrote itself, left of the trusted ones, are ignored."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(*, actor, action: str, target: str, detail: dict | None = None, client_ip: str | None = None):
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target=target,
        detail=detail or {},
        client_ip=client_ip,
    )
