import factory

from marketing.enums import BenefitKind, CouponKind, Funder, PromotionScope, PromotionTarget, Segment, StackingClass
from marketing.models import Campaign, CouponTemplate, Promotion


class PromotionFactory(factory.django.DjangoModelFactory):
    """An active platform-wide 95折, stackable, funded by the platform; override what the test is about."""

    class Meta:
        model = Promotion

    name = factory.Sequence(lambda n: f"活动{n}")
    name_en = factory.Sequence(lambda n: f"Promotion {n}")
    is_active = True
    scope = PromotionScope.PLATFORM
    benefit_kind = BenefitKind.PERCENT_OFF
    benefit_value = 500
    funder = Funder.PLATFORM
    stacking = StackingClass.STACKABLE


class CouponTemplateFactory(factory.django.DjangoModelFactory):
    """A platform-wide ¥10 fuel coupon, valid 30 days."""

    class Meta:
        model = CouponTemplate

    name = factory.Sequence(lambda n: f"油品券{n}")
    name_en = factory.Sequence(lambda n: f"Fuel coupon {n}")
    kind = CouponKind.FUEL
    benefit_kind = BenefitKind.AMOUNT_OFF
    benefit_value = 1000
    scope = PromotionScope.PLATFORM
    funder = Funder.PLATFORM


def top_up_bonus(*, name: str, min_amount_fen: int, bonus_fen: int, funder: str = Funder.PLATFORM, **fields):
    """储值满额送: a top-up promotion giving bonus_fen on a top-up of at least min_amount_fen."""
    return PromotionFactory(
        name=name,
        applies_to=PromotionTarget.TOP_UP,
        benefit_kind=BenefitKind.BONUS_CREDIT,
        benefit_value=bonus_fen,
        min_amount_fen=min_amount_fen,
        funder=funder,
        stacking=StackingClass.EXCLUSIVE,
        **fields,
    )


class CampaignFactory(factory.django.DjangoModelFactory):
    """A platform campaign to the dormant segment with a message and a 10% holdout, not launched."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"活动推送{n}")
    scope = PromotionScope.PLATFORM
    segment = Segment.DORMANT
    title = "好久不见"
    body = "送您一张加油券"
    holdout_percent = 10
