from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from marketing.selectors import top_up_bonus_offer_get
from wallet.enums import (
    ACCOUNT_TYPE_OF_KIND,
    DRIVER_KINDS,
    AccountKind,
    AccountType,
    ContractStatus,
    HoldStatus,
    Operation,
    Phase,
    Side,
)
from wallet.models import Account, Contract, Hold, JournalEntry, JournalLine


@dataclass(frozen=True)
class WalletBalance:
    principal_fen: int  # posted 本金
    bonus_fen: int  # posted 赠送金
    contract_fen: int  # posted funds frozen for specific stations (合约)
    held_fen: int  # reserved from principal and bonus by open pump authorizations
    contract_held_fen: int  # reserved from contract funds
    debt_fen: int  # owed to the platform for a fill the balance did not cover (欠款)

    @property
    def available_fen(self) -> int:
        """Spendable at any station right now (contract funds are usable only at their station)."""
        return self.principal_fen + self.bonus_fen - self.held_fen

    @property
    def usable_at_pump_fen(self) -> int:
        """The most a pump order may hold: the available balance plus unreserved contract funds (a hold
        checks the contract's station itself)."""
        return self.available_fen + self.contract_fen - self.contract_held_fen

    @property
    def frozen_fen(self) -> int:
        return self.held_fen + self.contract_fen


@dataclass(frozen=True)
class TopUpTier:
    amount_fen: int
    bonus_fen: int  # what the bonus rule in effect adds to this tier (0: none)


def top_up_tier_list() -> list[TopUpTier]:
    """The top-up amounts offered as one tap, each with the bonus it earns now."""
    tiers = []
    for amount in settings.WALLET_TOP_UP_TIERS_FEN:
        offer = top_up_bonus_offer_get(amount_fen=amount)
        tiers.append(TopUpTier(amount_fen=amount, bonus_fen=offer.bonus_fen if offer else 0))
    return tiers


def wallet_balance_get(*, driver_id: int) -> WalletBalance:
    """Read from the running counters: never a SUM over the journal."""
    totals = {kind: [0, 0] for kind in (*DRIVER_KINDS, AccountKind.DRIVER_RECEIVABLE)}
    for account in Account.objects.filter(driver_id=driver_id).only(
        "kind", "credits_posted", "debits_posted", "debits_pending"
    ):
        totals[account.kind][0] += account.credits_posted - account.debits_posted
        totals[account.kind][1] += account.debits_pending
    principal, bonus, contract, receivable = (totals[k] for k in (*DRIVER_KINDS, AccountKind.DRIVER_RECEIVABLE))
    return WalletBalance(
        principal_fen=principal[0],
        bonus_fen=bonus[0],
        contract_fen=contract[0],
        held_fen=principal[1] + bonus[1],
        contract_held_fen=contract[1],
        debt_fen=-receivable[0],  # debit-normal: what the driver owes
    )


def account_balance_at(*, account_id: int, at: datetime) -> int:
    """Posted balance of one account at a past moment, from the balance-after of its last line."""
    line = (
        JournalLine.objects.filter(account_id=account_id, entry__created_at__lte=at)
        .order_by("-entry__created_at", "-entry_id")
        .first()
    )
    return line.balance_after_fen if line else 0


def system_account_balance_fen(*, kind: str, station_id: int | None = None) -> int:
    """A hot account's balance is the sum of its bucket rows."""
    accounts = Account.objects.filter(kind=kind, station_id=station_id)
    totals = accounts.aggregate(debits=Sum("debits_posted"), credits=Sum("credits_posted"))
    debits, credits = totals["debits"] or 0, totals["credits"] or 0
    if ACCOUNT_TYPE_OF_KIND[kind] in (AccountType.ASSET, AccountType.EXPENSE):
        return debits - credits
    return credits - debits


class HistoryKind:
    """The filters of the driver's history; each business event belongs to one."""

    TOP_UP = "top_up"
    PAYMENT = "payment"
    REFUND = "refund"
    TRANSFER = "transfer"
    CONTRACT = "contract"


HISTORY_KIND_OF_OPERATION = {
    Operation.TOP_UP: HistoryKind.TOP_UP,
    Operation.BONUS_GRANT: HistoryKind.TOP_UP,
    Operation.HOLD: HistoryKind.PAYMENT,
    Operation.CAPTURE: HistoryKind.PAYMENT,
    Operation.LATE_CAPTURE: HistoryKind.PAYMENT,
    Operation.DEBT_REPAYMENT: HistoryKind.PAYMENT,
    Operation.REFUND: HistoryKind.REFUND,
    Operation.TRANSFER: HistoryKind.TRANSFER,
    Operation.WITHDRAWAL: HistoryKind.TRANSFER,
    Operation.WITHDRAWAL_PAID: HistoryKind.TRANSFER,
    Operation.CONTRACT_OPEN: HistoryKind.CONTRACT,
    Operation.CONTRACT_CLOSE: HistoryKind.CONTRACT,
}


@dataclass(frozen=True)
class HistoryPart:
    """One sub-balance's share of an event (shown on tap): principal, bonus or contract funds."""

    account_kind: str
    amount_fen: int  # signed
    balance_after_fen: int


@dataclass(frozen=True)
class HistoryEvent:
    """One business event as the driver reads it: a top-up with its bonus, a payment, a refund, a transfer
    in or out, a contract frozen, released or rewarded. One journal entry is one event."""

    entry_id: int
    created_at: datetime
    operation: str
    kind: str  # a HistoryKind
    label: str
    amount_fen: int  # signed change of the wallet total; 0 when money only moved inside the wallet
    moved_fen: int  # the largest sub-balance movement (a contract freeze moves money without changing the total)
    total_after_fen: int  # principal + bonus + contract funds right after the event
    parts: tuple[HistoryPart, ...]
    station_name: str
    reference: str
    is_pending: bool  # an open reservation: nothing has left the wallet yet


def _event_label(operation: str, amount_fen: int, parts: tuple[HistoryPart, ...]) -> str:
    if operation == Operation.TRANSFER:
        return gettext("Transfer in") if amount_fen > 0 else gettext("Transfer out")
    if operation == Operation.CONTRACT_CLOSE:
        return gettext("Contract reward") if amount_fen > 0 else gettext("Contract released")
    if operation == Operation.TOP_UP and any(part.account_kind == AccountKind.DRIVER_BONUS for part in parts):
        return gettext("Top-up with bonus")
    return str(Operation(operation).label)


def wallet_history_list(
    *, driver_id: int, limit: int | None = 50, kind: str = "", month: tuple[int, int] | None = None
) -> list[HistoryEvent]:
    """The driver's history, newest first: one line per journal entry touching the wallet, with the wallet
    total after it (from the ledger's balance-after of each sub-account, carried forward), plus open
    reservations as pending lines. A settled reservation and its release are bookkeeping the driver does not
    read twice. kind (a HistoryKind) and month ((year, month), local time) filter the lines."""
    open_hold_entries = set(
        Hold.objects.filter(driver_id=driver_id, status=HoldStatus.HELD).values_list("pending_entry_id", flat=True)
    )
    lines = (
        JournalLine.objects.filter(account__driver_id=driver_id, account__kind__in=DRIVER_KINDS)
        .exclude(phase=Phase.VOID)
        .select_related("entry", "entry__station", "account")
        .order_by("entry__created_at", "entry_id", "pk")
    )
    latest: dict[int, tuple[str, int]] = {}  # account id → (kind, balance after)
    events: list[HistoryEvent] = []
    for entry_id, entry_lines in groupby(lines, key=lambda line: line.entry_id):
        entry_lines = list(entry_lines)
        entry = entry_lines[0].entry
        for line in entry_lines:
            latest[line.account_id] = (line.account.kind, line.balance_after_fen)
        pending = entry_lines[0].phase == Phase.PENDING
        if pending and entry_id not in open_hold_entries:
            continue  # a settled reservation: its capture or release tells the story
        by_kind: dict[str, int] = {}
        for line in entry_lines:
            by_kind[line.account.kind] = by_kind.get(line.account.kind, 0) + (
                line.amount_fen if line.side == Side.CREDIT else -line.amount_fen
            )
        after = {kind_: 0 for kind_ in DRIVER_KINDS}
        for account_kind, balance in latest.values():
            after[account_kind] += balance
        parts = tuple(
            HistoryPart(account_kind=k, amount_fen=amount, balance_after_fen=after[k])
            for k, amount in by_kind.items()
            if amount
        )
        amount = sum(part.amount_fen for part in parts)
        events.append(
            HistoryEvent(
                entry_id=entry_id,
                created_at=entry.created_at,
                operation=entry.operation,
                kind=HISTORY_KIND_OF_OPERATION.get(entry.operation, ""),
                label=_event_label(entry.operation, amount, parts),
                amount_fen=amount,
                moved_fen=max((abs(part.amount_fen) for part in parts), default=0),
                total_after_fen=sum(after.values()),
                parts=parts,
                station_name=entry.station.name if entry.station else "",
                reference=entry.reference,
                is_pending=pending,
            )
        )
    events.reverse()
    if kind:
        events = [event for event in events if event.kind == kind]
    if month:
        events = [event for event in events if timezone.localtime(event.created_at).timetuple()[:2] == month]
    return events if limit is None else events[:limit]


def hold_list_expired(*, now: datetime) -> list[int]:
    return list(Hold.objects.filter(status=HoldStatus.HELD, expires_at__lte=now).values_list("pk", flat=True))


def contract_list_expiring(*, now: datetime, until: datetime) -> list[Contract]:
    """Active contracts ending after now and by until, with their station and what is left to use."""
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE, ends_at__gt=now, ends_at__lte=until)
    return list(contracts.select_related("station", "account").order_by("ends_at", "pk"))


def contract_list_due(*, now: datetime) -> list[int]:
    return list(Contract.objects.filter(status=ContractStatus.ACTIVE, ends_at__lte=now).values_list("pk", flat=True))


@dataclass(frozen=True)
class ContractProgress:
    contract: Contract
    spent_fen: int  # paid at the station from the contract funds
    remaining_fen: int  # still frozen for the station (0 once released at expiry)
    percent: int  # spent vs the commitment, 0–100
    days_left: int


def contract_progress_list_for_driver(*, driver_id: int, now: datetime | None = None) -> list[ContractProgress]:
    """The driver's contracts with how far each is towards its commitment, newest first."""
    now = now or timezone.now()
    progress = []
    for contract in contract_list_for_driver(driver_id=driver_id):
        account = contract.account
        spent = (
            JournalLine.objects.filter(account=account, side=Side.DEBIT, phase=Phase.POSTED)
            .exclude(entry__operation=Operation.CONTRACT_CLOSE)
            .aggregate(total=Sum("amount_fen"))["total"]
            or 0
        )
        progress.append(
            ContractProgress(
                contract=contract,
                spent_fen=spent,
                remaining_fen=account.credits_posted - account.debits_posted,
                percent=min(100, spent * 100 // contract.committed_fen),
                days_left=max(0, (contract.ends_at - now).days),
            )
        )
    return progress


def contract_list_for_driver(*, driver_id: int) -> QuerySet[Contract]:
    return Contract.objects.filter(driver_id=driver_id).select_related("station", "account").order_by("-starts_at")


def station_sales_posted_fen(*, station_ids, start: datetime, end: datetime) -> int:
    """What drivers paid the stations for fuel in [start, end), as the ledger posted it: the stations' share
    plus the platform's fee taken out of it (refunds are separate entries)."""
    total = JournalLine.objects.filter(
        entry__station_id__in=station_ids,
        entry__operation__in=[Operation.CAPTURE, Operation.LATE_CAPTURE],
        entry__created_at__gte=start,
        entry__created_at__lt=end,
        account__kind__in=[AccountKind.STATION_RECEIVABLE, AccountKind.PLATFORM_FEE_INCOME],
        side=Side.CREDIT,
        phase=Phase.POSTED,
    ).aggregate(total=Sum("amount_fen"))["total"]
    return total or 0


def payment_refund_exists(*, idempotency_key: str) -> bool:
    """Whether a refund was already posted with this key (a replayed submit)."""
    return JournalEntry.objects.filter(operation=Operation.REFUND, idempotency_key=idempotency_key).exists()
