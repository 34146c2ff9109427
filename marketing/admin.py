from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.admin_base import ConstraintMessagesForm, FuelpayModelAdmin, constraint_messages_register
from core.audit import client_ip_get
from drivers.admin import PhoneSearchMixin
from marketing.models import (
    Campaign,
    ContractOffer,
    Coupon,
    CouponTemplate,
    MemberLevel,
    Promotion,
    SegmentSize,
    Standing,
)
from marketing.selectors import (
    campaign_audience_preview,
    campaign_report,
    coupon_template_preview_for_admin,
    coupon_template_report,
    promotion_preview_for_admin,
    promotion_report,
    scoped_qs_visible_to,
    segment_size_qs_visible_to,
)
from marketing.services import campaign_authoring_check, campaign_launch, promotion_authoring_check
from stations.admin_scoping import AuditedChangesAdmin, PlatformOnlyAdmin, run_service_for_admin
from stations.selectors import staff_can_manage_station_setup, station_qs_visible_to, user_is_platform_admin

constraint_messages_register(
    {
        "contract_offer_positive": (
            "committed_fen",
            _("The commitment and the days must be above zero and the reward not negative."),
        ),
        "promotion_amounts_not_negative": ("benefit_value", _("Discounts, minimums and budgets cannot be negative.")),
        "promotion_budget_holds": ("budget_fen", _("The budget cannot be below what has already been spent.")),
        "promotion_hours_valid": ("hour_from", _("Hours run from 0 to 24; give both or neither.")),
        "coupon_template_amounts_positive": ("benefit_value", _("The coupon's value must be above zero.")),
        "coupon_template_discount_benefit": (
            "benefit_kind",
            _("A coupon gives a percentage, an amount or a per-litre discount."),
        ),
        "partner_coupon_names_partner": ("partner_code", _("A partner coupon must name its partner.")),
        "staff_issue_has_reason_and_person": ("reason", _("A coupon issued by staff needs the person and a reason.")),
        "member_level_spend_positive": ("min_spend_90d_fen", _("The level's spending threshold must be above zero.")),
        "standing_points_not_negative": ("points", _("Points cannot be negative.")),
        "campaign_holdout_in_range": ("holdout_percent", _("The holdout may be at most 90 percent.")),
        "segment_size_once_a_day": ("day", _("A segment's size is counted once a day for each scope.")),
    }
)


@admin.register(ContractOffer)
class ContractOfferAdmin(AuditedChangesAdmin, PlatformOnlyAdmin):
    list_display = ["station", "committed_fen", "days", "reward_bonus_fen", "funder", "is_active"]
    list_filter = ["funder", "is_active"]
    search_fields = ["station__name"]


class FundedOfferForm(ConstraintMessagesForm):
    """A promotion or a coupon template: who may author it where, and who funds it."""

    def clean(self):
        cleaned = super().clean()
        promotion_authoring_check(
            user=self.user,
            scope=cleaned.get("scope"),
            enterprise=cleaned.get("enterprise"),
            stations=list(cleaned.get("stations") or []),
            funder=cleaned.get("funder"),
            funding_station=cleaned.get("funding_station"),
        )
        return cleaned


class PromotionForm(FundedOfferForm):
    class Meta:
        model = Promotion
        fields = [
            "name",
            "name_en",
            "is_active",
            "applies_to",
            "scope",
            "enterprise",
            "stations",
            "starts_at",
            "ends_at",
            "weekdays",
            "hour_from",
            "hour_to",
            "grade_codes",
            "nonfuel_categories",
            "min_amount_fen",
            "min_volume_ml",
            "member_levels",
            "first_order_only",
            "payment_modes",
            "segments",
            "vehicle_fuel_types",
            "benefit_kind",
            "benefit_value",
            "funder",
            "funding_station",
            "budget_fen",
            "per_driver_limit",
            "per_day_limit",
            "uses_limit",
            "stacking",
            "stack_group",
            "priority",
        ]


class ScopedAuthoringAdmin(AuditedChangesAdmin, FuelpayModelAdmin):
    """Platform staff author any row; enterprise admins and station managers only rows scoped to their own
    stations (or enterprise), chosen among their own stations. The form's clean() checks the scope. Every save
    is an audit event (promotions, coupon templates and campaigns are money-relevant settings)."""

    filter_horizontal = ["stations"]

    def get_queryset(self, request):
        return scoped_qs_visible_to(model=self.model, user=request.user)

    def _may(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and staff_can_manage_station_setup(user=request.user)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # coupons, uses and receipt lines refer to it: switch it off instead

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "funding_station":
            kwargs["queryset"] = station_qs_visible_to(user=request.user)
        if db_field.name == "coupon_template":
            kwargs["queryset"] = scoped_qs_visible_to(model=CouponTemplate, user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "stations":
            kwargs["queryset"] = station_qs_visible_to(user=request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Promotion)
class PromotionAdmin(ScopedAuthoringAdmin):
    """Platform staff author any promotion; enterprise admins and station managers their own stations',
    funded by them. A new promotion starts inactive: the change page previews its lines on sample sales
    before it is switched on, and reports its uses, cost and budget left."""

    form = PromotionForm
    list_display = ["name", "applies_to", "scope", "benefit_kind", "benefit_value", "funder", "priority", "is_active"]
    list_filter = ["is_active", "applies_to", "scope", "benefit_kind", "funder"]
    search_fields = ["name", "name_en"]
    readonly_fields = ["budget_used_fen", "preview", "report"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        cases = promotion_preview_for_admin(promotion=obj) if obj and obj.pk else []
        if not cases:
            return _("Save the promotion, with a station that sells fuel in its scope, to preview it.")
        return render_to_string("marketing/admin_preview.html", {"cases": cases})

    @admin.display(description=_("report"))
    def report(self, obj):
        if not obj or not obj.pk:
            return "-"
        return render_to_string("marketing/admin_report.html", {"report": promotion_report(promotion=obj)})


class CouponTemplateForm(FundedOfferForm):
    class Meta:
        model = CouponTemplate
        fields = [
            "name",
            "name_en",
            "kind",
            "partner_code",
            "is_active",
            "scope",
            "enterprise",
            "stations",
            "benefit_kind",
            "benefit_value",
            "min_amount_fen",
            "grade_codes",
            "nonfuel_categories",
            "funder",
            "funding_station",
            "valid_days",
            "points_price",
            "for_referrals",
        ]

    def clean(self):
        cleaned = super().clean()
        platform_only = [name for name in ("points_price", "for_referrals") if cleaned.get(name)]
        if platform_only and not user_is_platform_admin(user=self.user):
            raise ValidationError({platform_only[0]: _("The points shop and referral rewards are the platform's.")})
        return cleaned


@admin.register(CouponTemplate)
class CouponTemplateAdmin(ScopedAuthoringAdmin):
    """Coupons (油品券/非油券/礼品券/合作券) authored by the platform, or by station staff for their own stations and
    funded by them; the change page previews the coupon on a sample sale and reports its coupons."""

    form = CouponTemplateForm
    list_display = ["name", "kind", "scope", "benefit_kind", "benefit_value", "min_amount_fen", "funder", "is_active"]
    list_filter = ["kind", "scope", "is_active"]
    search_fields = ["name", "partner_code"]
    readonly_fields = ["preview", "report"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        cases = coupon_template_preview_for_admin(template=obj) if obj and obj.pk else []
        if not cases:
            return _("Save the coupon, with a station that sells fuel in its scope, to preview it.")
        return render_to_string("marketing/admin_preview.html", {"cases": cases})

    @admin.display(description=_("report"))
    def report(self, obj):
        if not obj or not obj.pk:
            return "-"
        report = coupon_template_report(template=obj)
        return render_to_string("marketing/admin_coupon_report.html", {"report": report})


@admin.register(Coupon)
class CouponAdmin(PlatformOnlyAdmin):
    """Coupons are issued by services (campaigns, rules, staff with a reason); the admin shows them."""

    list_display = ["pk", "template", "driver", "status", "valid_until", "issued_via", "issued_by", "reason"]
    list_filter = ["status", "issued_via", "template__kind"]
    search_fields = ["template__name", "reference"]
    readonly_fields = [f.name for f in Coupon._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MemberLevel)
class MemberLevelAdmin(AuditedChangesAdmin, PlatformOnlyAdmin):
    list_display = ["code", "name", "min_spend_90d_fen", "birthday_coupon"]
    list_filter = ["birthday_coupon"]
    search_fields = ["code", "name"]


@admin.register(Standing)
class StandingAdmin(PhoneSearchMixin, PlatformOnlyAdmin):
    list_display = ["driver", "level", "segment", "points", "spend_90d_fen", "last_paid_at"]
    list_filter = ["level", "segment"]
    search_fields = ["=driver__phone_digest"]
    readonly_fields = [f.name for f in Standing._meta.fields]

    def has_add_permission(self, request):
        return False  # a driver's standing is computed from payments, never entered


class CampaignForm(ConstraintMessagesForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "scope",
            "enterprise",
            "stations",
            "segment",
            "coupon_template",
            "title",
            "body",
            "holdout_percent",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.launched_at is not None:
            raise ValidationError(_("A launched campaign cannot be changed; copy it into a new one."))
        campaign_authoring_check(
            user=self.user,
            scope=cleaned.get("scope"),
            enterprise=cleaned.get("enterprise"),
            stations=list(cleaned.get("stations") or []),
            coupon_template=cleaned.get("coupon_template"),
        )
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(ScopedAuthoringAdmin):
    """Campaigns target a segment of the author's drivers (the platform's, or by what they did at the
    campaign's stations); the change page previews the audience before the launch, and after it reports the
    targeted against the holdout."""

    form = CampaignForm
    list_display = ["name", "scope", "segment", "coupon_template", "holdout_percent", "launched_at"]
    list_filter = ["segment", "scope"]
    search_fields = ["name"]
    readonly_fields = ["launched_at", "audience", "uplift_report"]
    actions = ["launch"]

    @admin.action(description=_("Launch (coupon and message to the segment, holdout kept out)"))
    def launch(self, request, queryset):
        for campaign in queryset:
            run_service_for_admin(
                request,
                campaign_launch,
                _("Launched."),
                campaign_id=campaign.pk,
                actor=request.user,
                client_ip=client_ip_get(request),
            )

    @admin.display(description=_("audience"))
    def audience(self, obj):
        if not obj or not obj.pk:
            return _("Save the campaign to see whom it reaches.")
        preview = campaign_audience_preview(campaign=obj)
        return render_to_string("marketing/admin_campaign_audience.html", {"preview": preview, "campaign": obj})

    @admin.display(description=_("report"))
    def uplift_report(self, obj):
        if not obj or obj.launched_at is None:
            return "-"
        target, holdout, result = campaign_report(campaign=obj)
        return render_to_string(
            "marketing/admin_campaign_report.html", {"target": target, "holdout": holdout, "uplift": result}
        )


@admin.register(SegmentSize)
class SegmentSizeAdmin(FuelpayModelAdmin):
    """Segment sizes over time (the nightly refresh): the platform's, each station's and each enterprise's.
    Station staff see their own stations' and enterprise's only."""

    list_display = ["day", "scope_label", "segment", "drivers"]
    list_filter = ["segment", "day"]
    search_fields = ["station__name", "enterprise__name"]
    date_hierarchy = "day"
    ordering = ["-day", "scope_key", "segment"]

    def get_queryset(self, request):
        return segment_size_qs_visible_to(user=request.user).select_related("station", "enterprise")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and staff_can_manage_station_setup(user=request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False  # counted by the nightly refresh, never entered

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("scope"), ordering="scope_key")
    def scope_label(self, obj):
        return obj.station or obj.enterprise or _("Every station")
