"""The station manager's home: today's figures come from the database and match the ledger."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from orders.dashboard_selectors import dashboard_charts, dashboard_day_figures, dashboard_price_schedule
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.orders import paid_postpaid_fill
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import GradePriceFactory, NozzleFactory, StaffRoleFactory, StationFactory
from tests.factories.wallet import top_up

pytestmark = pytest.mark.django_db


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
