from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations.enums import (
    BankAccountChangeStatus,
    EnterpriseKind,
    FuelKind,
    NonFuelCategory,
    StaffRoleKind,
    StationStatus,
)


class Enterprise(models.Model):
    """加油企业: a chain, an independent operator or an alliance member."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EnterpriseKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="stations", verbose_name=_("enterprise")
    )
    code = models.SlugField(_("station code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    # Both empty means open around the clock; closes_at < opens_at means open past midnight.
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=StationStatus.choices, default=StationStatus.APPLIED)
    bank_name = models.CharField(_("settlement bank"), max_length=120, blank=True)
    bank_account_holder = models.CharField(_("account holder"), max_length=120, blank=True)
    bank_account_number_encrypted = models.TextField(_("bank account number encrypted"), blank=True, editable=False)
    bank_account_number_last4 = models.CharField(
        _("bank account number last4"), max_length=4, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        indexes = [models.Index(fields=["status", "latitude", "longitude"])]

    def __str__(self) -> str:
        return self.name

    @property
    def bank_account_masked(self) -> str:
        return f"**** **** {self.bank_account_number_last4}" if self.bank_account_number_last4 else ""


class BankAccountChange(models.Model):
    """A requested change of a station's settlement account (four-eyes): it takes effect only when another
    administrator of the enterprise (or the platform) approves it."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="bank_account_changes"
    )
    bank_name = models.CharField(_("settlement bank"), max_length=120)
    bank_account_holder = models.CharField(_("account holder"), max_length=120)
    bank_account_number_encrypted = models.TextField(_("bank account number encrypted"), editable=False)
    bank_account_number_last4 = models.CharField(_("bank account number last4"), max_length=4, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=BankAccountChangeStatus.choices, default=BankAccountChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement account change")
        verbose_name_plural = _("settlement account changes")

    def __str__(self) -> str:
        return f"{self.station} → **** {self.bank_account_number_last4}"


class StationStatusChange(models.Model):
    """Onboarding audit trail: every transition with who and when."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("station")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=StationStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=StationStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("station status change")
        verbose_name_plural = _("station status changes")
        ordering = ["created_at", "pk"]


class FuelGrade(models.Model):
    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=FuelKind.choices)

    class Meta:
        verbose_name = _("fuel grade")
        verbose_name_plural = _("fuel grades")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Dispenser(models.Model):
    """A pump (加油机). Its serial line and DART address live in pumpgateway.PumpBinding."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="dispensers", verbose_name=_("station"))
    number = models.PositiveSmallIntegerField(_("pump number"))

    class Meta:
        verbose_name = _("dispenser")
        verbose_name_plural = _("dispensers")
        constraints = [models.UniqueConstraint(fields=["station", "number"], name="uniq_dispenser_number")]
        ordering = ["station", "number"]

    def __str__(self) -> str:
        return f"{self.station} #{self.number}"


class Nozzle(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="nozzles", verbose_name=_("station"))
    dispenser = models.ForeignKey(
        Dispenser, on_delete=models.CASCADE, related_name="nozzles", verbose_name=_("dispenser")
    )
    number = models.PositiveSmallIntegerField(_("nozzle number (枪号)"))
    logical_number = models.PositiveSmallIntegerField(_("logical nozzle on the pump"))
    grade = models.ForeignKey(FuelGrade, on_delete=models.PROTECT, related_name="nozzles", verbose_name=_("fuel grade"))

    class Meta:
        verbose_name = _("nozzle")
        verbose_name_plural = _("nozzles")
        ordering = ["station", "number"]
        constraints = [
            models.UniqueConstraint(fields=["station", "number"], name="uniq_nozzle_number_per_station"),
            models.UniqueConstraint(fields=["dispenser", "logical_number"], name="uniq_logical_nozzle"),
            models.CheckConstraint(
                condition=Q(logical_number__gte=1, logical_number__lte=15), name="logical_nozzle_1_15"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} {self.number}号枪"


class GradePrice(models.Model):
    """Effective-dated price of a grade at a station. Rows are never edited: a change is a new row."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="prices", verbose_name=_("station"))
    grade = models.ForeignKey(FuelGrade, on_delete=models.PROTECT, related_name="prices", verbose_name=_("fuel grade"))
    list_price_fen_per_litre = models.BigIntegerField(_("list price"))
    price_fen_per_litre = models.BigIntegerField(_("station price"))
    effective_from = models.DateTimeField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        indexes = [models.Index(fields=["station", "grade", "-effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_fen_per_litre__gt=0)
                & Q(price_fen_per_litre__lte=models.F("list_price_fen_per_litre")),
                name="price_positive_and_not_above_list",
            ),
        ]


class StaffRole(models.Model):
    """One role per staff user, scoped to an enterprise or a single station."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_role", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=24, choices=StaffRoleKind.choices)
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("enterprise")
    )
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("station"))

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.CheckConstraint(
                name="staff_role_scope_matches_role",
                condition=(
                    Q(role=StaffRoleKind.PLATFORM_ADMIN, enterprise__isnull=True, station__isnull=True)
                    | Q(
                        role__in=[StaffRoleKind.ENTERPRISE_ADMIN, StaffRoleKind.FINANCE],
                        enterprise__isnull=False,
                        station__isnull=True,
                    )
                    | Q(
                        role__in=[StaffRoleKind.STATION_MANAGER, StaffRoleKind.CASHIER],
                        enterprise__isnull=True,
                        station__isnull=False,
                    )
                ),
            )
        ]


class NonFuelItem(models.Model):
    """A good or service the station sells besides fuel (非油品): a bottle of water, a car wash. The station
    manager keeps the catalogue; a driver or the attendant puts items on a fuel order as their own lines."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="non_fuel_items", verbose_name=_("station")
    )
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    price_fen = models.BigIntegerField(_("price"))
    category = models.CharField(_("category"), max_length=12, choices=NonFuelCategory.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("non-fuel item")
        verbose_name_plural = _("non-fuel items")
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["station", "sku"], name="uniq_non_fuel_sku_per_station"),
            models.CheckConstraint(name="non_fuel_price_positive", condition=Q(price_fen__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"
