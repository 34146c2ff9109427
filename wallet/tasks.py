"""Thin, idempotent tasks: load, re-check, call one service."""

import logging

from celery import shared_task

from wallet.exceptions import WalletBusy

logger = logging.getLogger(__name__)

RETRY_BUSY = {"autoretry_for": (WalletBusy,), "max_retries": 5, "retry_backoff": True, "retry_jitter": True}


@shared_task(bind=True, **RETRY_BUSY)
def wallet_release_expired_holds_task(self) -> int:
    from wallet.services.holds import wallet_holds_release_expired

    return wallet_holds_release_expired()


@shared_task(bind=True)
def ledger_chain_extend_task(self) -> int:
    from wallet.services.chain import ledger_chain_extend

    total = 0
    while linked := ledger_chain_extend():
        total += linked
    return total


@shared_task(bind=True)
def ledger_verify_task(self) -> bool:
    """The scheduled verify_ledger: a failure is a CRITICAL log line, which production alerting pages on."""
    from wallet.services.chain import ledger_verify

    report = ledger_verify()
    if not report.ok:
        logger.critical("LEDGER VERIFICATION FAILED", extra={"problems": report.problems[:20]})
    return report.ok


@shared_task(bind=True)
def ledger_chain_checkpoint_task(self) -> int:
    from wallet.services.chain import ledger_chain_checkpoint

    record = ledger_chain_checkpoint()
    return record["sequence"] if record else 0


@shared_task(bind=True)
def wallet_contracts_notify_expiring_task(self) -> int:
    from wallet.services.contracts import wallet_contracts_notify_expiring

    return wallet_contracts_notify_expiring()


@shared_task(bind=True, **RETRY_BUSY)
def wallet_contracts_close_expired_task(self) -> int:
    from wallet.services.contracts import wallet_contracts_close_due

    return wallet_contracts_close_due()


@shared_task(bind=True, **RETRY_BUSY)
def wallet_withdrawal_pay_out_task(self, withdrawal_id: int) -> None:
    from wallet.services.transfers import wallet_withdrawal_pay_out

    wallet_withdrawal_pay_out(withdrawal_id=withdrawal_id)


@shared_task(bind=True, max_retries=10, retry_backoff=True)
def wallet_provider_refund_task(self, out_trade_no: str, amount_fen: int) -> str:
    from wallet.providers import payment_provider_get

    return payment_provider_get().refund(reference=out_trade_no, amount_fen=amount_fen)


@shared_task(bind=True)
def wallet_top_up_orders_close_stale_task(self) -> int:
    from wallet.services.top_up import wallet_top_up_orders_close_stale

    return wallet_top_up_orders_close_stale()


@shared_task(bind=True, max_retries=8, retry_backoff=True)
def payment_simulator_notify_task(self, out_trade_no: str, amount_fen: int, notify_url: str) -> None:
    """The simulator's side: POST the signed notification like the provider does, retrying until
    the merchant answers SUCCESS (real providers retry for hours)."""
    from wallet.services.simulator import payment_simulator_send_notification

    if not payment_simulator_send_notification(out_trade_no=out_trade_no, amount_fen=amount_fen, notify_url=notify_url):
        raise self.retry(countdown=2)
