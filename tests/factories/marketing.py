import factory

from marketing.enums import BenefitKind, Funder, PromotionScope, StackingClass
from marketing.models import Promotion


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
