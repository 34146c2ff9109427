from django.contrib import admin

from marketing.models import ContractOffer, Promotion, TopUpBonusRule
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
