from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    """Shift and daily settlement (reconciliation, exports) builds on the wallet ledger's station accounts."""

    name = "settlement"
    verbose_name = _("Settlement")
