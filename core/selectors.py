from core.models import AuditEvent


def audit_event_list_recent(*, limit: int = 8) -> list[AuditEvent]:
    """The newest entries of the audit log, with who did them."""
    return list(AuditEvent.objects.select_related("actor").order_by("-at", "-pk")[:limit])
