"""Money leaving a wallet other than at the pump: transfers between drivers and withdrawals."""

from django.conf import settings
from django.db import transaction

from drivers.models import Driver
from wallet.enums import AccountKind, Operation, Side, WithdrawalStatus
from wallet.exceptions import DebtOutstanding, InvalidAmount, LimitExceeded, TransferNotAllowed
from wallet.locks import driver_accounts_select_for_update
from wallet.models import JournalEntry, Withdrawal
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id
from wallet.tasks import wallet_withdrawal_pay_out_task


@ledger_transaction
def wallet_transfer(*, from_driver: Driver, to_driver: Driver, amount_fen: int, idempotency_key: str) -> int:
    """转赠: principal only (bonus is not transferable). Returns the journal entry id."""
    if from_driver.pk == to_driver.pk:
        raise TransferNotAllowed()
    if type(amount_fen) is not int or not (0 < amount_fen <= settings.WALLET_TRANSFER_MAX_FEN):
        raise InvalidAmount(extra={"max_fen": settings.WALLET_TRANSFER_MAX_FEN})
    driver_accounts_select_for_update(driver_ids=sorted([from_driver.pk, to_driver.pk]))
    key = f"{from_driver.pk}:{idempotency_key}"
    recipient = wallet_balance_get(driver_id=to_driver.pk)
    already_done = JournalEntry.objects.filter(operation=Operation.TRANSFER, idempotency_key=key).exists()
    if (
        not already_done
        and recipient.principal_fen + recipient.bonus_fen + amount_fen > settings.WALLET_MAX_BALANCE_FEN
    ):
        raise LimitExceeded(extra={"limit": "recipient_max_balance"})
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


@ledger_transaction
def wallet_withdraw(*, driver: Driver, idempotency_key: str) -> Withdrawal:
    """Return all unspent principal to the original payment method; the bonus is forfeited.

    Refused while authorizations or contracts hold funds (those must settle first) and while the driver
    owes for an earlier fill.
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
    if balance.principal_fen <= 0:
        raise InvalidAmount(extra={"reason": "nothing to withdraw"})
    legs = [
        Leg(
            driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.DEBIT, balance.principal_fen
        ),
        Leg(system_account_id(kind=AccountKind.REFUNDS_PAYABLE, spread_key=key), Side.CREDIT, balance.principal_fen),
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
        principal_fen=balance.principal_fen,
        forfeited_bonus_fen=balance.bonus_fen,
        entry_id=posting.entry_id,
    )
    transaction.on_commit(lambda: wallet_withdrawal_pay_out_task.delay(withdrawal.pk))
    return withdrawal


def wallet_withdrawal_pay_out(*, withdrawal_id: int) -> Withdrawal:
    """Send the money through the provider, then clear refunds payable against escrow. Idempotent:
    the provider dedupes refunds by reference, and the ledger posting by its key."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.status == WithdrawalStatus.PAID:
        return withdrawal
    # Provider I/O happens outside any transaction or row lock.
    payment_provider_get().refund(reference=f"withdrawal:{withdrawal.pk}", amount_fen=withdrawal.principal_fen)
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
