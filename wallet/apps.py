from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from drivers import listeners as driver_news
from marketing import listeners as marketing_news
from stations import listeners as station_news


def _provision_platform_hot_accounts(sender, using, **kwargs):
    from wallet.services.ledger import ledger_hot_accounts_provision

    with transaction.atomic(using=using):
        ledger_hot_accounts_provision()


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallets and ledger")

    def ready(self):
        from wallet.services.ledger import driver_accounts_create, ledger_hot_accounts_provision
        from wallet.services.top_up import promotion_bonus_credit

        # Both run inside the announcing transaction: no driver without accounts, no active station
        # without its receivable buckets.
        driver_news.register(on_driver_registered=driver_accounts_create)
        station_news.register(on_station_activated=ledger_hot_accounts_provision)
        # Inside the paying transaction: a fuel promotion's bonus credit commits with the payment.
        marketing_news.register(on_bonus_credit_earned=promotion_bonus_credit)
        # Also runs after a test flush, which empties the account table.
        post_migrate.connect(_provision_platform_hot_accounts, sender=self)
