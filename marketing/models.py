"""The engine's promotions (marketing.engine; top-up bonuses are promotions too), coupons, contract offers."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketing.enums import (
    BenefitKind,
    CampaignGroup,
    CouponIssuedVia,
    CouponKind,
    CouponStatus,
    Funder,
    NotificationKind,
    NotificationStatus,
    PointsKind,
    PromotionScope,
    PromotionTarget,
    ReferralStatus,
    Segment,
    StackingClass,
    UseStatus,
)


class ContractOffer(models.Model):
    """合约加油: commit committed_fen at a station within days; fulfilled earns reward_bonus_fen."""

    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    committed_fen = models.BigIntegerField(_("commitment (fen)"))
    days = models.PositiveSmallIntegerField(_("days"))
    reward_bonus_fen = models.BigIntegerField(_("reward bonus (fen)"))
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices, default=Funder.STATION)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contract offer")
        verbose_name_plural = _("contract offers")
        constraints = [
            models.CheckConstraint(
                name="contract_offer_positive", condition=Q(committed_fen__gt=0, days__gt=0, reward_bonus_fen__gte=0)
            ),
        ]


class Scoped(models.Model):
    """Where an offer applies: the whole platform, one enterprise, or a list of stations."""

    scope = models.CharField(_("scope"), max_length=12, choices=PromotionScope.choices)
    enterprise = models.ForeignKey(
        "stations.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    stations = models.ManyToManyField("stations.Station", blank=True, related_name="+", verbose_name=_("stations"))

    class Meta:
        abstract = True


class Promotion(Scoped):
    """One promotion = scope + schedule + conditions + benefit + funder + caps + stacking (marketing.engine).

    benefit_value's unit by benefit_kind: percent_off basis points off (500 = 5% off = 95折); amount_off fen;
    per_litre_off fen per litre; fixed_price fen per litre; bonus_credit fen; extra_points points;
    coupon_grant the coupon template's id; station_price none (the station's own GradePrice difference).
    Empty list conditions mean "any". Hours are local; hour_from > hour_to runs across midnight (22→6).
    """

    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    is_active = models.BooleanField(_("active"), default=False)
    # A top-up promotion (储值满额送) gives bonus credit on a top-up of at least min_amount_fen.
    applies_to = models.CharField(
        _("applies to"), max_length=8, choices=PromotionTarget.choices, default=PromotionTarget.FUEL
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    weekdays = models.CharField(_("weekdays (1=Mon … 7=Sun; empty: every day)"), max_length=7, blank=True)
    hour_from = models.PositiveSmallIntegerField(_("from hour"), null=True, blank=True)
    hour_to = models.PositiveSmallIntegerField(_("to hour"), null=True, blank=True)
    grade_codes = models.JSONField(_("fuel grades"), default=list, blank=True)
    nonfuel_categories = models.JSONField(_("non-fuel categories"), default=list, blank=True)
    min_amount_fen = models.BigIntegerField(_("minimum amount (fen)"), default=0)
    min_volume_ml = models.BigIntegerField(_("minimum volume (ml)"), default=0)
    member_levels = models.JSONField(_("member levels"), default=list, blank=True)
    first_order_only = models.BooleanField(_("first order only"), default=False)
    payment_modes = models.JSONField(_("payment modes"), default=list, blank=True)
    segments = models.JSONField(_("driver segments"), default=list, blank=True)
    vehicle_fuel_types = models.JSONField(_("vehicle fuel types"), default=list, blank=True)
    benefit_kind = models.CharField(_("benefit"), max_length=16, choices=BenefitKind.choices)
    benefit_value = models.BigIntegerField(_("benefit value"), default=0)
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices)
    funding_station = models.ForeignKey(
        "stations.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("funding station"),
    )
    budget_fen = models.BigIntegerField(_("budget (fen; empty: unlimited)"), null=True, blank=True)
    per_driver_limit = models.PositiveIntegerField(_("uses per driver"), null=True, blank=True)
    per_day_limit = models.PositiveIntegerField(_("uses per day"), null=True, blank=True)
    # 限时秒杀: "the first 100" — an exact cap on all uses, held under concurrent confirmations.
    uses_limit = models.PositiveIntegerField(_("uses in all (flash sale)"), null=True, blank=True)
    budget_used_fen = models.BigIntegerField(_("budget used (fen)"), default=0)  # reserved + settled
    stacking = models.CharField(_("stacking"), max_length=10, choices=StackingClass.choices)
    stack_group = models.CharField(_("stacking group"), max_length=30, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(
        _("updated at"), auto_now=True
    )  # the quote path's cache stamp (marketing.selectors)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.CheckConstraint(
                name="promotion_amounts_not_negative",
                condition=Q(benefit_value__gte=0, min_amount_fen__gte=0, min_volume_ml__gte=0, budget_used_fen__gte=0),
            ),
            models.CheckConstraint(
                name="promotion_budget_holds",
                condition=Q(budget_fen__isnull=True) | Q(budget_used_fen__lte=F("budget_fen")),
            ),
            models.CheckConstraint(
                name="promotion_hours_valid",
                condition=(Q(hour_from__isnull=True) & Q(hour_to__isnull=True)) | Q(hour_from__lte=23, hour_to__lte=24),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """What an author can get wrong, in plain words (the admin shows these next to the fields)."""
        errors = {}
        value = self.benefit_value or 0
        if self.benefit_kind == BenefitKind.PERCENT_OFF and not 0 < value <= 10_000:
            errors["benefit_value"] = _(
                "Percent off is in basis points: 500 means 5 percent off (95折), at most 10000."
            )
        elif self.benefit_kind not in (BenefitKind.STATION_PRICE, BenefitKind.PERCENT_OFF) and value <= 0:
            errors["benefit_value"] = _("Give the benefit a value above zero.")
        if (self.hour_from is None) != (self.hour_to is None):
            errors["hour_to"] = _("Give both hours, or neither.")
        elif self.hour_from is not None and (self.hour_from > 23 or not 0 < self.hour_to <= 24):
            errors["hour_to"] = _("Hours run from 0 to 24; 22 to 6 runs across midnight.")
        elif self.hour_from is not None and self.hour_from == self.hour_to:
            errors["hour_to"] = _("The hours must differ.")
        if self.weekdays and not set(self.weekdays) <= set("1234567"):
            errors["weekdays"] = _("Weekdays are digits 1 (Monday) to 7 (Sunday), e.g. 67 for weekends.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must come after the start.")
        if self.scope == PromotionScope.ENTERPRISE and self.enterprise_id is None:
            errors["enterprise"] = _("Name the enterprise whose stations run it.")
        if self.funder == Funder.STATION and self.funding_station_id is None:
            errors["funding_station"] = _("Name the station that funds it.")
        if self.applies_to == PromotionTarget.TOP_UP and self.benefit_kind != BenefitKind.BONUS_CREDIT:
            errors["benefit_kind"] = _("A top-up promotion gives bonus credit.")
        if errors:
            raise ValidationError(errors)


class PromotionUse(models.Model):
    """A promotion's use by one order (reference): reserved at confirm, settled at capture or released.
    Caps count the uses that are not released; the budget counts their cost (Promotion.budget_used_fen)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="uses", verbose_name=_("promotion"))
    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    reference = models.CharField(_("reference"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=UseStatus.choices)
    cost_fen = models.BigIntegerField(_("cost fen"))
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion use")
        verbose_name_plural = _("promotion uses")
        constraints = [models.UniqueConstraint(fields=["promotion", "reference"], name="promotion_use_once_per_order")]
        indexes = [models.Index(fields=["reference"])]


class CouponTemplate(Scoped):
    """What a coupon gives and where (油品券/非油券/礼品券/合作券). A partner coupon carries the partner's code
    and is settled with the partner. benefit_value's unit as Promotion's (amount_off fen, percent_off basis
    points, per_litre_off fen per litre)."""

    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=CouponKind.choices)
    partner_code = models.CharField(_("partner code"), max_length=40, blank=True)
    points_price = models.PositiveIntegerField(_("price in points (empty: not for points)"), null=True, blank=True)
    for_referrals = models.BooleanField(_("given to both sides of a referral"), default=False)
    benefit_kind = models.CharField(_("benefit"), max_length=16, choices=BenefitKind.choices)
    benefit_value = models.BigIntegerField(_("benefit value"))
    min_amount_fen = models.BigIntegerField(_("minimum amount (fen)"), default=0)
    grade_codes = models.JSONField(_("fuel grades"), default=list, blank=True)
    nonfuel_categories = models.JSONField(_("non-fuel categories"), default=list, blank=True)
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices)
    funding_station = models.ForeignKey(
        "stations.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("funding station"),
    )
    valid_days = models.PositiveSmallIntegerField(_("valid for (days from issue)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        constraints = [
            models.CheckConstraint(
                name="coupon_template_amounts_positive", condition=Q(benefit_value__gt=0, min_amount_fen__gte=0)
            ),
            models.CheckConstraint(
                name="coupon_template_discount_benefit",
                condition=Q(benefit_kind__in=["percent_off", "amount_off", "per_litre_off"]),
            ),
            models.CheckConstraint(
                name="partner_coupon_names_partner",
                condition=~Q(kind="partner") | ~Q(partner_code=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """One driver's coupon: single use; locked while an order holds it, returned if the order does not pay."""

    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("template")
    )
    driver = models.ForeignKey(
        "drivers.Driver", on_delete=models.PROTECT, related_name="coupons", verbose_name=_("driver")
    )
    status = models.CharField(_("status"), max_length=10, choices=CouponStatus.choices)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    issued_via = models.CharField(_("issued via"), max_length=10, choices=CouponIssuedVia.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=40, blank=True)  # the order holding or having used it
    # When used: its discount on that order (what its funder, or its partner, settles) and when.
    used_fen = models.BigIntegerField(_("discount given (fen)"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        indexes = [models.Index(fields=["driver", "status"]), models.Index(fields=["reference"])]
        constraints = [
            models.CheckConstraint(
                name="staff_issue_has_reason_and_person",
                condition=~Q(issued_via="staff") | (Q(issued_by__isnull=False) & ~Q(reason="")),
            ),
        ]


class MemberLevel(models.Model):
    """会员等级: reached by rolling 90-day spend. Its benefits are promotions and coupons naming the level."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=30)
    name_en = models.CharField(_("name (English)"), max_length=30)
    min_spend_90d_fen = models.BigIntegerField(_("90-day spend from (fen)"), unique=True)
    birthday_coupon = models.ForeignKey(
        CouponTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("birthday gift"),
    )

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["min_spend_90d_fen"]
        constraints = [models.CheckConstraint(name="member_level_spend_positive", condition=Q(min_spend_90d_fen__gt=0))]

    def __str__(self) -> str:
        return self.name


class Standing(models.Model):
    """A driver's loyalty standing: level (rolling 90-day spend), segment, points. Changed by marketing's
    services only; the row lock serialises a driver's points."""

    driver = models.OneToOneField(
        "drivers.Driver", on_delete=models.PROTECT, related_name="standing", verbose_name=_("driver")
    )
    level = models.CharField(_("member level"), max_length=20, blank=True)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices, default=Segment.NEW)
    points = models.BigIntegerField(_("points"), default=0)
    spend_90d_fen = models.BigIntegerField(_("90-day spend (fen)"), default=0)
    paid_orders = models.PositiveIntegerField(_("paid orders"), default=0)
    last_paid_at = models.DateTimeField(_("last paid"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member standing")
        verbose_name_plural = _("member standings")
        constraints = [models.CheckConstraint(name="standing_points_not_negative", condition=Q(points__gte=0))]


class PointsEntry(models.Model):
    """积分 history, one row per change. An earn row keeps what is left of it (remaining) until redeemed
    (oldest first) or expired."""

    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    kind = models.CharField(_("kind"), max_length=8, choices=PointsKind.choices)
    points = models.BigIntegerField(_("points"))  # signed
    paid_fen = models.BigIntegerField(_("paid"), default=0)  # an earn row: what the driver paid (the 90-day spend)
    remaining = models.BigIntegerField(_("remaining"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=40)
    # An earn row: where the driver paid (each station's and enterprise's own segments come from these).
    station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["driver", "kind", "reference"], name="points_entry_once"),
            models.CheckConstraint(name="points_remaining_in_range", condition=Q(remaining__gte=0)),
        ]
        indexes = [models.Index(fields=["driver", "kind", "created_at"])]


class SegmentSize(models.Model):
    """How many drivers each segment held on a day (standings_refresh), for the sizes over time: across the
    platform (no station, no enterprise), among one station's drivers, or among one enterprise's."""

    day = models.DateField(_("day"))
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices)
    drivers = models.PositiveIntegerField(_("drivers"))
    station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    enterprise = models.ForeignKey(
        "stations.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    scope_key = models.CharField(_("scope"), max_length=24, default="platform")  # platform, station:N, enterprise:N

    class Meta:
        verbose_name = _("segment size")
        verbose_name_plural = _("segment sizes")
        constraints = [
            models.UniqueConstraint(fields=["day", "segment", "scope_key"], name="segment_size_once_a_day"),
        ]


class Notification(models.Model):
    """消息通知: one message to one driver, through the configured channel; the in-app inbox lists them."""

    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=80)
    body = models.CharField(_("message"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=NotificationStatus.choices)
    why_not_sent = models.CharField(_("why not sent"), max_length=20, blank=True)  # opted_out / frequency_cap
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A trigger's message is sent at most once: its event (low_balance:<order>, coupon_expiring:<coupon>, …).
    dedup_key = models.CharField(_("event"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["driver", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["driver", "dedup_key"], condition=~Q(dedup_key=""), name="notification_once_per_event"
            ),
        ]


class NotificationOptOut(models.Model):
    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["driver", "kind"], name="notification_opt_out_once")]


class Campaign(Scoped):
    """A segment targeted with a coupon and a message; a random holdout group gets neither, so the report
    measures uplift (targeted against holdout), not just redemptions. Its scope says whose drivers it targets
    and by which segment: the platform's, or those who paid at its stations, segmented by what they did there."""

    scope = models.CharField(_("scope"), max_length=12, choices=PromotionScope.choices, default=PromotionScope.PLATFORM)

    name = models.CharField(_("name"), max_length=60)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices)
    coupon_template = models.ForeignKey(
        CouponTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("coupon")
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.CharField(_("message"), max_length=300)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=10)
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(name="campaign_holdout_in_range", condition=Q(holdout_percent__lte=90)),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="members", verbose_name=_("campaign"))
    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    group = models.CharField(_("group"), max_length=8, choices=CampaignGroup.choices)
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("coupon")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "driver"], name="campaign_member_once")]


class ReferralCode(models.Model):
    """裂变: a driver's invite code (the invite link carries it)."""

    driver = models.OneToOneField(
        "drivers.Driver", on_delete=models.PROTECT, related_name="referral_code", verbose_name=_("driver")
    )
    code = models.CharField(_("code"), max_length=12, unique=True)


class Referral(models.Model):
    """An invitee who signed up with an inviter's code. Both get the referral coupon once the invitee's first
    paid fill completes, unless the pair looks like abuse (refusal_reason says which rule)."""

    inviter = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("inviter"))
    invitee = models.OneToOneField(
        "drivers.Driver", on_delete=models.PROTECT, related_name="referred_by", verbose_name=_("invitee")
    )
    device_digest = models.CharField(
        _("device digest"), max_length=64
    )  # the invitee's device at sign-up (keyed digest)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    refusal_reason = models.CharField(_("refusal reason"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rewarded_at = models.DateTimeField(_("rewarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(name="referral_not_self", condition=~Q(inviter=F("invitee"))),
        ]


class BirthdayGift(models.Model):
    """The member level's birthday coupon, given once a year (the constraint makes the task idempotent)."""

    driver = models.ForeignKey("drivers.Driver", on_delete=models.PROTECT, related_name="+", verbose_name=_("driver"))
    year = models.PositiveSmallIntegerField(_("year"))
    coupon = models.OneToOneField(Coupon, on_delete=models.PROTECT, related_name="+", verbose_name=_("coupon"))

    class Meta:
        verbose_name = _("birthday gift")
        verbose_name_plural = _("birthday gifts")
        constraints = [models.UniqueConstraint(fields=["driver", "year"], name="birthday_gift_once_a_year")]
