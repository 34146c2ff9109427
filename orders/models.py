"""Sales at a nozzle. The tables were created by the wallet app and keep their names."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from marketing.enums import Funder
from orders.enums import CounterTender, FillResolutionKind, OrderCause, OrderLineKind, OrderMode, OrderStatus


class FuelOrder(models.Model):
    """A sale at a nozzle: prepaid (hold → pump → capture) or postpaid (fill first, then pay).

    Receipt lines (fuel, each discount with who funds it, non-fuel items) are OrderLine rows, so the
    promotion engine adds lines rather than changing this model.
    """

    order_no = models.CharField(_("order number"), max_length=32, unique=True)
    mode = models.CharField(_("mode"), max_length=10, choices=OrderMode.choices)
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices)
    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="orders", verbose_name=_("driver")
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    nozzle = models.ForeignKey("stations.Nozzle", on_delete=models.PROTECT, related_name="+", verbose_name=_("nozzle"))
    grade_name = models.CharField(_("grade"), max_length=40)
    list_price_fen_per_litre = models.BigIntegerField(_("list price"))
    price_fen_per_litre = models.BigIntegerField(_("unit price"))
    requested_amount_fen = models.BigIntegerField(_("requested amount"), null=True, blank=True)
    hold = models.OneToOneField(
        "wallet.Hold",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
        verbose_name=_("payment hold"),
    )
    authorization = models.OneToOneField(
        "pumpgateway.PumpAuthorization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
        verbose_name=_("pump authorization"),
    )
    fill = models.ForeignKey(
        "pumpgateway.Fill", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("fill")
    )
    volume_ml = models.BigIntegerField(_("volume (ml)"), default=0)
    fuel_amount_fen = models.BigIntegerField(_("fuel amount at list price"), default=0)  # at list price
    # Non-fuel items (非油品) on the order: held with the fuel, captured with the fill in one posting.
    non_fuel_fen = models.BigIntegerField(_("non fuel fen"), default=0)
    discount_fen = models.BigIntegerField(_("discount"), default=0)
    paid_fen = models.BigIntegerField(_("paid"), default=0)
    dynamic_code = models.CharField(_("dynamic code"), max_length=6)
    # An AuthorizationEndReason or an OrderProblem value; orders.lifecycle words it for the driver.
    failure_code = models.CharField(_("failure reason"), max_length=40, blank=True)
    # Collected from the driver is paid_fen; what the driver's balance could not cover is owed (the
    # driver's receivable in the ledger; the station was paid the full fill amount).
    debt_fen = models.BigIntegerField(_("owed by the driver"), default=0)
    wrong_fill_reported = models.CharField(_("wrong fill reported"), max_length=200, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fuel order")
        verbose_name_plural = _("fuel orders")
        constraints = [
            models.UniqueConstraint(fields=["driver", "idempotency_key"], name="uniq_order_idempotency"),
            # A fill is paid exactly once: only one live (not failed/cancelled) order may point at it.
            models.UniqueConstraint(fields=["fill"], condition=Q(status="paid"), name="uniq_paid_fill"),
        ]
        indexes = [
            models.Index(fields=["station", "status"]),
            # The back office's dashboard: a station's sales over a time window.
            models.Index(fields=["station", "paid_at"], name="order_station_paid_at"),
        ]
        db_table = "wallet_fuelorder"


class OrderLine(models.Model):
    order = models.ForeignKey(FuelOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=OrderLineKind.choices)
    label = models.CharField(_("label"), max_length=160)  # Chinese; the engine words every line in both languages
    label_en = models.CharField(_("label en"), max_length=160, blank=True)
    amount_fen = models.BigIntegerField(_("amount"))  # discounts are negative
    # A discount line's promotion and who funds it: settlement splits the cost by funder.
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices, blank=True)
    promotion = models.ForeignKey(
        "marketing.Promotion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("promotion"),
    )
    coupon = models.ForeignKey(
        "marketing.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("coupon")
    )
    # A non-fuel line: the catalogue item's SKU, how many and at what price (amount = quantity × price).
    sku = models.CharField(_("sku"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=12, blank=True)  # promotions by category see it
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price_fen = models.BigIntegerField(_("unit price fen"), null=True, blank=True)
    # A fuel or non-fuel line of a paid order: what the driver paid for it (its amount less its share of the
    # discounts), and how much of that was refunded since. A per-line refund never exceeds the difference.
    paid_fen = models.BigIntegerField(_("paid"), null=True, blank=True)
    refunded_fen = models.BigIntegerField(_("refunded"), default=0)

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["pk"]
        db_table = "wallet_orderline"

    @property
    def display_label(self) -> str:
        return self.label_en if translation.get_language() == "en" and self.label_en else self.label


class OrderStatusChange(models.Model):
    """Audit trail: every status an order took, what caused it, who (a person, if one did) and when.
    Written only by orders.lifecycle.order_transition, in the transaction of the change."""

    order = models.ForeignKey(
        FuelOrder, on_delete=models.PROTECT, related_name="status_changes", verbose_name=_("order")
    )
    from_status = models.CharField(_("from status"), max_length=12, blank=True)  # "": the order was created
    to_status = models.CharField(_("to status"), max_length=12, choices=OrderStatus.choices)
    cause = models.CharField(_("cause"), max_length=40, choices=OrderCause.choices)
    failure_code = models.CharField(_("failure reason"), max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["pk"]


class FillResolution(models.Model):
    """How an attendant-authorized (postpaid, 闪付) fill was closed: paid by the driver in the app, paid at
    the counter (tender and cashier recorded), or a drive-off. One row per fill, ever: the unique fill makes
    a counter payment and an app payment racing for the same fill end with exactly one winner.

    A fill without a row is unpaid and stays on the console until someone resolves it; the service-level
    contract (how long it may stay open, what settlement reads) is in docs/fill-resolution.md.
    """

    fill = models.OneToOneField("pumpgateway.Fill", on_delete=models.PROTECT, related_name="+", verbose_name=_("fill"))
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FillResolutionKind.choices)
    tender = models.CharField(_("tender"), max_length=10, choices=CounterTender.choices, blank=True)
    # Collected for the fill: the fill's amount when paid (app or counter), 0 for a drive-off.
    amount_fen = models.BigIntegerField(_("amount"))
    order = models.OneToOneField(
        FuelOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("order")
    )
    # The cashier who took the counter payment or reported the drive-off; the driver's user for the app.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("resolved by")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["station", "resolved_at"])]
        constraints = [
            models.CheckConstraint(
                name="fill_resolution_consistent",
                condition=Q(kind=FillResolutionKind.APP, order__isnull=False, tender="", amount_fen__gt=0)
                | Q(kind=FillResolutionKind.COUNTER, order__isnull=True, amount_fen__gt=0) & ~Q(tender="")
                | Q(kind=FillResolutionKind.DRIVE_OFF, order__isnull=True, tender="", amount_fen=0),
            ),
        ]
