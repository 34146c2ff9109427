from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared helpers every app may use (money, errors, crypto, env, the money template filters, the base
    page layout) and the append-only audit log (core.audit). It imports no app of ours."""

    name = "core"
    verbose_name = _("Shared helpers")
