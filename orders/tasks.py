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
