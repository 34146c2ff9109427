from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketing.enums import Funder
from wallet.enums import (
    AccountKind,
    AccountType,
    ContractStatus,
    HoldStatus,
    Operation,
    Phase,
    Side,
    TopUpStatus,
    WithdrawalStatus,
)


class Account(models.Model):
    """A ledger account with TigerBeetle-style running counters, updated in the posting's transaction.

    Hot system accounts (escrow, fee income, each station's receivable) exist as several bucket rows so
    concurrent postings do not queue on one row lock; their balance is the sum of the buckets.
    """

    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    type = models.CharField(max_length=16, choices=AccountType.choices)
    driver = models.ForeignKey(
        "drivers.Driver", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    station = models.ForeignKey("stations.Station", null=True, blank=True, on_delete=models.PROTECT)
    bucket = models.PositiveSmallIntegerField(default=0)
    may_go_negative = models.BooleanField(default=False)
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # The database itself refuses an overdrawn wallet, whatever the Python code does.
            models.CheckConstraint(
                name="account_available_not_negative",
                condition=Q(may_go_negative=True) | Q(credits_posted__gte=F("debits_posted") + F("debits_pending")),
            ),
            # A driver can never repay more than they owe (the receivable is debit-normal).
            models.CheckConstraint(
                name="account_receivable_not_overpaid",
                condition=~Q(kind=AccountKind.DRIVER_RECEIVABLE)
                | Q(debits_posted__gte=F("credits_posted") + F("credits_pending")),
            ),
            models.CheckConstraint(
                name="account_counters_not_negative",
                condition=Q(debits_posted__gte=0, credits_posted__gte=0, debits_pending__gte=0, credits_pending__gte=0),
            ),
        ]
        indexes = [models.Index(fields=["driver", "kind"])]

    def __str__(self) -> str:
        return self.code

    @property
    def posted_balance_fen(self) -> int:
        if self.type in (AccountType.ASSET, AccountType.EXPENSE):
            return self.debits_posted - self.credits_posted
        return self.credits_posted - self.debits_posted

    @property
    def available_fen(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending


class JournalEntry(models.Model):
    """Immutable. A database trigger refuses UPDATE and DELETE (see migration 0002)."""

    operation = models.CharField(max_length=24, choices=Operation.choices)
    idempotency_key = models.CharField(max_length=120)
    request_hash = models.CharField(max_length=64)
    driver = models.ForeignKey("drivers.Driver", null=True, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey("stations.Station", null=True, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, blank=True)
    resolves_entry = models.ForeignKey("self", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [models.UniqueConstraint(fields=["operation", "idempotency_key"], name="uniq_entry_idempotency")]


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField(max_length=1, choices=Side.choices)
    phase = models.CharField(max_length=8, choices=Phase.choices)
    amount_fen = models.BigIntegerField()
    # The account's posted balance (in its normal sign) right after this entry: answers
    # "what was the balance at time T" without summing the journal.
    balance_after_fen = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(name="line_amount_positive", condition=Q(amount_fen__gt=0))]
        indexes = [models.Index(fields=["account", "entry"])]


class ChainHead(models.Model):
    """Single row: where the hash chain ends. Locked by the one chainer at a time."""

    sequence = models.BigIntegerField(default=0)
    link_hash = models.CharField(max_length=64, default="0" * 64)


class ChainLink(models.Model):
    """Tamper evidence, appended in commit order by a background step so postings never serialise on it."""

    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, primary_key=True, related_name="+")
    sequence = models.BigIntegerField(unique=True)
    link_hash = models.CharField(max_length=64)


class Hold(models.Model):
    """A two-phase payment: authorized (pending posting), then captured, released or expired."""

    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="holds")
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField()
    captured_fen = models.BigIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=HoldStatus.choices, default=HoldStatus.HELD)
    # NULL: the hold belongs to its caller (a prepaid order), which releases or captures it when the pump's
    # authorization ends; it never expires on its own while fuel may still flow.
    expires_at = models.DateTimeField(null=True, blank=True)
    pending_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    resolution_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="hold_amounts_consistent",
                condition=Q(
                    amount_fen__gt=0,
                    captured_fen__gte=0,
                    captured_fen__lte=F("amount_fen"),
                    refunded_fen__gte=0,
                    refunded_fen__lte=F("captured_fen"),
                ),
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]


class TopUpOrder(models.Model):
    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="top_up_orders")
    out_trade_no = models.CharField(max_length=32, unique=True)
    idempotency_key = models.CharField(max_length=120)
    amount_fen = models.BigIntegerField()
    bonus_fen = models.BigIntegerField(default=0)
    bonus_funder = models.CharField(max_length=12, choices=Funder.choices, blank=True)
    bonus_station = models.ForeignKey("stations.Station", null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=24, choices=TopUpStatus.choices, default=TopUpStatus.CREATED)
    provider = models.CharField(max_length=24)
    provider_transaction_id = models.CharField(max_length=64, blank=True)
    credit_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A direct payment: what the credited money pays at once (e.g. "fill:42"); "" for a plain top-up.
    pays_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # What withdrawals have sent back to this payment: never more than it paid in.
    refunded_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["driver", "idempotency_key"], name="uniq_top_up_idempotency"),
            models.CheckConstraint(name="top_up_amount_positive", condition=Q(amount_fen__gt=0, bonus_fen__gte=0)),
            models.CheckConstraint(
                name="top_up_refund_within_payment", condition=Q(refunded_fen__gte=0, refunded_fen__lte=F("amount_fen"))
            ),
        ]


class ProviderNotificationNonce(models.Model):
    """Nonces of signed provider notifications received within the freshness window: a replay is refused."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)


class Withdrawal(models.Model):
    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="withdrawals")
    principal_fen = models.BigIntegerField()
    forfeited_bonus_fen = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=WithdrawalStatus.choices, default=WithdrawalStatus.REQUESTED)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # [[out_trade_no, amount_fen], ...]: the original top-up payments this withdrawal is refunded to.
    refunds = models.JSONField(default=list)


class Contract(models.Model):
    """合约加油: funds frozen for one station until ends_at; payments there draw from it first."""

    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="contracts")
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="contract")
    committed_fen = models.BigIntegerField()
    reward_bonus_fen = models.BigIntegerField(default=0)
    reward_funder = models.CharField(max_length=12, choices=Funder.choices, default=Funder.PLATFORM)
    status = models.CharField(max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["driver", "idempotency_key"], name="uniq_contract_idempotency"),
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]
