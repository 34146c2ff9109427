from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _provision_platform_hot_accounts(sender, using, **kwargs):
    from wallet.services.ledger import ledger_hot_accounts_provision

    with transaction.atomic(using=using):
        ledger_hot_accounts_provision()


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallets and ledger")

    def ready(self):
        # Also runs after a test flush, which empties the account table.
        post_migrate.connect(_provision_platform_hot_accounts, sender=self)
