from django.contrib import admin

from marketing.models import ContractOffer, Coupon, CouponTemplate, Promotion, TopUpBonusRule
from stations.admin_scoping import PlatformOnlyAdmin


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(PlatformOnlyAdmin):
    list_display = ["name", "min_amount_fen", "bonus_fen", "funder", "is_active"]


@admin.register(ContractOffer)
class ContractOfferAdmin(PlatformOnlyAdmin):
    list_display = ["station", "committed_fen", "days", "reward_bonus_fen", "funder", "is_active"]


@admin.register(Promotion)
class PromotionAdmin(PlatformOnlyAdmin):
    list_display = ["name", "scope", "benefit_kind", "benefit_value", "funder", "stacking", "priority", "is_active"]
    list_filter = ["is_active", "scope", "benefit_kind", "funder"]
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
