"""The station manager's home: today's figures come from the database and match the ledger."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from fuelpay.demo_history import clock_at
from marketing.enums import BenefitKind, Funder, PromotionScope
from orders.dashboard_selectors import (
    dashboard_charts,
    dashboard_day_figures,
    dashboard_price_schedule,
    dashboard_promotion_costs,
)
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CampaignFactory, PromotionFactory
from tests.factories.orders import paid_postpaid_fill
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import GradePriceFactory, NozzleFactory, StaffRoleFactory, StationFactory
from tests.factories.wallet import top_up

pytestmark = pytest.mark.django_db
STATION_PRICE = "站点直降 明折明扣"  # the promotion behind every station's price below list (a data migration)


@pytest.fixture
def seeded_day():
    station = StationFactory()
    nozzle = NozzleFactory(dispenser__station=station)
    GradePriceFactory(station=station, grade=nozzle.grade)
    pump = PumpBindingFactory(dispenser=nozzle.dispenser)
    driver, other = DriverFactory(), DriverFactory()
    top_up(driver, 100_000, key="a")
    top_up(other, 100_000, key="b")
    orders = [
        paid_postpaid_fill(driver=driver, pump=pump, nozzle=nozzle, sequence=1, amount_fen=14_700),
        paid_postpaid_fill(driver=driver, pump=pump, nozzle=nozzle, sequence=2, amount_fen=20_000),
        paid_postpaid_fill(driver=other, pump=pump, nozzle=nozzle, sequence=3, amount_fen=5_055),
    ]
    paid_postpaid_fill(driver=driver, pump=pump, nozzle=nozzle, sequence=4, amount_fen=3_000, pay=False)
    # Another station's sale must not count.
    elsewhere = NozzleFactory(dispenser__station=StationFactory())
    GradePriceFactory(station=elsewhere.station, grade=elsewhere.grade)
    other_pump = PumpBindingFactory(dispenser=elsewhere.dispenser)
    paid_postpaid_fill(driver=other, pump=other_pump, nozzle=elsewhere, sequence=1, amount_fen=9_900)
    return {"station": station, "orders": orders, "nozzle": nozzle}


def test_today_figures_match_the_ledger(seeded_day):
    station = seeded_day["station"]
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = dashboard_day_figures(station_ids=[station.pk], start=midnight, end=now + timezone.timedelta(seconds=1))
    orders_total = sum(order.paid_fen + order.debt_fen for order in seeded_day["orders"])
    assert figures.sales_fen == orders_total == 39_755  # the ledger's captures equal the orders' payments
    assert (figures.orders, figures.fills, figures.unpaid_fills, figures.refunds) == (3, 4, 1, 0)


def test_charts_are_aggregated_per_grade_hour_and_driver(seeded_day):
    station = seeded_day["station"]
    charts = dashboard_charts(station_ids=[station.pk], end=timezone.now() + timezone.timedelta(seconds=1))
    assert charts.sales_by_grade == [(seeded_day["nozzle"].grade.name, 39_755)]
    assert sum(charts.sales_by_hour) == sum(charts.sales_by_weekday) == 39_755
    assert charts.sales_by_hour[timezone.localtime().hour] == 39_755
    assert charts.average_ticket_fen == round(39_755 / 3)
    assert charts.repurchase_rate_percent == 50  # one of two drivers bought twice
    assert (charts.new_drivers, charts.returning_drivers) == (2, 0)


def test_price_schedule_shows_the_next_change(seeded_day):
    station = seeded_day["station"]
    later = timezone.now() + timezone.timedelta(days=1)
    GradePriceFactory(station=station, grade=seeded_day["nozzle"].grade, price_fen_per_litre=720, effective_from=later)
    [row] = dashboard_price_schedule(station_ids=[station.pk], now=timezone.now())
    assert (row.price_fen_per_litre, row.next_price_fen_per_litre, row.next_change_at) == (735, 720, later)


def test_manager_home_shows_the_day_and_drills_down_to_pump_and_ledger(client, seeded_day):
    station = seeded_day["station"]
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=station).user)
    home = client.get(reverse("admin:index")).content.decode()
    assert "¥397.55" in home and "今日销售额" in home
    order = seeded_day["orders"][0]
    detail = client.get(reverse("admin:orders_fuelorder_change", args=[order.pk])).content.decode()
    assert reverse("admin:pumpgateway_fill_change", args=[order.fill_id]) in detail
    assert reverse("admin:wallet_hold_change", args=[order.hold_id]) in detail  # where a refund starts
    order.hold.refresh_from_db()
    assert reverse("admin:wallet_journalentry_change", args=[order.hold.resolution_entry_id]) in detail
    entry = client.get(reverse("admin:wallet_journalentry_change", args=[order.hold.resolution_entry_id]))
    assert entry.status_code == 200 and "¥147.00" in entry.content.decode()
    assert client.get(reverse("admin:pumpgateway_fill_change", args=[order.fill_id])).status_code == 200


def test_platform_admin_opens_a_row_of_every_registered_model(client, seeded_day):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user)
    opened = 0
    for model in admin.site._registry:
        opts = model._meta
        row = model.objects.order_by("pk").first()
        if row is None or opts.app_label in ("auth", "axes", "otp_totp"):
            continue  # Django's and the security packages' own admins keep Django's per-model permissions
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
        assert page.status_code == 200, opts.label
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", page.content.decode(), flags=re.S))
        assert not re.search(r"\b\d+ fen\b|_fen\b", text), opts.label  # what a reader sees, not input names
        opened += 1
    assert opened >= 12


@pytest.fixture
def promoted_sales():
    """20 L today, 30 L ten days ago, 10 L forty days ago, at ¥7.35 (list ¥7.65), each with a ¥0.20/L cut the
    station funds and ¥5 off the platform funds."""
    now = timezone.now()
    station = StationFactory()
    nozzle = NozzleFactory(dispenser__station=station)
    GradePriceFactory(station=station, grade=nozzle.grade, effective_from=now - timedelta(days=90))
    pump = PumpBindingFactory(dispenser=nozzle.dispenser)
    per_litre = PromotionFactory(
        name="每升直降0.20元",
        scope=PromotionScope.STATIONS,
        benefit_kind=BenefitKind.PER_LITRE_OFF,
        benefit_value=20,
        funder=Funder.STATION,
        funding_station=station,
        stack_group="station",
    )
    amount_off = PromotionFactory(
        name="立减5元",
        scope=PromotionScope.STATIONS,
        benefit_kind=BenefitKind.AMOUNT_OFF,
        benefit_value=500,
        stack_group="platform",
    )
    per_litre.stations.add(station)
    amount_off.stations.add(station)
    driver = DriverFactory()
    with clock_at(now - timedelta(days=50)):
        top_up(driver, 100_000, key="promoted")
    for sequence, (days_ago, litres) in enumerate(((40, 10), (10, 30), (0, 20)), start=1):
        with clock_at(now - timedelta(days=days_ago)):
            paid_postpaid_fill(driver=driver, pump=pump, nozzle=nozzle, sequence=sequence, amount_fen=litres * 735)
    return station


def test_promotion_cost_per_promotion_and_funder_today_period_and_period_before(promoted_sales):
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    costs = dashboard_promotion_costs(
        station_ids=[promoted_sales.pk], today_start=midnight, end=now + timedelta(seconds=1)
    )
    rows = {
        (row.name, row.funder): (row.today_fen, row.period_fen, row.previous_period_fen) for row in costs.by_promotion
    }
    assert rows == {
        # ¥0.30/L below list: 20 L today; 20 + 30 L in the last 30 days; 10 L in the 30 before.
        (STATION_PRICE, Funder.STATION): (600, 1_500, 300),
        ("每升直降0.20元", Funder.STATION): (400, 1_000, 200),
        ("立减5元", Funder.PLATFORM): (500, 1_000, 500),
    }
    totals = {row.funder: (row.today_fen, row.period_fen, row.previous_period_fen) for row in costs.by_funder}
    assert totals == {Funder.STATION: (1_000, 2_500, 500), Funder.PLATFORM: (500, 1_000, 500)}


def test_promotion_cost_leaves_out_other_stations_and_unpaid_fills(promoted_sales, seeded_day):
    costs = dashboard_promotion_costs(
        station_ids=[seeded_day["station"].pk], today_start=timezone.now(), end=timezone.now() + timedelta(seconds=1)
    )
    assert [row.name for row in costs.by_promotion] == [STATION_PRICE]
    assert costs.by_promotion[0].period_fen == sum(order.discount_fen for order in seeded_day["orders"])


def test_manager_home_shows_promotion_cost_and_campaign_uplift(client, promoted_sales):
    campaign = CampaignFactory(launched_at=timezone.now() - timedelta(days=3))
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=promoted_sales).user)
    home = client.get(reverse("admin:index")).content.decode()
    assert "每升直降0.20元" in home and "¥25.00" in home  # what the station funded in 30 days: ¥15 + ¥10
    assert campaign.name in home and 'data-testid="platform-home"' not in home
