from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class PromotionTarget(models.TextChoices):
    FUEL = "fuel", _("Sales at the pump")
    TOP_UP = "top_up", _("Top-ups (储值满额送)")


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


class CouponKind(models.TextChoices):
    FUEL = "fuel", _("Fuel coupon (油品券)")
    NON_FUEL = "non_fuel", _("Non-fuel coupon (非油券)")
    GIFT = "gift", _("Gift coupon (礼品券)")
    PARTNER = "partner", _("Partner coupon (合作券)")


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("coupon status", "Available")
    LOCKED = "locked", _("Held by an order")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


# The coupon state machine: changed only through marketing.services.coupon_transition.
COUPON_TRANSITIONS = {
    CouponStatus.AVAILABLE: {CouponStatus.LOCKED, CouponStatus.EXPIRED},
    CouponStatus.LOCKED: {CouponStatus.USED, CouponStatus.AVAILABLE},
    CouponStatus.USED: set(),
    CouponStatus.EXPIRED: set(),
}


class CouponIssuedVia(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    RULE = "rule", _("Rule")
    STAFF = "staff", _("Staff")
    REFERRAL = "referral", _("Referral")


class Segment(models.TextChoices):
    """RFM-style driver segments, recomputed by a periodic task (marketing.segments)."""

    NEW = "new", _("New")
    POTENTIAL = "potential", _("Potential")
    HIGH_VALUE = "high_value", _("High value")
    AT_RISK = "at_risk", _("At risk")
    DORMANT = "dormant", _("Dormant (睡眠)")


class PointsKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    RETURN = "return", _("Returned (the order did not use them)")
    EXPIRE = "expire", _("Expired")


# Points rows a driver can still spend from (their remaining): earned, and given back by an order.
SPENDABLE_POINTS_KINDS = (PointsKind.EARN, PointsKind.RETURN)


class NotificationKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipts")
    TOP_UP = "top_up", _("Top-up credited")
    LOW_BALANCE = "low_balance", _("Low balance")
    EXPIRING = "expiring", _("Coupons or contracts expiring")
    CAMPAIGN = "campaign", _("Offers")
    REFUEL_REMINDER = "refuel_reminder", _("Refuelling reminders (加油提醒)")
    BIRTHDAY = "birthday", _("Birthday gifts")


# What a driver cannot switch off and what ignores quiet hours and frequency caps: money that moved.
TRANSACTIONAL_KINDS = (NotificationKind.RECEIPT, NotificationKind.TOP_UP)


class NotificationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    WAITING = "waiting", _("Waiting for the end of quiet hours")
    SUPPRESSED = "suppressed", _("Not sent")


class CampaignGroup(models.TextChoices):
    TARGET = "target", _("Targeted")
    HOLDOUT = "holdout", _("Holdout")


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the first paid fill")
    REWARDED = "rewarded", _("Rewarded")
    REFUSED = "refused", _("Refused")
