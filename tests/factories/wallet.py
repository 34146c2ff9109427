"""Wallet state made through the real services, and the ledger snapshot "nothing changed" is asserted on."""

from wallet.models import Account
from wallet.providers import payment_provider_get
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create


def top_up(driver, amount_fen: int, key: str = "top-up"):
    order = wallet_top_up_order_create(driver=driver, amount_fen=amount_fen, idempotency_key=key)
    notification = payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=amount_fen)
    return wallet_top_up_notification_handle(params=notification)


def counters_snapshot():
    """Every account's counters: what "nothing changed" is asserted against."""
    return sorted(
        Account.objects.values_list("code", "debits_posted", "credits_posted", "debits_pending", "credits_pending")
    )
