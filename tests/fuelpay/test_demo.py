"""The demo data (`manage.py seed_demo`, run by `make run`): weeks of real sales at the demo manager's
station, so the back office's home has fills, orders and charts that match the ledger."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from fuelpay.demo_history import HISTORY_DAYS
from orders.dashboard_selectors import dashboard_charts, dashboard_day_figures, dashboard_promotion_costs
from orders.models import FuelOrder
from pumpgateway.models import Fill
from stations.selectors import station_qs_visible_to
from wallet.selectors import station_sales_posted_fen

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_station_ids():
    call_command("seed_demo", stdout=io.StringIO())
    manager = get_user_model().objects.get(username="manager")
    return list(station_qs_visible_to(user=manager).values_list("pk", flat=True))


def test_demo_manager_sees_fills_and_orders_today_that_match_the_ledger(demo_station_ids):
    now = timezone.now() + timedelta(seconds=1)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = dashboard_day_figures(station_ids=demo_station_ids, start=midnight, end=now)
    paid = FuelOrder.objects.filter(station_id__in=demo_station_ids, paid_at__gte=midnight)
    assert today.orders == today.fills == paid.count() >= 3  # the demo drivers' three sales at least
    assert today.sales_fen == paid.aggregate(total=Sum(F("paid_fen") + F("debt_fen")))["total"]
    assert (today.unpaid_fills, today.refunds, today.refunded_fen) == (0, 1, 5_000)


def test_demo_history_covers_weeks_of_paid_fills_and_promotions_matching_the_ledger(demo_station_ids):
    now = timezone.now() + timedelta(seconds=1)
    start = now - timedelta(days=HISTORY_DAYS + 1)
    history = dashboard_day_figures(station_ids=demo_station_ids, start=start, end=now)
    fills = Fill.objects.filter(nozzle__station_id__in=demo_station_ids)
    assert history.fills == history.orders == fills.count() > 100
    assert history.sales_fen == station_sales_posted_fen(station_ids=demo_station_ids, start=start, end=now)
    days_with_sales = {timezone.localdate(at) for at in fills.values_list("completed_at", flat=True)}
    assert len(days_with_sales) >= HISTORY_DAYS  # every past day (today's may still be to come)
    charts = dashboard_charts(station_ids=demo_station_ids, end=now)
    assert sum(charts.sales_by_weekday) == station_sales_posted_fen(
        station_ids=demo_station_ids, start=now - timedelta(days=30), end=now
    )
    assert all(charts.sales_by_weekday) and charts.repurchase_rate_percent > 0
    costs = dashboard_promotion_costs(station_ids=demo_station_ids, today_start=start, end=now)
    assert {row.funder for row in costs.by_funder if row.period_fen > 0} == {"platform", "station"}
