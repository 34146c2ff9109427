from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from marketing.models import ContractOffer, TopUpBonusRule


@dataclass(frozen=True)
class BonusOffer:
    bonus_fen: int
    funder: str
    funding_station_id: int | None
    rule_name: str


@dataclass(frozen=True)
class ContractTerms:
    offer_id: int
    station_id: int
    committed_fen: int
    days: int
    reward_bonus_fen: int
    funder: str


def _rule_in_effect(now) -> Q:
    return (
        Q(is_active=True)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def top_up_bonus_offer_get(*, amount_fen: int) -> BonusOffer | None:
    """The single most generous active rule the amount qualifies for (rules do not stack)."""
    now = timezone.now()
    rule = (
        TopUpBonusRule.objects.filter(_rule_in_effect(now), min_amount_fen__lte=amount_fen)
        .order_by("-bonus_fen", "pk")
        .first()
    )
    if rule is None:
        return None
    return BonusOffer(
        bonus_fen=rule.bonus_fen, funder=rule.funder, funding_station_id=rule.funding_station_id, rule_name=rule.name
    )


def contract_terms_get(*, offer_id: int) -> ContractTerms | None:
    offer = ContractOffer.objects.filter(pk=offer_id, is_active=True).first()
    if offer is None:
        return None
    return ContractTerms(
        offer_id=offer.pk,
        station_id=offer.station_id,
        committed_fen=offer.committed_fen,
        days=offer.days,
        reward_bonus_fen=offer.reward_bonus_fen,
        funder=offer.funder,
    )


def promotion_list_for_driver() -> tuple[list[TopUpBonusRule], list[ContractOffer]]:
    """What the driver's home page advertises: top-up bonuses and contract offers in effect now."""
    rules = list(TopUpBonusRule.objects.filter(_rule_in_effect(timezone.now())).order_by("min_amount_fen"))
    offers = list(ContractOffer.objects.filter(is_active=True).select_related("station").order_by("committed_fen"))
    return rules, offers
