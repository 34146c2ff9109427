from django.contrib import admin

from fuelpay.admin_scoping import PlatformOnlyAdmin
from marketing.models import ContractOffer, TopUpBonusRule


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(PlatformOnlyAdmin):
    list_display = ["name", "min_amount_fen", "bonus_fen", "funder", "is_active"]


@admin.register(ContractOffer)
class ContractOfferAdmin(PlatformOnlyAdmin):
    list_display = ["station", "committed_fen", "days", "reward_bonus_fen", "funder", "is_active"]
