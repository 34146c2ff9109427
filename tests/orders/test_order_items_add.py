"""The attendant adds non-fuel items to an open prepaid order from the console: the hold grows through the
ledger (its own posting and key), the items get their lines and are captured with the fuel in one posting,
whose entry keeps the non-fuel part apart for settlement; promotions on non-fuel categories see them."""

import pytest

from marketing.enums import BenefitKind, StackingClass
from orders.exceptions import NonFuelItemInvalid, OrderItemsNotAddable
from orders.models import FuelOrder, OrderLine
from orders.services import order_items_add, order_prepaid_create
from stations.enums import NonFuelCategory, StaffRoleKind
from stations.models import NonFuelItem
from tests.factories.marketing import PromotionFactory
from tests.factories.stations import StaffRoleFactory, StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import Operation
from wallet.exceptions import InsufficientFunds
from wallet.models import Hold, JournalEntry
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def water(store_line):
    return NonFuelItem.objects.create(
        station=store_line.station, sku="W550", name="矿泉水", price_fen=300, category=NonFuelCategory.DRINKS
    )


@pytest.fixture
def open_order(store_line, driver):
    top_up(driver, 20_000)
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", amount_fen=10_000)


def _add(store_line, order, items, key="add-1"):
    return order_items_add(
        station=store_line.station, order_no=order.order_no, items=items, idempotency_key=key, attendant=None
    )


def test_added_items_grow_the_hold_and_are_captured_with_the_fuel_in_one_posting(store_line, driver, water, open_order):
    order = _add(store_line, open_order, {water.pk: 2})
    assert Hold.objects.get(pk=order.hold_id).amount_fen == 10_000 + 600
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 20_000 - 10_600
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=10_000, amount_fen=7_350)
    order.refresh_from_db()
    assert (order.status, order.paid_fen, order.non_fuel_fen) == ("paid", 7_350 + 600, 600)
    capture = JournalEntry.objects.get(operation=Operation.CAPTURE, reference=order.order_no)
    assert capture.non_fuel_fen == 600  # the ledger entry keeps fuel and non-fuel apart
    item = OrderLine.objects.get(order=order, kind="non_fuel")
    assert (item.sku, item.quantity, item.amount_fen, item.paid_fen) == ("W550", 2, 600, 600)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 20_000 - 7_950
    assert ledger_verify().ok


def test_items_the_wallet_cannot_cover_are_refused_and_change_nothing(store_line, driver, open_order):
    car_wash = NonFuelItem.objects.create(
        station=store_line.station, sku="WASH", name="精洗", price_fen=10_001, category=NonFuelCategory.CAR_WASH
    )
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds):
        _add(store_line, open_order, {car_wash.pk: 1})
    assert counters_snapshot() == before
    assert Hold.objects.get(pk=open_order.hold_id).amount_fen == 10_000
    assert not OrderLine.objects.filter(order=open_order).exists()
    assert FuelOrder.objects.get(pk=open_order.pk).non_fuel_fen == 0


def test_a_replayed_submit_adds_the_items_once(store_line, water, open_order):
    _add(store_line, open_order, {water.pk: 1})
    _add(store_line, open_order, {water.pk: 1})
    assert Hold.objects.get(pk=open_order.hold_id).amount_fen == 10_300
    assert OrderLine.objects.filter(order=open_order, kind="non_fuel").count() == 1


@pytest.mark.parametrize(
    ("_case", "items", "error"),
    [
        ("nothing chosen", {}, NonFuelItemInvalid),
        ("not in the catalogue", {999_999: 1}, NonFuelItemInvalid),
        ("too many", {"water": 21}, NonFuelItemInvalid),
    ],
)
def test_bad_items_are_refused_and_change_nothing(store_line, water, open_order, _case, items, error):
    items = {water.pk if key == "water" else key: quantity for key, quantity in items.items()}
    before = counters_snapshot()
    with pytest.raises(error):
        _add(store_line, open_order, items)
    assert counters_snapshot() == before and not OrderLine.objects.filter(order=open_order).exists()


def test_a_closed_order_or_another_station_cannot_take_items(store_line, water, open_order):
    with pytest.raises(OrderItemsNotAddable):
        order_items_add(
            station=StationFactory(),
            order_no=open_order.order_no,
            items={water.pk: 1},
            idempotency_key="x",
            attendant=None,
        )
    store_line.authorised()
    store_line.completed(volume_ml=0, amount_fen=0)  # hung up without fuel: cancelled
    before = counters_snapshot()
    with pytest.raises(OrderItemsNotAddable):
        _add(store_line, open_order, {water.pk: 1})
    assert counters_snapshot() == before and not OrderLine.objects.filter(order=open_order, kind="non_fuel").exists()


def test_a_non_fuel_category_promotion_applies_to_a_bottle_of_water(store_line, driver, water):
    PromotionFactory(
        name="饮品半价",
        benefit_kind=BenefitKind.PERCENT_OFF,
        benefit_value=5_000,
        nonfuel_categories=[NonFuelCategory.DRINKS],
        stacking=StackingClass.STACKABLE,
    )
    top_up(driver, 20_000)
    order = order_prepaid_create(
        driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", amount_fen=10_000, items={water.pk: 1}
    )
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=10_000, amount_fen=7_350)
    order.refresh_from_db()
    drinks_discount = OrderLine.objects.get(order=order, kind="discount", label__startswith="饮品半价")
    assert drinks_discount.amount_fen == -150
    assert OrderLine.objects.get(order=order, kind="non_fuel").paid_fen == 150
    assert JournalEntry.objects.get(operation=Operation.CAPTURE, reference=order.order_no).non_fuel_fen == 150
    fuel = OrderLine.objects.get(order=order, kind="fuel")
    assert fuel.paid_fen + 150 == order.paid_fen


def test_the_console_adds_an_item_to_the_order_whose_code_was_checked(client, store_line, water, open_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=store_line.station).user)
    page = client.get("/console/pay-test/", {"code": open_order.dynamic_code}).content.decode()
    assert f'id="add-item-{open_order.pk}"' in page and "矿泉水" in page
    url = f"/console/pay-test/orders/{open_order.order_no}/items/"
    form = {"item": str(water.pk), "quantity": "2", "key": "console-1", "code": open_order.dynamic_code}
    response = client.post(url, form, follow=True)
    assert "已加入订单" in response.content.decode() or "added" in response.content.decode()
    assert Hold.objects.get(pk=open_order.hold_id).amount_fen == 10_600


def test_the_console_refuses_a_bad_quantity_with_a_sentence_and_changes_nothing(client, store_line, water, open_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=store_line.station).user)
    url = f"/console/pay-test/orders/{open_order.order_no}/items/"
    response = client.post(url, {"item": str(water.pk), "quantity": "abc", "key": "k"}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert Hold.objects.get(pk=open_order.hold_id).amount_fen == 10_000


def test_another_stations_cashier_cannot_add_items(client, store_line, water, open_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=StationFactory(code="other")).user)
    url = f"/console/pay-test/orders/{open_order.order_no}/items/"
    assert client.post(url, {"item": str(water.pk), "quantity": "1", "key": "k"}).status_code == 404
    assert Hold.objects.get(pk=open_order.hold_id).amount_fen == 10_000
