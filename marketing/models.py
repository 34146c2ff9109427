"""Promotion rules. The full engine (coupons, levels, points, campaigns) builds on these."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.enums import Funder


class TopUpBonusRule(models.Model):
    """Top up at least min_amount_fen, get bonus_fen on the bonus sub-balance (充2000送100)."""

    name = models.CharField(_("name"), max_length=80)
    min_amount_fen = models.BigIntegerField(_("minimum top-up (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"))
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices, default=Funder.PLATFORM)
    funding_station = models.ForeignKey("stations.Station", null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("top-up bonus rule")
        verbose_name_plural = _("top-up bonus rules")
        constraints = [
            models.CheckConstraint(
                name="bonus_rule_amounts_positive", condition=Q(min_amount_fen__gt=0, bonus_fen__gt=0)
            ),
            models.CheckConstraint(
                name="station_funded_rule_names_station",
                condition=Q(funder=Funder.PLATFORM) | Q(funding_station__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractOffer(models.Model):
    """合约加油: commit committed_fen at a station within days; fulfilled earns reward_bonus_fen."""

    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    committed_fen = models.BigIntegerField(_("commitment (fen)"))
    days = models.PositiveSmallIntegerField(_("days"))
    reward_bonus_fen = models.BigIntegerField(_("reward bonus (fen)"))
    funder = models.CharField(_("funded by"), max_length=12, choices=Funder.choices, default=Funder.STATION)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("contract offer")
        verbose_name_plural = _("contract offers")
        constraints = [
            models.CheckConstraint(
                name="contract_offer_positive", condition=Q(committed_fen__gt=0, days__gt=0, reward_bonus_fen__gte=0)
            ),
        ]
