"""Every attendant (闪付) fill is closed exactly once: paid by the driver in the app, paid at the counter
(tender and cashier recorded) or reported as a drive-off. Until then it stays on the console; after a
shift it is listed for the station manager. Bad input changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.enums import CounterTender, FillResolutionKind
from orders.exceptions import FillAlreadyResolved, FillNotResolvable, TenderInvalid
from orders.models import FillResolution, FuelOrder
from orders.selectors import fill_resolution_list_for_station, unpaid_fill_list_overdue
from orders.services import fill_pay_at_counter, fill_report_drive_off, order_postpaid_pay
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.pumpgateway import attendant_fill
from tests.factories.stations import GradePriceFactory, NozzleFactory, StaffRoleFactory, StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def station():
    return StationFactory(code="mine")


@pytest.fixture
def nozzle(station):
    nozzle = NozzleFactory(dispenser__station=station, number=1)
    GradePriceFactory(station=station, grade=nozzle.grade)
    return nozzle


@pytest.fixture
def cashier(client, station):
    role = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station)
    client.force_login(role.user)
    client.user = role.user
    return client


def _unpaid_ids(client) -> list[int]:
    return [fill["fill_id"] for fill in client.get("/console/mine/state/").json()["unpaid_fills"]]


def test_an_unpaid_fill_stays_on_the_console_long_after_the_driver_window(cashier, nozzle):
    old = attendant_fill(nozzle, minutes_ago=60 * 3)
    assert _unpaid_ids(cashier) == [old.pk]


def test_paid_at_the_counter_records_tender_and_cashier_and_leaves_the_console(cashier, nozzle):
    fill = attendant_fill(nozzle, amount_fen=23_000)
    response = cashier.post(f"/console/mine/fills/{fill.pk}/counter/", {"tender": "bank_card"}, follow=True)
    assert "柜台" in response.content.decode()
    resolution = FillResolution.objects.get(fill=fill)
    assert (resolution.kind, resolution.tender, resolution.amount_fen) == ("counter", "bank_card", 23_000)
    assert resolution.resolved_by == cashier.user
    assert _unpaid_ids(cashier) == []


def test_a_drive_off_is_recorded_with_nothing_collected(cashier, nozzle):
    fill = attendant_fill(nozzle)
    cashier.post(f"/console/mine/fills/{fill.pk}/drive-off/", {"note": "  京A12345 "})
    resolution = FillResolution.objects.get(fill=fill)
    assert (resolution.kind, resolution.amount_fen, resolution.note) == ("drive_off", 0, "京A12345")
    assert _unpaid_ids(cashier) == []


@pytest.mark.parametrize("tender", ["", "bitcoin", "CASH"])
def test_a_counter_payment_without_a_known_tender_is_refused_and_changes_nothing(cashier, nozzle, tender):
    fill = attendant_fill(nozzle)
    response = cashier.post(f"/console/mine/fills/{fill.pk}/counter/", {"tender": tender}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert not FillResolution.objects.exists()
    assert _unpaid_ids(cashier) == [fill.pk]


def test_a_fill_is_resolved_once_and_the_driver_can_no_longer_pay_it(cashier, nozzle, station):
    fill = attendant_fill(nozzle)
    fill_pay_at_counter(station=station, fill_id=fill.pk, tender=CounterTender.CASH, cashier=cashier.user)
    with pytest.raises(FillAlreadyResolved):
        fill_report_drive_off(station=station, fill_id=fill.pk, cashier=cashier.user)
    driver = DriverFactory()
    top_up(driver, 50_000)
    before = counters_snapshot()
    with pytest.raises(FillAlreadyResolved):
        order_postpaid_pay(driver=driver, fill_id=fill.pk, idempotency_key="k")
    assert counters_snapshot() == before and not FuelOrder.objects.exists()
    assert FillResolution.objects.get().kind == FillResolutionKind.COUNTER


def test_an_app_payment_resolves_the_fill_and_the_cashier_cannot_take_it_again(cashier, nozzle, station):
    fill = attendant_fill(nozzle, amount_fen=15_000)
    driver = DriverFactory()
    top_up(driver, 50_000)
    order = order_postpaid_pay(driver=driver, fill_id=fill.pk, idempotency_key="k")
    resolution = FillResolution.objects.get(fill=fill)
    assert (resolution.kind, resolution.order, resolution.amount_fen) == ("app", order, 15_000)
    response = cashier.post(f"/console/mine/fills/{fill.pk}/counter/", {"tender": "cash"}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert FillResolution.objects.count() == 1
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 35_000


def test_another_stations_fill_or_a_prepaid_fill_cannot_be_resolved_here(cashier, station):
    theirs = attendant_fill(NozzleFactory(dispenser__station=StationFactory(code="theirs"), number=1))
    with pytest.raises(FillNotResolvable):
        fill_report_drive_off(station=station, fill_id=theirs.pk, cashier=cashier.user)
    assert cashier.post(f"/console/theirs/fills/{theirs.pk}/drive-off/").status_code == 404
    response = cashier.post(f"/console/mine/fills/{theirs.pk}/drive-off/", follow=True)
    assert 'id="error"' in response.content.decode()
    with pytest.raises(TenderInvalid):
        fill_pay_at_counter(station=station, fill_id=theirs.pk, tender="cheque", cashier=cashier.user)
    assert not FillResolution.objects.exists()


def test_fills_open_after_a_shift_are_listed_for_the_manager_only(client, cashier, nozzle, station, settings):
    settings.FORECOURT_SHIFT_HOURS = 8
    old = attendant_fill(nozzle, minutes_ago=9 * 60)
    attendant_fill(nozzle, minutes_ago=30)
    assert [fill.fill_id for fill in unpaid_fill_list_overdue(station_id=station.pk)] == [old.pk]
    state = cashier.get("/console/mine/state/").json()
    assert [fill["overdue"] for fill in state["unpaid_fills"]] == [False, True]
    assert cashier.get("/console/mine/overdue/").status_code == 403
    manager = StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=station).user
    client.force_login(manager)
    page = client.get("/console/mine/overdue/").content.decode()
    assert page.count("<tr>") == 1 and "¥200.00" in page


def test_settlement_reads_each_resolution_with_its_fill(cashier, nozzle, station):
    counter, drive_off = attendant_fill(nozzle, amount_fen=10_000), attendant_fill(nozzle, amount_fen=8_000)
    fill_pay_at_counter(station=station, fill_id=counter.pk, tender=CounterTender.CASH, cashier=cashier.user)
    fill_report_drive_off(station=station, fill_id=drive_off.pk, cashier=cashier.user)
    now = timezone.now()
    records = fill_resolution_list_for_station(
        station_id=station.pk, since=now - timedelta(hours=1), until=now + timedelta(seconds=1)
    )
    assert [(r.fill_id, r.kind, r.tender, r.fill_amount_fen, r.collected_fen) for r in records] == [
        (counter.pk, "counter", "cash", 10_000, 10_000),
        (drive_off.pk, "drive_off", "", 8_000, 0),
    ]
