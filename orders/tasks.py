"""Thin, idempotent tasks: load, re-check, call one service."""

from celery import shared_task

from wallet.exceptions import WalletBusy

RETRY_BUSY = {"autoretry_for": (WalletBusy,), "max_retries": 5, "retry_backoff": True, "retry_jitter": True}


@shared_task(bind=True, **RETRY_BUSY)
def order_pump_update_task(self, authorization_id: int) -> None:
    """The pump gateway's news: an authorization moved (authorized, fuelling, completed with a fill,
    cancelled, refused). The order side captures or releases exactly once."""
    from orders.services import order_sync_from_pump

    order_sync_from_pump(authorization_id=authorization_id)


@shared_task(bind=True)
def orders_reconcile_task(self) -> int:
    from orders.services import orders_reconcile

    return orders_reconcile()


@shared_task(bind=True, **RETRY_BUSY)
def order_direct_payment_task(self, driver_id: int, out_trade_no: str, pays_reference: str) -> None:
    """A direct (provider) payment for a fill was credited to the driver's wallet: pay the fill with it."""
    from orders.services import order_direct_payment_settle

    order_direct_payment_settle(driver_id=driver_id, out_trade_no=out_trade_no, pays_reference=pays_reference)
