"""Non-fuel items (非油品) on a prepaid order: from the station's catalogue only, held on top of the fuel
preset (the pump is preset to the fuel), their own receipt lines, captured with the fill in one posting."""

import pytest
from django.contrib.admin.sites import site

from orders.exceptions import NonFuelItemInvalid
from orders.models import FuelOrder, OrderLine
from orders.selectors import order_view_get
from orders.services import order_prepaid_create
from pumpgateway.models import PumpAuthorization
from stations.enums import NonFuelCategory
from stations.models import NonFuelItem
from tests.factories.stations import StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import AccountKind
from wallet.exceptions import InsufficientFunds
from wallet.models import Hold, JournalEntry
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(store_line):
    station = store_line.nozzles[0].station
    water = NonFuelItem.objects.create(
        station=station, sku="W550", name="矿泉水", price_fen=300, category=NonFuelCategory.DRINKS
    )
    wash = NonFuelItem.objects.create(
        station=station, sku="WASH", name="自动洗车", price_fen=1_328, category=NonFuelCategory.CAR_WASH
    )
    return water, wash


def test_items_are_held_with_the_fuel_and_captured_in_one_posting(store_line, driver, catalogue):
    water, wash = catalogue
    top_up(driver, 50_000)
    order = order_prepaid_create(
        driver=driver,
        nozzle=store_line.nozzles[0],
        idempotency_key="k",
        amount_fen=20_000,
        items={water.pk: 2, wash.pk: 1},
    )
    assert Hold.objects.get(pk=order.hold_id).amount_fen == 20_000 + 1_928
    assert PumpAuthorization.objects.get().preset_amount_fen == 20_000  # the pump delivers fuel only
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=20_000, amount_fen=14_700)
    order.refresh_from_db()
    assert (order.paid_fen, order.non_fuel_fen) == (14_700 + 1_928, 1_928)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000 - 16_628
    captures = JournalEntry.objects.filter(operation="capture", reference=order.order_no)
    assert captures.count() == 1  # fuel and items in one posting, found by the order number
    receivable = system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=order.station_id)
    assert receivable > 16_000
    view = order_view_get(driver_id=driver.pk, order_no=order.order_no)
    assert [line.kind for line in view.lines] == ["fuel", "discount", "non_fuel", "non_fuel"]
    items = [(line.sku, line.quantity, line.unit_price_fen, line.amount_fen) for line in view.lines[2:]]
    assert items == [("W550", 2, 300, 600), ("WASH", 1, 1_328, 1_328)]
    # Settlement's split: fuel lines and non-fuel lines add up to what was paid.
    assert sum(line.amount_fen for line in view.lines) == order.paid_fen
    assert ledger_verify().ok


def test_items_are_released_with_the_hold_when_nothing_is_fuelled(store_line, driver, catalogue):
    top_up(driver, 50_000)
    order = order_prepaid_create(
        driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", amount_fen=10_000, items={catalogue[0].pk: 1}
    )
    store_line.authorised()
    store_line.completed(volume_ml=0, amount_fen=0)
    order.refresh_from_db()
    assert order.status == "cancelled" and order.paid_fen == 0
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 50_000


@pytest.mark.parametrize(
    "items",
    [
        {999_999: 1},  # not in the catalogue
        {"water": 0},  # the keys name the items made in the test
        {"water": 21},
        {"inactive": 1},
        {"elsewhere": 1},
    ],
)
def test_an_item_not_sold_here_or_a_bad_quantity_is_refused_and_changes_nothing(store_line, driver, catalogue, items):
    water = catalogue[0]
    inactive = NonFuelItem.objects.create(
        station=water.station, sku="OLD", name="旧货", price_fen=100, category="other", is_active=False
    )
    elsewhere = NonFuelItem.objects.create(
        station=StationFactory(), sku="W550", name="矿泉水", price_fen=300, category="drinks"
    )
    ids = {"water": water.pk, "inactive": inactive.pk, "elsewhere": elsewhere.pk}
    items = {ids.get(key, key): quantity for key, quantity in items.items()}
    top_up(driver, 50_000)
    before = counters_snapshot()
    with pytest.raises(NonFuelItemInvalid):
        order_prepaid_create(
            driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", amount_fen=10_000, items=items
        )
    assert counters_snapshot() == before and not FuelOrder.objects.exists() and not OrderLine.objects.exists()


def test_items_must_fit_the_balance_with_the_fuel(store_line, driver, catalogue):
    top_up(driver, 10_000)
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds):
        order_prepaid_create(
            driver=driver,
            nozzle=store_line.nozzles[0],
            idempotency_key="k",
            amount_fen=10_000,
            items={catalogue[0].pk: 1},
        )
    assert counters_snapshot() == before


def test_fill_up_leaves_room_for_the_items(store_line, driver, catalogue):
    top_up(driver, 20_000)
    order = order_prepaid_create(
        driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", fill_up=True, items={catalogue[1].pk: 1}
    )
    assert order.requested_amount_fen == 20_000 - 1_328
    assert Hold.objects.get(pk=order.hold_id).amount_fen == 20_000


def test_the_nozzle_page_offers_the_catalogue_and_puts_items_on_the_order(client, store_line, driver, catalogue):
    water, _ = catalogue
    top_up(driver, 50_000)
    client.force_login(driver.user)
    page = client.get("/s/pay-test/1/").content.decode()
    assert f'name="item_{water.pk}"' in page and "矿泉水" in page
    refused = client.post("/s/pay-test/1/", {"choice": "10000", "key": "k1", f"item_{water.pk}": "x"})
    assert 'id="error"' in refused.content.decode() and not FuelOrder.objects.exists()
    response = client.post("/s/pay-test/1/", {"choice": "10000", "key": "k2", f"item_{water.pk}": "3"})
    order = FuelOrder.objects.get()
    assert response["Location"] == f"/orders/{order.order_no}/"
    assert order.non_fuel_fen == 900 and order.lines.get().quantity == 3


def test_the_catalogue_is_in_the_admin_with_translated_names():
    assert NonFuelItem in site._registry
    assert str(NonFuelItem._meta.verbose_name) == "非油品"
