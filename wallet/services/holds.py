"""Two-phase payments at the pump, like a card pre-authorization at a dispenser.

Spending order (documented in docs/wallet.md): contract funds for this station (the contract ending
soonest first), then bonus (赠送金), then principal (本金). Refunds go back in reverse: principal side
first, then bonus.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from wallet.enums import AccountKind, ContractStatus, HoldStatus, Operation, Phase, Side
from wallet.exceptions import (
    CaptureExceedsHold,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    RefundExceedsPayment,
)
from wallet.locks import driver_accounts_select_for_update, hold_select_for_update
from wallet.models import Account, Contract, Hold, JournalEntry, JournalLine
from wallet.selectors import hold_list_expired
from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id

SPENDING_PRIORITY = {AccountKind.DRIVER_CONTRACT: 0, AccountKind.DRIVER_BONUS: 1, AccountKind.DRIVER_PRINCIPAL: 2}


def spendable_accounts(*, locked: list[Account], driver_id: int, station_id: int) -> list[Account]:
    """The driver's money usable at this station, in spending order (the locked rows' current counters)."""
    usable_contract_accounts = dict(
        Contract.objects.filter(driver_id=driver_id, station_id=station_id, status=ContractStatus.ACTIVE).values_list(
            "account_id", "ends_at"
        )
    )
    usable = [
        a
        for a in locked
        if a.kind in SPENDING_PRIORITY and (a.kind != AccountKind.DRIVER_CONTRACT or a.pk in usable_contract_accounts)
    ]
    return sorted(usable, key=lambda a: (SPENDING_PRIORITY[a.kind], usable_contract_accounts.get(a.pk), a.pk))


def _reserve_legs(*, locked: list[Account], driver_id: int, station_id: int, amount_fen: int) -> list[Leg]:
    """Pending debits taking amount_fen from what is still available, in spending order; InsufficientFunds if
    the driver's usable money at this station does not cover it."""
    remaining, legs = amount_fen, []
    for account in spendable_accounts(locked=locked, driver_id=driver_id, station_id=station_id):
        take = min(remaining, account.available_fen)
        if take > 0:
            legs.append(Leg(account.pk, Side.DEBIT, take, Phase.PENDING))
            remaining -= take
    if remaining > 0:
        raise InsufficientFunds(extra={"requested_fen": amount_fen, "available_fen": amount_fen - remaining})
    return legs


def _replayed_hold(*, idempotency_key: str, station_id: int, amount_fen: int, reference: str) -> Hold | None:
    entry = JournalEntry.objects.filter(operation=Operation.HOLD, idempotency_key=idempotency_key).first()
    if entry is None:
        return None
    hold = Hold.objects.get(pending_entry=entry)
    if (hold.station_id, hold.amount_fen, hold.reference) != (station_id, amount_fen, reference):
        raise IdempotencyConflict()
    return hold


def hold_place(
    *,
    driver_id: int,
    station_id: int,
    amount_fen: int,
    reference: str,
    idempotency_key: str,
    ttl_seconds: int | None = None,
    owner_releases: bool = False,
) -> Hold:
    """Reserve amount_fen for a nozzle authorization. It counts against the balance at once.

    A hold expires after ttl_seconds (WALLET_HOLD_TTL_SECONDS by default) and the periodic task gives the
    money back. With owner_releases the hold has no expiry: its caller (a prepaid order, while the pump may
    still deliver fuel) captures or releases it. Composable: runs inside the caller's transaction
    (wallet_hold_place is the entry point)."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount()
    # Lock first, then look for a replay: a concurrent duplicate waits here and then sees the original.
    locked = driver_accounts_select_for_update(driver_ids=[driver_id])
    replay = _replayed_hold(
        idempotency_key=idempotency_key, station_id=station_id, amount_fen=amount_fen, reference=reference
    )
    if replay is not None:
        return replay
    legs = _reserve_legs(locked=locked, driver_id=driver_id, station_id=station_id, amount_fen=amount_fen)
    receivable = system_account_id(
        kind=AccountKind.STATION_RECEIVABLE, station_id=station_id, spread_key=idempotency_key
    )
    legs.append(Leg(receivable, Side.CREDIT, amount_fen, Phase.PENDING))
    posting = ledger_post(
        operation=Operation.HOLD,
        idempotency_key=idempotency_key,
        legs=legs,
        driver_id=driver_id,
        station_id=station_id,
        reference=reference,
    )
    ttl = settings.WALLET_HOLD_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    return Hold.objects.create(
        driver_id=driver_id,
        station_id=station_id,
        reference=reference,
        amount_fen=amount_fen,
        expires_at=None if owner_releases else timezone.now() + timedelta(seconds=ttl),
        pending_entry_id=posting.entry_id,
    )


def _void_legs(hold: Hold) -> tuple[list[Leg], list[tuple[Account, int]]]:
    """Legs that cancel the hold's reservation, and the driver accounts it reserved, in spending order."""
    # Only the reservation's pending lines: a grown hold's entry also voids the reservation it replaced.
    pending = list(
        JournalLine.objects.filter(entry_id=hold.pending_entry_id, phase=Phase.PENDING).select_related("account")
    )
    void = [Leg(line.account_id, line.side, line.amount_fen, Phase.VOID) for line in pending]
    reserved = sorted(
        ((line.account, line.amount_fen) for line in pending if line.side == Side.DEBIT),
        key=lambda item: SPENDING_PRIORITY[item[0].kind],
    )
    return void, reserved


def hold_capture(*, hold_id: int, amount_fen: int, non_fuel_fen: int | None = None) -> Hold:
    """Collect the actual fill amount (≤ the hold) and release the rest, in one posting. Composable.
    non_fuel_fen: the part of a sale's amount paid for non-fuel items, recorded on the capture entry."""
    if type(amount_fen) is not int or amount_fen < 0:
        raise InvalidAmount()
    if non_fuel_fen is not None and (type(non_fuel_fen) is not int or not 0 <= non_fuel_fen <= amount_fen):
        raise InvalidAmount()
    hold = hold_select_for_update(hold_id=hold_id)
    if hold.status == HoldStatus.CAPTURED:
        if hold.captured_fen != amount_fen:
            raise IdempotencyConflict(extra={"captured_fen": hold.captured_fen})
        return hold
    if hold.status != HoldStatus.HELD:
        raise HoldNotActive(extra={"status": hold.status})
    if amount_fen > hold.amount_fen:
        raise CaptureExceedsHold(extra={"hold_fen": hold.amount_fen, "requested_fen": amount_fen})
    if amount_fen == 0:
        return _release(hold, HoldStatus.RELEASED)
    legs, reserved = _void_legs(hold)
    remaining = amount_fen
    for account, reserved_fen in reserved:
        take = min(remaining, reserved_fen)
        if take > 0:
            legs.append(Leg(account.pk, Side.DEBIT, take))
            remaining -= take
    # The gross stays owed to the station; the platform fee is decided by the daily settlement.
    spread = f"hold:{hold.pk}"
    legs.append(
        Leg(
            system_account_id(kind=AccountKind.STATION_RECEIVABLE, station_id=hold.station_id, spread_key=spread),
            Side.CREDIT,
            amount_fen,
        )
    )
    posting = ledger_post(
        operation=Operation.CAPTURE,
        idempotency_key=f"hold:{hold.pk}",
        legs=legs,
        driver_id=hold.driver_id,
        station_id=hold.station_id,
        reference=hold.reference,
        resolves_entry_id=hold.pending_entry_id,
        non_fuel_fen=non_fuel_fen,
    )
    hold.status, hold.captured_fen, hold.resolution_entry_id = HoldStatus.CAPTURED, amount_fen, posting.entry_id
    hold.save(update_fields=["status", "captured_fen", "resolution_entry"])
    return hold


def _pending_debit_fen(entry_id: int) -> int:
    return sum(
        JournalLine.objects.filter(entry_id=entry_id, side=Side.DEBIT, phase=Phase.PENDING).values_list(
            "amount_fen", flat=True
        )
    )


def hold_increase(*, hold_id: int, amount_fen: int, idempotency_key: str) -> Hold:
    """Grow a held reservation by amount_fen (items added to an open order). One posting voids the old
    reservation and reserves the new total (the old parts on the same accounts, the increase from what is
    still available, in spending order), so capture and release keep reading the hold's one pending entry.
    Not covered: InsufficientFunds and nothing changes. Composable."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount()
    hold = hold_select_for_update(hold_id=hold_id)
    locked = driver_accounts_select_for_update(driver_ids=[hold.driver_id])
    previous = JournalEntry.objects.filter(operation=Operation.HOLD, idempotency_key=idempotency_key).first()
    if previous is not None:
        grown = _pending_debit_fen(previous.pk) - _pending_debit_fen(previous.resolves_entry_id or previous.pk)
        if previous.reference != hold.reference or grown != amount_fen:
            raise IdempotencyConflict()
        return hold
    if hold.status != HoldStatus.HELD:
        raise HoldNotActive(extra={"status": hold.status})
    void, reserved = _void_legs(hold)
    legs = [*void, *(Leg(account.pk, Side.DEBIT, fen, Phase.PENDING) for account, fen in reserved)]
    legs += _reserve_legs(locked=locked, driver_id=hold.driver_id, station_id=hold.station_id, amount_fen=amount_fen)
    receivable = system_account_id(
        kind=AccountKind.STATION_RECEIVABLE, station_id=hold.station_id, spread_key=idempotency_key
    )
    legs.append(Leg(receivable, Side.CREDIT, hold.amount_fen + amount_fen, Phase.PENDING))
    posting = ledger_post(
        operation=Operation.HOLD,
        idempotency_key=idempotency_key,
        legs=legs,
        driver_id=hold.driver_id,
        station_id=hold.station_id,
        reference=hold.reference,
        resolves_entry_id=hold.pending_entry_id,
    )
    hold.amount_fen, hold.pending_entry_id = hold.amount_fen + amount_fen, posting.entry_id
    hold.save(update_fields=["amount_fen", "pending_entry"])
    return hold


@ledger_transaction
def wallet_hold_place(**kwargs) -> Hold:
    return hold_place(**kwargs)


@ledger_transaction
def wallet_hold_capture(*, hold_id: int, amount_fen: int) -> Hold:
    return hold_capture(hold_id=hold_id, amount_fen=amount_fen)


def _release(hold: Hold, status: str) -> Hold:
    legs, _ = _void_legs(hold)
    posting = ledger_post(
        operation=Operation.RELEASE,
        idempotency_key=f"hold:{hold.pk}",
        legs=legs,
        driver_id=hold.driver_id,
        station_id=hold.station_id,
        reference=hold.reference,
        resolves_entry_id=hold.pending_entry_id,
    )
    hold.status, hold.resolution_entry_id = status, posting.entry_id
    hold.save(update_fields=["status", "resolution_entry"])
    return hold


def hold_release(*, hold_id: int, expired: bool = False) -> Hold:
    """Give the whole reservation back (cancelled, never lifted, or past its expiry). Idempotent, composable."""
    hold = hold_select_for_update(hold_id=hold_id)
    if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
        return hold
    if hold.status != HoldStatus.HELD:
        raise HoldNotActive(extra={"status": hold.status})
    if expired and (hold.expires_at is None or hold.expires_at > timezone.now()):
        return hold  # not due, or its owner releases it
    return _release(hold, HoldStatus.EXPIRED if expired else HoldStatus.RELEASED)


@ledger_transaction
def wallet_hold_release(*, hold_id: int, expired: bool = False) -> Hold:
    return hold_release(hold_id=hold_id, expired=expired)


def _refund_split(hold: Hold, amount_fen: int, spread_key: str) -> list[Leg]:
    captured = list(
        JournalLine.objects.filter(entry_id=hold.resolution_entry_id, phase=Phase.POSTED).select_related("account")
    )
    earlier_refunds = JournalLine.objects.filter(
        entry__operation=Operation.REFUND,
        entry__resolves_entry_id=hold.resolution_entry_id,
        side=Side.CREDIT,
        account__kind=AccountKind.DRIVER_BONUS,
    ).values_list("amount_fen", flat=True)
    paid_by_bonus = sum(line.amount_fen for line in captured if line.account.kind == AccountKind.DRIVER_BONUS)
    principal_side_left = hold.captured_fen - paid_by_bonus - (hold.refunded_fen - sum(earlier_refunds))
    to_principal = min(amount_fen, principal_side_left)
    to_bonus = amount_fen - to_principal
    # The whole refund comes off the station's unsettled sales; the settlement of the refund's day gives
    # the fee on it back.
    legs = [
        Leg(
            system_account_id(kind=AccountKind.STATION_RECEIVABLE, station_id=hold.station_id, spread_key=spread_key),
            Side.DEBIT,
            amount_fen,
        )
    ]
    for kind, amount in ((AccountKind.DRIVER_PRINCIPAL, to_principal), (AccountKind.DRIVER_BONUS, to_bonus)):
        if amount:
            legs.append(Leg(driver_account_id(driver_id=hold.driver_id, kind=kind), Side.CREDIT, amount))
    return [leg for leg in legs if leg.amount_fen > 0]


@ledger_transaction
def wallet_payment_refund(*, hold_id: int, amount_fen: int, idempotency_key: str) -> Hold:
    """Refund all or part of a captured payment back to the wallet."""
    return payment_refund(hold_id=hold_id, amount_fen=amount_fen, idempotency_key=idempotency_key)


def payment_refund(*, hold_id: int, amount_fen: int, idempotency_key: str) -> Hold:
    """wallet_payment_refund inside the caller's transaction (a per-line refund of an order). Composable."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount()
    hold = hold_select_for_update(hold_id=hold_id)
    previous = JournalEntry.objects.filter(operation=Operation.REFUND, idempotency_key=idempotency_key).first()
    if previous is not None:
        credited = sum(
            JournalLine.objects.filter(entry=previous, side=Side.CREDIT).values_list("amount_fen", flat=True)
        )
        if previous.resolves_entry_id != hold.resolution_entry_id or credited != amount_fen:
            raise IdempotencyConflict()
        return hold
    if hold.status != HoldStatus.CAPTURED:
        raise HoldNotActive(extra={"status": hold.status})
    if amount_fen > hold.captured_fen - hold.refunded_fen:
        raise RefundExceedsPayment(extra={"refundable_fen": hold.captured_fen - hold.refunded_fen})
    ledger_post(
        operation=Operation.REFUND,
        idempotency_key=idempotency_key,
        legs=_refund_split(hold, amount_fen, idempotency_key),
        driver_id=hold.driver_id,
        station_id=hold.station_id,
        reference=hold.reference,
        resolves_entry_id=hold.resolution_entry_id,
    )
    Hold.objects.filter(pk=hold.pk).update(refunded_fen=F("refunded_fen") + amount_fen)
    hold.refresh_from_db()
    return hold


def wallet_holds_release_expired(*, now=None) -> int:
    """Called by the periodic task; each hold in its own transaction so one failure stops nothing else."""
    released = 0
    for hold_id in hold_list_expired(now=now or timezone.now()):
        wallet_hold_release(hold_id=hold_id, expired=True)
        released += 1
    return released
