from django.contrib import admin

from marketing.models import ContractOffer, TopUpBonusRule
from stations.admin_scoping import PlatformOnlyAdmin


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(PlatformOnlyAdmin):
    list_display = ["name", "min_amount_fen", "bonus_fen", "funder", "is_active"]


@admin.register(ContractOffer)
class ContractOfferAdmin(PlatformOnlyAdmin):
    list_display = ["station", "committed_fen", "days", "reward_bonus_fen", "funder", "is_active"]
