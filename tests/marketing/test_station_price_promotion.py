"""The station price (明折明扣) promotion every quote needs survives a flushed or damaged database."""

import pytest
from django.core.management import call_command

from marketing.enums import BenefitKind
from marketing.models import Promotion

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_flushed_database_gets_the_station_price_promotion_back():
    Promotion.objects.all().delete()

    call_command("flush", "--noinput", verbosity=0)

    promotion = Promotion.objects.get(benefit_kind=BenefitKind.STATION_PRICE)
    assert (promotion.is_active, promotion.funder, promotion.scope) == (True, "station", "platform")


def test_an_existing_station_price_promotion_is_left_as_staff_set_it():
    Promotion.objects.filter(benefit_kind=BenefitKind.STATION_PRICE).update(priority=7)

    call_command("migrate", verbosity=0)

    assert list(
        Promotion.objects.filter(benefit_kind=BenefitKind.STATION_PRICE).values_list("priority", flat=True)
    ) == [7]
