from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only (the database refuses UPDATE): who saw unmasked personal data or changed a money-relevant
    setting, what, when and from where. Written through core.audit.audit_record, in the change's transaction."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("what"), max_length=64, db_index=True)
    target = models.CharField(_("on"), max_length=128)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    client_ip = models.GenericIPAddressField(_("from where"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.target}"
