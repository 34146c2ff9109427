"""Per-line refunds: the fuel line or one non-fuel item of a paid order, with a reason, through the payment's
refund; never more than what was paid for the line, and a replayed key refunds once."""

import pytest
from django.urls import reverse

from orders.exceptions import OrderLineNotRefundable, OrderLineRefundExceedsPaid, RefundReasonMissing
from orders.models import OrderLine
from orders.services import order_line_refund, order_prepaid_create
from stations.enums import NonFuelCategory, StaffRoleKind
from stations.models import NonFuelItem
from tests.factories.stations import StaffRoleFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import Operation
from wallet.models import Hold, JournalEntry
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(store_line, driver):
    water = NonFuelItem.objects.create(
        station=store_line.station, sku="W550", name="矿泉水", price_fen=300, category=NonFuelCategory.DRINKS
    )
    top_up(driver, 20_000)
    order = order_prepaid_create(
        driver=driver, nozzle=store_line.nozzles[0], idempotency_key="k", amount_fen=10_000, items={water.pk: 2}
    )
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=10_000, amount_fen=7_350)
    order.refresh_from_db()
    return order


def _line(order, kind):
    return OrderLine.objects.get(order=order, kind=kind)


def _refund(order, line, amount_fen, key="r1", reason="矿泉水破损"):
    return order_line_refund(order=order, line_id=line.pk, amount_fen=amount_fen, reason=reason, idempotency_key=key)


def test_an_item_line_is_refunded_to_the_wallet(paid_order, driver):
    before = wallet_balance_get(driver_id=driver.pk).principal_fen
    line = _refund(paid_order, _line(paid_order, "non_fuel"), 300)
    assert line.refunded_fen == 300
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == before + 300
    assert Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 300
    assert JournalEntry.objects.filter(operation=Operation.REFUND, reference=paid_order.order_no).count() == 1


def test_the_fuel_line_is_refunded_up_to_what_was_paid_for_the_fuel(paid_order):
    fuel = _line(paid_order, "fuel")
    assert fuel.paid_fen == 7_350
    assert _refund(paid_order, fuel, 7_350).refunded_fen == 7_350


def test_more_than_the_line_paid_is_refused_and_changes_nothing(paid_order):
    item = _line(paid_order, "non_fuel")
    before = counters_snapshot()
    with pytest.raises(OrderLineRefundExceedsPaid):
        _refund(paid_order, item, 601)
    assert counters_snapshot() == before
    assert _line(paid_order, "non_fuel").refunded_fen == 0 and Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 0


def test_a_second_refund_past_what_is_left_is_refused_and_changes_nothing(paid_order):
    item = _line(paid_order, "non_fuel")
    _refund(paid_order, item, 400, key="r1")
    before = counters_snapshot()
    with pytest.raises(OrderLineRefundExceedsPaid):
        _refund(paid_order, item, 201, key="r2")
    assert counters_snapshot() == before and _line(paid_order, "non_fuel").refunded_fen == 400


def test_a_replayed_refund_refunds_once(paid_order, driver):
    item = _line(paid_order, "non_fuel")
    _refund(paid_order, item, 300)
    balance = wallet_balance_get(driver_id=driver.pk).principal_fen
    _refund(paid_order, item, 300)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == balance
    assert _line(paid_order, "non_fuel").refunded_fen == 300
    assert Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 300


@pytest.mark.parametrize(
    ("_case", "kind", "amount", "reason", "error"),
    [
        ("no reason", "non_fuel", 100, "  ", RefundReasonMissing),
        ("a discount line", "discount", 100, "x", OrderLineNotRefundable),
    ],
)
def test_a_bad_line_refund_is_refused_and_changes_nothing(paid_order, _case, kind, amount, reason, error):
    line = OrderLine.objects.filter(order=paid_order, kind=kind).first()
    before = counters_snapshot()
    with pytest.raises(error):
        _refund(paid_order, line, amount, reason=reason)
    assert counters_snapshot() == before and Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 0


def _admin_url(order):
    return reverse("admin:orders_fuelorder_refund_line", args=[order.pk])


def test_a_manager_refunds_a_line_from_the_order_page_once(client, paid_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=paid_order.station).user)
    item = _line(paid_order, "non_fuel")
    page = client.get(_admin_url(paid_order)).content.decode()
    assert "矿泉水" in page and "¥6.00" in page
    form = {"line": str(item.pk), "amount_fen": "3.00", "reason": "破损", "idempotency_key": "admin-line-refund:1"}
    assert client.post(_admin_url(paid_order), form).status_code == 302
    client.post(_admin_url(paid_order), form)  # a double submit refunds once
    assert _line(paid_order, "non_fuel").refunded_fen == 300


def test_an_over_refund_from_the_order_page_shows_why_and_changes_nothing(client, paid_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=paid_order.station).user)
    item = _line(paid_order, "non_fuel")
    form = {"line": str(item.pk), "amount_fen": "6.01", "reason": "破损", "idempotency_key": "k"}
    response = client.post(_admin_url(paid_order), form)
    assert response.status_code == 200
    assert _line(paid_order, "non_fuel").refunded_fen == 0 and Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 0


def test_a_cashier_cannot_refund_a_line(client, paid_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=paid_order.station).user)
    item = _line(paid_order, "non_fuel")
    form = {"line": str(item.pk), "amount_fen": "1.00", "reason": "x", "idempotency_key": "k"}
    assert client.post(_admin_url(paid_order), form).status_code == 403
    assert _line(paid_order, "non_fuel").refunded_fen == 0
