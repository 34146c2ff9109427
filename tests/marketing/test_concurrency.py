"""Budgets and flash-sale caps under real concurrency on PostgreSQL: threads with their own connections
quote and confirm at once; the promotion row lock makes the caps exact."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from marketing.engine import Draft
from marketing.enums import UseStatus
from marketing.exceptions import PromotionUsedUp
from marketing.models import Promotion, PromotionUse
from marketing.selectors import promotion_quote
from marketing.services import quote_reserve
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import PromotionFactory
from tests.factories.stations import StationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 40  # connections at once (the server's limit is shared); every claimer still races the others


def _draft(station) -> Draft:
    return Draft(
        station_id=station.pk,
        enterprise_id=station.enterprise_id,
        grade_code="92",
        grade_name="92#汽油",
        list_price_fen_per_litre=750,
        price_fen_per_litre=750,
        volume_ml=40_000,
        amount_fen=30_000,
        at=timezone.localtime(),
    )


def _confirm(draft, driver_id, reference):
    """What an order's confirmation does: quote, then reserve, in one transaction."""
    try:
        with transaction.atomic():
            quote = promotion_quote(draft=draft, driver_id=driver_id)
            quote_reserve(quote=quote, driver_id=driver_id, reference=reference, at=draft.at)
            return quote
    except PromotionUsedUp as error:
        return error
    finally:
        connection.close()


def _race(draft, drivers, claimers):
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(
            pool.map(
                _confirm,
                [draft] * claimers,
                [drivers[n % len(drivers)].pk for n in range(claimers)],
                [f"R{n}" for n in range(claimers)],
            )
        )


def test_two_hundred_concurrent_claimers_for_a_hundred_flash_sale_slots_exactly_a_hundred_win():
    station = StationFactory()
    flash = PromotionFactory(name="周六秒杀前100名88折", benefit_value=1200, uses_limit=100)
    drivers = [DriverFactory() for _ in range(20)]
    results = _race(_draft(station), drivers, 200)
    won = [r for r in results if not isinstance(r, PromotionUsedUp) and flash.pk in r.promotion_ids]
    assert len(won) == 100
    assert PromotionUse.objects.filter(promotion=flash, status=UseStatus.RESERVED).count() == 100
    assert Promotion.objects.get(pk=flash.pk).budget_used_fen == 100 * 3600


def test_a_budget_is_never_overspent_and_equals_the_sum_of_its_uses():
    station = StationFactory()
    budget = PromotionFactory(benefit_value=500, budget_fen=10_000)  # ¥15 a confirmation: six and a bit
    results = _race(_draft(station), [DriverFactory()], 60)
    promotion = Promotion.objects.get(pk=budget.pk)
    costs = list(PromotionUse.objects.filter(promotion=budget).values_list("cost_fen", flat=True))
    assert promotion.budget_used_fen == sum(costs) <= 10_000
    assert sum(costs) >= 10_000 - 1_500 and len(costs) >= 6  # the budget is spent, not left idle
    assert len([r for r in results if not isinstance(r, PromotionUsedUp)]) >= len(costs)


def test_a_per_day_cap_holds_exactly_under_concurrency():
    station = StationFactory()
    daily = PromotionFactory(per_day_limit=7)
    _race(_draft(station), [DriverFactory() for _ in range(5)], 40)
    assert PromotionUse.objects.filter(promotion=daily).count() == 7
