from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet, Sum

from marketing.selectors import top_up_bonus_offer_get
from wallet.enums import ACCOUNT_TYPE_OF_KIND, DRIVER_KINDS, AccountKind, AccountType, ContractStatus, HoldStatus, Phase
from wallet.models import Account, Contract, Hold, JournalLine


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


@dataclass(frozen=True)
class HistoryItem:
    entry_id: int
    created_at: datetime
    operation: str
    operation_label: str
    account_kind: str
    amount_fen: int  # signed: + money in, - money out
    balance_after_fen: int
    station_name: str
    reference: str
    is_pending: bool


def wallet_history_list(*, driver_id: int, limit: int = 50) -> list[HistoryItem]:
    """Money that moved (posted lines), plus the reservations of authorizations still open. A settled
    hold's reservation and its void are bookkeeping the driver does not need to read twice; what the driver
    owes is shown as the debt, not as lines of the receivable."""
    open_hold_entries = Hold.objects.filter(driver_id=driver_id, status=HoldStatus.HELD).values("pending_entry_id")
    lines = (
        JournalLine.objects.filter(account__driver_id=driver_id, account__kind__in=DRIVER_KINDS)
        .filter(Q(phase=Phase.POSTED) | Q(phase=Phase.PENDING, entry_id__in=open_hold_entries))
        .select_related("entry", "entry__station", "account")
        .order_by("-entry__created_at", "-entry_id", "pk")[:limit]
    )
    items = []
    for line in lines:
        sign = 1 if line.side == "C" else -1
        items.append(
            HistoryItem(
                entry_id=line.entry_id,
                created_at=line.entry.created_at,
                operation=line.entry.operation,
                operation_label=line.entry.get_operation_display(),
                account_kind=line.account.kind,
                amount_fen=sign * line.amount_fen,
                balance_after_fen=line.balance_after_fen,
                station_name=line.entry.station.name if line.entry.station else "",
                reference=line.entry.reference,
                is_pending=line.phase == Phase.PENDING,
            )
        )
    return items


def hold_list_expired(*, now: datetime) -> list[int]:
    return list(Hold.objects.filter(status=HoldStatus.HELD, expires_at__lte=now).values_list("pk", flat=True))


def contract_list_due(*, now: datetime) -> list[int]:
    return list(Contract.objects.filter(status=ContractStatus.ACTIVE, ends_at__lte=now).values_list("pk", flat=True))


def contract_list_for_driver(*, driver_id: int) -> QuerySet[Contract]:
    return Contract.objects.filter(driver_id=driver_id).select_related("station", "account").order_by("-starts_at")
