"""Fills the driver's reservation did not cover, and what the driver then owes.

A fill whose hold had already lapsed, or that came to more than the hold, is still owed to the station in
full. The platform collects what it can from the driver's available balance at once (a late capture) and
carries the rest as the driver's debt: a receivable account per driver (debit-normal), repaid first from
the driver's next top-up. While a debt is open, new pump payments and withdrawals are refused.
"""

from dataclasses import dataclass

from django.db.models import Sum

from wallet.enums import AccountKind, Operation, Side
from wallet.exceptions import InvalidAmount
from wallet.locks import driver_accounts_select_for_update
from wallet.models import JournalEntry, JournalLine, TopUpOrder
from wallet.services.holds import spendable_accounts
from wallet.services.ledger import Leg, driver_account_id, ledger_post, system_account_id


@dataclass(frozen=True)
class LateCapture:
    collected_fen: int  # taken from the driver's balance
    debt_fen: int  # the rest, now owed by the driver


def _late_capture_replayed(entry: JournalEntry) -> LateCapture:
    debits = dict(
        JournalLine.objects.filter(entry=entry, side=Side.DEBIT)
        .values("account__kind")
        .annotate(total=Sum("amount_fen"))
        .values_list("account__kind", "total")
    )
    debt = debits.pop(AccountKind.DRIVER_RECEIVABLE, 0)
    return LateCapture(collected_fen=sum(debits.values()), debt_fen=debt)


def late_capture_post(
    *, driver_id: int, station_id: int, amount_fen: int, reference: str, idempotency_key: str
) -> LateCapture:
    """Collect amount_fen for a fill after the fact, in ONE posting: from the driver's balance in spending
    order (contract funds for this station, bonus, principal) as far as it goes, the rest debited to the
    driver's receivable. The station's receivable is credited in full either way (the fee is the daily settlement's).
    Composable (the caller's transaction); the same key replays the first result."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount()
    locked = driver_accounts_select_for_update(driver_ids=[driver_id])
    replay = JournalEntry.objects.filter(operation=Operation.LATE_CAPTURE, idempotency_key=idempotency_key).first()
    if replay is not None:
        return _late_capture_replayed(replay)
    remaining, legs = amount_fen, []
    for account in spendable_accounts(locked=locked, driver_id=driver_id, station_id=station_id):
        take = min(remaining, account.available_fen)
        if take > 0:
            legs.append(Leg(account.pk, Side.DEBIT, take))
            remaining -= take
    if remaining:
        receivable = driver_account_id(driver_id=driver_id, kind=AccountKind.DRIVER_RECEIVABLE)
        legs.append(Leg(receivable, Side.DEBIT, remaining))
    legs.append(
        Leg(
            system_account_id(kind=AccountKind.STATION_RECEIVABLE, station_id=station_id, spread_key=idempotency_key),
            Side.CREDIT,
            amount_fen,
        )
    )
    ledger_post(
        operation=Operation.LATE_CAPTURE,
        idempotency_key=idempotency_key,
        legs=legs,
        driver_id=driver_id,
        station_id=station_id,
        reference=reference,
    )
    return LateCapture(collected_fen=amount_fen - remaining, debt_fen=remaining)


def debt_repay_from_top_up(*, order: TopUpOrder, debt_fen: int) -> int:
    """Right after a top-up's credit, in its transaction: what the driver owes is paid first from the
    principal just credited (up to the top-up amount). Its own key per top-up. Returns the fen repaid."""
    repaid = min(debt_fen, order.amount_fen)
    if repaid <= 0:
        return 0
    ledger_post(
        operation=Operation.DEBT_REPAYMENT,
        idempotency_key=f"top_up:{order.out_trade_no}",
        legs=[
            Leg(driver_account_id(driver_id=order.driver_id, kind=AccountKind.DRIVER_PRINCIPAL), Side.DEBIT, repaid),
            Leg(driver_account_id(driver_id=order.driver_id, kind=AccountKind.DRIVER_RECEIVABLE), Side.CREDIT, repaid),
        ],
        driver_id=order.driver_id,
        reference=order.out_trade_no,
    )
    return repaid
