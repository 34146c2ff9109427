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

    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AccountKind.choices)
    type = models.CharField(_("account type"), max_length=16, choices=AccountType.choices)
    driver = models.ForeignKey(
        "drivers.Driver",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("driver"),
    )
    station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("station")
    )
    bucket = models.PositiveSmallIntegerField(_("bucket"), default=0)
    may_go_negative = models.BooleanField(_("may go negative"), default=False)
    debits_posted = models.BigIntegerField(_("debits posted"), default=0)
    credits_posted = models.BigIntegerField(_("credits posted"), default=0)
    debits_pending = models.BigIntegerField(_("debits pending"), default=0)
    credits_pending = models.BigIntegerField(_("credits pending"), default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
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

    operation = models.CharField(_("operation"), max_length=24, choices=Operation.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    request_hash = models.CharField(_("request hash"), max_length=64)
    driver = models.ForeignKey(
        "drivers.Driver", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("driver")
    )
    station = models.ForeignKey(
        "stations.Station", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    resolves_entry = models.ForeignKey(
        "self", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("resolves entry")
    )
    created_at = models.DateTimeField(_("created at"))
    # A sale's capture: the part of the amount paid for non-fuel items (the rest is fuel), so settlement can
    # split the two from the ledger alone. NULL on every other entry.
    non_fuel_fen = models.BigIntegerField(_("non-fuel part"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [models.UniqueConstraint(fields=["operation", "idempotency_key"], name="uniq_entry_idempotency")]
        # A station's entries over a time window (the back office's sales figure, statements).
        indexes = [models.Index(fields=["station", "created_at"], name="entry_station_created_at")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_operation_display()}"


class JournalLine(models.Model):
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="lines", verbose_name=_("journal entry")
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("account"))
    side = models.CharField(_("side"), max_length=1, choices=Side.choices)
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    amount_fen = models.BigIntegerField(_("amount"))
    # The account's posted balance (in its normal sign) right after this entry: answers
    # "what was the balance at time T" without summing the journal.
    balance_after_fen = models.BigIntegerField(_("balance after"))

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
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

    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="holds", verbose_name=_("driver")
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    reference = models.CharField(_("reference"), max_length=64)
    amount_fen = models.BigIntegerField(_("amount"))
    captured_fen = models.BigIntegerField(_("captured"), default=0)
    refunded_fen = models.BigIntegerField(_("refunded"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=HoldStatus.choices, default=HoldStatus.HELD)
    # NULL: the hold belongs to its caller (a prepaid order), which releases or captures it when the pump's
    # authorization ends; it never expires on its own while fuel may still flow.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    pending_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("authorization entry")
    )
    resolution_entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolution entry"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
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
    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="top_up_orders", verbose_name=_("driver")
    )
    out_trade_no = models.CharField(_("payment order number"), max_length=32, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    amount_fen = models.BigIntegerField(_("amount"))
    bonus_fen = models.BigIntegerField(_("bonus"), default=0)
    bonus_funder = models.CharField(_("bonus funded by"), max_length=12, choices=Funder.choices, blank=True)
    bonus_station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("bonus station")
    )
    status = models.CharField(_("status"), max_length=24, choices=TopUpStatus.choices, default=TopUpStatus.CREATED)
    provider = models.CharField(_("provider"), max_length=24)
    provider_transaction_id = models.CharField(_("provider transaction ID"), max_length=64, blank=True)
    credit_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("credit entry")
    )
    # A direct payment: what the credited money pays at once (e.g. "fill:42"); "" for a plain top-up.
    pays_reference = models.CharField(_("pays reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # What withdrawals have sent back to this payment: never more than it paid in.
    refunded_fen = models.BigIntegerField(_("refunded"), default=0)

    class Meta:
        verbose_name = _("top-up order")
        verbose_name_plural = _("top-up orders")
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
    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="withdrawals", verbose_name=_("driver")
    )
    principal_fen = models.BigIntegerField(_("principal"))
    forfeited_bonus_fen = models.BigIntegerField(_("forfeited bonus"))
    status = models.CharField(
        _("status"), max_length=12, choices=WithdrawalStatus.choices, default=WithdrawalStatus.REQUESTED
    )
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("journal entry")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # [[out_trade_no, amount_fen], ...]: the original top-up payments this withdrawal is refunded to.
    refunds = models.JSONField(_("refunded to payments"), default=list)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")


class Contract(models.Model):
    """合约加油: funds frozen for one station until ends_at; payments there draw from it first."""

    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("driver")
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="contract", verbose_name=_("account")
    )
    committed_fen = models.BigIntegerField(_("commitment"))
    reward_bonus_fen = models.BigIntegerField(_("reward bonus"), default=0)
    reward_funder = models.CharField(
        _("reward funded by"), max_length=12, choices=Funder.choices, default=Funder.PLATFORM
    )
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)

    class Meta:
        verbose_name = _("fuel contract")
        verbose_name_plural = _("fuel contracts")
        constraints = [
            models.UniqueConstraint(fields=["driver", "idempotency_key"], name="uniq_contract_idempotency"),
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]
