"""Money leaving a wallet other than at the pump: transfers between drivers and withdrawals."""

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from drivers.models import Driver
from wallet.enums import AccountKind, Operation, Side, TopUpStatus, WithdrawalStatus
from wallet.exceptions import DebtOutstanding, InvalidAmount, LimitExceeded, TransferNotAllowed
from wallet.locks import driver_accounts_select_for_update
from wallet.models import JournalEntry, JournalLine, TopUpOrder, Withdrawal
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id
from wallet.tasks import wallet_withdrawal_pay_out_task


def _transferred_since_fen(*, driver_id: int, since) -> int:
    return (
        JournalLine.objects.filter(
            entry__operation=Operation.TRANSFER,
            entry__driver_id=driver_id,
            entry__created_at__gte=since,
            side=Side.DEBIT,
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )


def _check_transfer_caps(*, driver_id: int, amount_fen: int) -> None:
    """Per-day and per-month caps on what a driver sends: transfers are not a way to move cash around."""
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    for limit, since, cap in (
        ("daily_transfer", day_start, settings.WALLET_TRANSFER_DAILY_LIMIT_FEN),
        ("monthly_transfer", day_start.replace(day=1), settings.WALLET_TRANSFER_MONTHLY_LIMIT_FEN),
    ):
        if _transferred_since_fen(driver_id=driver_id, since=since) + amount_fen > cap:
            raise LimitExceeded(extra={"limit": limit, "limit_fen": cap})


@ledger_transaction
def wallet_transfer(*, from_driver: Driver, to_driver: Driver | None, amount_fen: int, idempotency_key: str) -> int:
    """转赠: principal only (bonus is not transferable). Returns the journal entry id.

    The sender's own checks come first; every refusal about the recipient (unknown phone, oneself, a full
    wallet) is the same TransferNotAllowed, so the answer does not tell whether a phone is registered."""
    if type(amount_fen) is not int or not (0 < amount_fen <= settings.WALLET_TRANSFER_MAX_FEN):
        raise InvalidAmount(extra={"max_fen": settings.WALLET_TRANSFER_MAX_FEN})
    key = f"{from_driver.pk}:{idempotency_key}"
    already_done = JournalEntry.objects.filter(operation=Operation.TRANSFER, idempotency_key=key).exists()
    if not already_done:
        _check_transfer_caps(driver_id=from_driver.pk, amount_fen=amount_fen)
    if to_driver is None or from_driver.pk == to_driver.pk:
        raise TransferNotAllowed()
    driver_accounts_select_for_update(driver_ids=sorted([from_driver.pk, to_driver.pk]))
    recipient = wallet_balance_get(driver_id=to_driver.pk)
    if (
        not already_done
        and recipient.principal_fen + recipient.bonus_fen + amount_fen > settings.WALLET_MAX_BALANCE_FEN
    ):
        raise TransferNotAllowed()
    legs = [
        Leg(driver_account_id(driver_id=from_driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.DEBIT, amount_fen),
        Leg(driver_account_id(driver_id=to_driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.CREDIT, amount_fen),
    ]
    return ledger_post(
        operation=Operation.TRANSFER,
        idempotency_key=key,
        legs=legs,
        driver_id=from_driver.pk,
        reference=f"to:{to_driver.pk}",
    ).entry_id


def _refunds_to_original_payments(*, driver: Driver, amount_fen: int) -> list[list]:
    """Spread a withdrawal over the driver's credited top-ups, newest first, each at most what it paid in minus
    what was already refunded to it; records the refunds on the top-ups. Caller holds the driver's lock."""
    refunds = []
    remaining = amount_fen
    orders = (
        TopUpOrder.objects.select_for_update()
        .filter(driver=driver, status=TopUpStatus.CREDITED, refunded_fen__lt=F("amount_fen"))
        .order_by("-paid_at", "-pk")
    )
    for order in orders:
        if remaining == 0:
            break
        take = min(remaining, order.amount_fen - order.refunded_fen)
        order.refunded_fen += take
        order.save(update_fields=["refunded_fen"])
        refunds.append([order.out_trade_no, take])
        remaining -= take
    return refunds


def _refundable_fen(*, driver: Driver) -> int:
    return (
        TopUpOrder.objects.filter(driver=driver, status=TopUpStatus.CREDITED).aggregate(
            total=Sum(F("amount_fen") - F("refunded_fen"))
        )["total"]
        or 0
    )


@ledger_transaction
def wallet_withdraw(*, driver: Driver, idempotency_key: str) -> Withdrawal:
    """Return unspent principal to the original payments it came from; the bonus is forfeited.

    Only what the driver's own top-ups paid in (less what was refunded to them) goes back, each part to its own
    payment: principal received by transfer stays spendable at the pump but is never cash. Refused while
    authorizations or contracts hold funds (those must settle first) and while the driver owes for an earlier fill.
    """
    driver_accounts_select_for_update(driver_ids=[driver.pk])
    key = f"{driver.pk}:{idempotency_key}"
    previous = JournalEntry.objects.filter(operation=Operation.WITHDRAWAL, idempotency_key=key).first()
    if previous is not None:
        return Withdrawal.objects.get(entry=previous)
    balance = wallet_balance_get(driver_id=driver.pk)
    if balance.debt_fen:
        raise DebtOutstanding(extra={"debt_fen": balance.debt_fen})
    if balance.held_fen or balance.contract_fen or balance.contract_held_fen:
        raise LimitExceeded(extra={"limit": "funds_in_use"})
    amount_fen = min(balance.principal_fen, _refundable_fen(driver=driver))
    if amount_fen <= 0:
        raise InvalidAmount(extra={"reason": "nothing to withdraw"})
    legs = [
        Leg(driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.DEBIT, amount_fen),
        Leg(system_account_id(kind=AccountKind.REFUNDS_PAYABLE, spread_key=key), Side.CREDIT, amount_fen),
    ]
    if balance.bonus_fen:
        legs += [
            Leg(driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_BONUS), Side.DEBIT, balance.bonus_fen),
            Leg(
                system_account_id(kind=AccountKind.PROMOTION_EXPENSE_PLATFORM, spread_key=key),
                Side.CREDIT,
                balance.bonus_fen,
            ),
        ]
    posting = ledger_post(operation=Operation.WITHDRAWAL, idempotency_key=key, legs=legs, driver_id=driver.pk)
    withdrawal = Withdrawal.objects.create(
        driver=driver,
        principal_fen=amount_fen,
        forfeited_bonus_fen=balance.bonus_fen,
        entry_id=posting.entry_id,
        refunds=_refunds_to_original_payments(driver=driver, amount_fen=amount_fen),
    )
    transaction.on_commit(lambda: wallet_withdrawal_pay_out_task.delay(withdrawal.pk))
    return withdrawal


def wallet_withdrawal_pay_out(*, withdrawal_id: int) -> Withdrawal:
    """Send the money through the provider, then clear refunds payable against escrow. Idempotent:
    the provider dedupes refunds by reference, and the ledger posting by its key."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.status == WithdrawalStatus.PAID:
        return withdrawal
    # Provider I/O happens outside any transaction or row lock. Each part goes back to its own payment.
    for out_trade_no, amount_fen in withdrawal.refunds:
        payment_provider_get().refund(reference=f"{out_trade_no}:withdrawal:{withdrawal.pk}", amount_fen=amount_fen)
    return _withdrawal_mark_paid(withdrawal_id=withdrawal.pk)


@ledger_transaction
def _withdrawal_mark_paid(*, withdrawal_id: int) -> Withdrawal:
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
    if withdrawal.status == WithdrawalStatus.PAID:
        return withdrawal
    key = f"withdrawal:{withdrawal.pk}"
    legs = [
        Leg(system_account_id(kind=AccountKind.REFUNDS_PAYABLE, spread_key=key), Side.DEBIT, withdrawal.principal_fen),
        Leg(system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key=key), Side.CREDIT, withdrawal.principal_fen),
    ]
    ledger_post(operation=Operation.WITHDRAWAL_PAID, idempotency_key=key, legs=legs, driver_id=withdrawal.driver_id)
    withdrawal.status = WithdrawalStatus.PAID
    withdrawal.save(update_fields=["status"])
    return withdrawal
