from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    """Normal balance: assets and expenses are debit-normal, liabilities and income credit-normal."""

    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


class AccountKind(models.TextChoices):
    DRIVER_PRINCIPAL = "driver_principal", _("Wallet principal (本金)")
    DRIVER_BONUS = "driver_bonus", _("Wallet bonus (赠送金)")
    DRIVER_CONTRACT = "driver_contract", _("Contract funds frozen for one station (合约冻结)")
    # What a driver owes the platform: a fill the driver's balance could not cover (the platform paid the
    # station in full). Debit-normal; taken from the driver's next top-up first.
    DRIVER_RECEIVABLE = "driver_receivable", _("Owed by the driver (欠款)")
    PLATFORM_ESCROW = "platform_escrow", _("Platform escrow (备付金)")
    # Captured sales not yet settled (gross); settlement moves them, less the fee, to the station's payable.
    STATION_RECEIVABLE = "station_receivable", _("Owed to station")
    # Settled and not yet paid out: the net of closed days; a payout batch moves it out of escrow.
    STATION_PAYABLE = "station_payable", _("Settled, payable to station")
    PROMOTION_EXPENSE_PLATFORM = "promotion_expense_platform", _("Promotion expense, platform funded")
    PROMOTION_EXPENSE_STATION = "promotion_expense_station", _("Promotion expense, station funded")
    PLATFORM_FEE_INCOME = "platform_fee_income", _("Platform fee income")
    PROVIDER_CLEARING = "provider_clearing", _("Payment provider clearing")
    REFUNDS_PAYABLE = "refunds_payable", _("Refunds payable")


ACCOUNT_TYPE_OF_KIND = {
    AccountKind.DRIVER_PRINCIPAL: AccountType.LIABILITY,
    AccountKind.DRIVER_BONUS: AccountType.LIABILITY,
    AccountKind.DRIVER_CONTRACT: AccountType.LIABILITY,
    AccountKind.DRIVER_RECEIVABLE: AccountType.ASSET,
    AccountKind.PLATFORM_ESCROW: AccountType.ASSET,
    AccountKind.STATION_RECEIVABLE: AccountType.LIABILITY,
    AccountKind.STATION_PAYABLE: AccountType.LIABILITY,
    AccountKind.PROMOTION_EXPENSE_PLATFORM: AccountType.EXPENSE,
    AccountKind.PROMOTION_EXPENSE_STATION: AccountType.EXPENSE,
    AccountKind.PLATFORM_FEE_INCOME: AccountType.INCOME,
    AccountKind.PROVIDER_CLEARING: AccountType.ASSET,
    AccountKind.REFUNDS_PAYABLE: AccountType.LIABILITY,
}
# The driver's own money (liabilities of the platform); the receivable is what the driver owes instead.
DRIVER_KINDS = (AccountKind.DRIVER_PRINCIPAL, AccountKind.DRIVER_BONUS, AccountKind.DRIVER_CONTRACT)


class Side(models.TextChoices):
    DEBIT = "D", _("Debit")
    CREDIT = "C", _("Credit")


class Phase(models.TextChoices):
    """TigerBeetle-style two-phase: pending reserves, void un-reserves, posted moves money."""

    POSTED = "posted", _("Posted")
    PENDING = "pending", _("Pending")
    VOID = "void", _("Void of pending")


class Operation(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    BONUS_GRANT = "bonus_grant", _("Bonus")
    HOLD = "hold", _("Authorization hold")
    CAPTURE = "capture", _("Payment")
    RELEASE = "release", _("Hold released")
    REFUND = "refund", _("Refund")
    TRANSFER = "transfer", _("Transfer")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    WITHDRAWAL_PAID = "withdrawal_paid", _("Withdrawal paid out")
    CONTRACT_OPEN = "contract_open", _("Contract funds frozen")
    CONTRACT_CLOSE = "contract_close", _("Contract closed")
    LATE_CAPTURE = "late_capture", _("Payment for a fill after fuelling")
    DEBT_REPAYMENT = "debt_repayment", _("Amount owed repaid")
    SETTLEMENT = "settlement", _("Daily settlement")
    PAYOUT = "payout", _("Payout to station")


class HoldStatus(models.TextChoices):
    HELD = "held", _("Held")
    CAPTURED = "captured", _("Captured")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


class TopUpStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    CREDITED = "credited", _("Credited")
    CLOSED = "closed", _("Closed unpaid")
    REFUNDED_OVER_LIMIT = "refunded_over_limit", _("Refunded: over the wallet limit")


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PAID = "paid", _("Paid out")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    UNFULFILLED = "unfulfilled", _("Not fulfilled")


class WalletErrorCode(models.TextChoices):
    INSUFFICIENT_FUNDS = "wallet_insufficient_funds"
    BUSY = "wallet_busy"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_AMOUNT = "wallet_invalid_amount"
    LIMIT_EXCEEDED = "wallet_limit_exceeded"
    HOLD_NOT_ACTIVE = "wallet_hold_not_active"
    CAPTURE_EXCEEDS_HOLD = "wallet_capture_exceeds_hold"
    REFUND_EXCEEDS_PAYMENT = "wallet_refund_exceeds_payment"
    INVALID_SIGNATURE = "payment_invalid_signature"
    NOTIFICATION_MISMATCH = "payment_notification_mismatch"
    NOTIFICATION_STALE = "payment_notification_stale"
    ORDER_NOT_FOUND = "payment_order_not_found"
    TRANSFER_NOT_ALLOWED = "wallet_transfer_not_allowed"
    CONTRACT_NOT_ALLOWED = "wallet_contract_not_allowed"
    UNBALANCED_POSTING = "ledger_unbalanced_posting"
    DEBT_OUTSTANDING = "wallet_debt_outstanding"
