"""Daily settlement per station, reconciliation findings, and payouts. Figures are integer fen."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from settlement.enums import DiscrepancyKind, DiscrepancyStatus, ItemKind, PayoutStatus, SettlementStatus, ShiftStatus


class FeeContract(models.Model):
    """The platform fee an enterprise pays, in basis points of its sales; a grade-specific row wins over the
    enterprise-wide one (grade empty). Rows are effective-dated and never edited: a change is a new row."""

    enterprise = models.ForeignKey(
        "stations.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    grade = models.ForeignKey(
        "stations.FuelGrade",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("grade"),
    )
    rate_bps = models.PositiveIntegerField(_("fee rate (basis points)"))
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee contract")
        verbose_name_plural = _("fee contracts")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "grade", "effective_from"], name="uniq_fee_contract"),
            models.CheckConstraint(name="fee_rate_at_most_10pct", condition=Q(rate_bps__lte=1000)),
        ]


class SettlementDay(models.Model):
    """One station's closed business day. Immutable once written (only its payout status moves)."""

    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("business day"))
    status = models.CharField(_("status"), max_length=12, choices=SettlementStatus.choices)
    sales_count = models.PositiveIntegerField(default=0)
    volume_ml = models.BigIntegerField(default=0)
    gross_fuel_fen = models.BigIntegerField(_("fuel at list price"), default=0)
    gross_non_fuel_fen = models.BigIntegerField(_("non-fuel"), default=0)
    discount_platform_fen = models.BigIntegerField(_("discounts funded by the platform"), default=0)
    discount_station_fen = models.BigIntegerField(_("discounts funded by the station"), default=0)
    collected_fen = models.BigIntegerField(_("captured through the platform"), default=0)
    refunds_fen = models.BigIntegerField(_("refunds"), default=0)
    adjustments_fen = models.BigIntegerField(_("late items of closed days"), default=0)
    fee_fen = models.BigIntegerField(_("platform fee"), default=0)
    net_fen = models.BigIntegerField(_("net payable"), default=0)
    entry = models.OneToOneField(
        "wallet.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    closed_at = models.DateTimeField(auto_now_add=True)
    payout_item = models.ForeignKey(
        "settlement.PayoutItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="days"
    )

    class Meta:
        verbose_name = _("daily settlement")
        verbose_name_plural = _("daily settlements")
        ordering = ["-business_date", "station"]
        constraints = [models.UniqueConstraint(fields=["station", "business_date"], name="uniq_station_day")]


class SettlementItem(models.Model):
    """One ledger entry on the station's receivable, as settled: a capture (with its order's receipt
    figures) or a refund. An entry is settled once (unique); a late one names the day it belonged to."""

    day = models.ForeignKey(SettlementDay, on_delete=models.PROTECT, related_name="items")
    # No database-level foreign keys to the journal, orders and fills: the settling statement copies their
    # ids from those very rows, which are never deleted (the journal's trigger refuses it), and checking a
    # million references at COMMIT was a third of a large day's settlement (BENCHMARKS.md).
    entry = models.OneToOneField(
        "wallet.JournalEntry", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=ItemKind.choices)
    order = models.ForeignKey(
        "orders.FuelOrder", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    fill = models.ForeignKey(
        "pumpgateway.Fill", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grade_name = models.CharField(max_length=40, blank=True)
    volume_ml = models.BigIntegerField(default=0)
    gross_fuel_fen = models.BigIntegerField(default=0)
    gross_non_fuel_fen = models.BigIntegerField(default=0)
    discount_platform_fen = models.BigIntegerField(default=0)
    discount_station_fen = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField()  # the receivable's movement: + capture, − refund
    fee_bps = models.PositiveIntegerField()
    fee_fen = models.BigIntegerField()  # negative on a refund: the fee on it is given back
    original_date = models.DateField(null=True, blank=True)  # set: a late item of that (closed) day

    class Meta:
        ordering = ["pk"]


class Discrepancy(models.Model):
    """A reconciliation finding. Found once per (kind, key); resolved by a person through
    settlement.services.discrepancy_transition."""

    kind = models.CharField(_("kind"), max_length=24, choices=DiscrepancyKind.choices)
    key = models.CharField(max_length=80)
    business_date = models.DateField(_("business day"))
    station = models.ForeignKey("stations.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fill = models.ForeignKey("pumpgateway.Fill", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.FuelOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    top_up = models.ForeignKey("wallet.TopUpOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expected_fen = models.BigIntegerField(null=True, blank=True)
    actual_fen = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DiscrepancyStatus.choices)
    resolution = models.TextField(_("how it was resolved"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["-business_date", "pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="uniq_discrepancy")]


class ProviderStatementLine(models.Model):
    """A line of the payment provider's daily bill (对账单), as loaded."""

    provider = models.CharField(max_length=24)
    business_date = models.DateField()
    out_trade_no = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="uniq_statement_transaction")
        ]


class PayoutBatch(models.Model):
    """Net payables of closed days, per station, to the stations' bank accounts; released by a second person."""

    enterprise = models.ForeignKey("stations.Enterprise", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=PayoutStatus.choices)
    total_fen = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-pk"]


class PayoutItem(models.Model):
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="items")
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField()
    entry = models.OneToOneField(
        "wallet.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(name="payout_item_positive", condition=Q(amount_fen__gt=0))]


class Shift(models.Model):
    """班结: a cashier's shift at a station, closed against the pumps' totalizers and handed over."""

    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=ShiftStatus.choices)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    handed_over_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    tolerance_ml = models.PositiveIntegerField(_("tolerance (ml)"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.UniqueConstraint(fields=["station"], condition=Q(status="open"), name="one_open_shift_per_station")
        ]


class ShiftNozzle(models.Model):
    """One nozzle's reconciliation for a shift (litres as ml): what the totalizer says went out against the
    fill records, the platform's orders, the counter payments and drive-offs the cashiers recorded on the
    console, the tenders declared at closing, and what is left unexplained."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="nozzles")
    nozzle = models.ForeignKey("stations.Nozzle", on_delete=models.PROTECT, related_name="+")
    opening_totalizer_ml = models.BigIntegerField(null=True, blank=True)
    closing_totalizer_ml = models.BigIntegerField(null=True, blank=True)  # electronic, from the bridge
    manual_closing_ml = models.BigIntegerField(null=True, blank=True)  # read off the pump by the cashier
    totalizer_ml = models.BigIntegerField(default=0)  # closing − opening (electronic)
    fills_ml = models.BigIntegerField(default=0)
    platform_ml = models.BigIntegerField(default=0)
    counter_ml = models.BigIntegerField(default=0)  # attendant fills paid at the counter (orders.FillResolution)
    counter_tenders = models.JSONField(default=dict)  # the same by tender: {"cash": ml, "bank_card": ml, …}
    drive_off_ml = models.BigIntegerField(default=0)  # attendant fills reported as drive-offs
    other_tenders_ml = models.BigIntegerField(default=0)  # further sales the cashier declares (fuel cards, …)
    unpaid_ml = models.BigIntegerField(default=0)  # fills − platform − counter − drive-offs − declared
    flags = models.JSONField(default=list)  # "totalizer", "manual", "unpaid", "drive_off"
    unpaid_fill_ids = models.JSONField(default=list)  # fills nobody paid and nobody resolved
    drive_off_fill_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["nozzle__number"]
        constraints = [models.UniqueConstraint(fields=["shift", "nozzle"], name="uniq_shift_nozzle")]
