from django.contrib import admin

from marketing.models import ContractOffer, Coupon, CouponTemplate, MemberLevel, Promotion, Standing
from stations.admin_scoping import PlatformOnlyAdmin


@admin.register(ContractOffer)
class ContractOfferAdmin(PlatformOnlyAdmin):
    list_display = ["station", "committed_fen", "days", "reward_bonus_fen", "funder", "is_active"]


@admin.register(Promotion)
class PromotionAdmin(PlatformOnlyAdmin):
    list_display = [
        "name",
        "applies_to",
        "scope",
        "benefit_kind",
        "benefit_value",
        "funder",
        "stacking",
        "priority",
        "is_active",
    ]
    list_filter = ["is_active", "applies_to", "scope", "benefit_kind", "funder"]
    filter_horizontal = ["stations"]
    readonly_fields = ["budget_used_fen"]


@admin.register(CouponTemplate)
class CouponTemplateAdmin(PlatformOnlyAdmin):
    list_display = ["name", "kind", "partner_code", "benefit_kind", "benefit_value", "min_amount_fen", "is_active"]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["stations"]


@admin.register(Coupon)
class CouponAdmin(PlatformOnlyAdmin):
    """Coupons are issued by services (campaigns, rules, staff with a reason); the admin shows them."""

    list_display = ["pk", "template", "driver", "status", "valid_until", "issued_via", "issued_by", "reason"]
    list_filter = ["status", "issued_via", "template__kind"]
    readonly_fields = [f.name for f in Coupon._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MemberLevel)
class MemberLevelAdmin(PlatformOnlyAdmin):
    list_display = ["code", "name", "min_spend_90d_fen", "birthday_coupon"]


@admin.register(Standing)
class StandingAdmin(PlatformOnlyAdmin):
    list_display = ["driver", "level", "segment", "points", "spend_90d_fen", "last_paid_at"]
    list_filter = ["level", "segment"]
    readonly_fields = [f.name for f in Standing._meta.fields]
