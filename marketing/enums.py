from django.db import models
from django.utils.translation import gettext_lazy as _


class Funder(models.TextChoices):
    """Who bears the cost of a promotion."""

    PLATFORM = "platform", _("Platform")
    STATION = "station", _("Station")


class LineKind(models.TextChoices):
    """Kinds of quote and receipt lines (orders store them as OrderLine.kind)."""

    FUEL = "fuel", _("Fuel")
    DISCOUNT = "discount", _("Discount")
    NON_FUEL = "non_fuel", _("Non-fuel item")


class PromotionScope(models.TextChoices):
    PLATFORM = "platform", _("Every station")
    ENTERPRISE = "enterprise", _("One enterprise's stations")
    STATIONS = "stations", _("Listed stations")


class BenefitKind(models.TextChoices):
    """What a promotion gives. benefit_value's unit depends on the kind (see Promotion.benefit_value)."""

    PERCENT_OFF = "percent_off", _("Percent off (折)")
    AMOUNT_OFF = "amount_off", _("Amount off (满减)")
    PER_LITRE_OFF = "per_litre_off", _("Per-litre off (直降)")
    FIXED_PRICE = "fixed_price", _("Fixed price per litre")
    # 明折明扣: the station's own price below the list price (stations' GradePrice); always applied first.
    STATION_PRICE = "station_price", _("Station price below list (明折明扣)")
    BONUS_CREDIT = "bonus_credit", _("Bonus credit")
    COUPON_GRANT = "coupon_grant", _("Coupon grant")
    EXTRA_POINTS = "extra_points", _("Extra points")


DISCOUNT_BENEFITS = (
    BenefitKind.PERCENT_OFF,
    BenefitKind.AMOUNT_OFF,
    BenefitKind.PER_LITRE_OFF,
    BenefitKind.FIXED_PRICE,
    BenefitKind.STATION_PRICE,
)


class StackingClass(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Exclusive (never combined)")
    STACKABLE = "stackable", _("Stackable (with others; one per stacking group)")


class PaymentMode(models.TextChoices):
    """The orders' modes, named here so conditions can refer to them (orders.enums.OrderMode uses these)."""

    PREPAID = "prepaid", _("Prepaid (一键加油)")
    POSTPAID = "postpaid", _("Postpaid (闪付)")


class UseStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved at confirm")
    SETTLED = "settled", _("Settled at capture")
    RELEASED = "released", _("Released")
