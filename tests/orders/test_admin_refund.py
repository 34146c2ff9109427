"""A paid sale is corrected by a refund from the console, with a reason; the order itself never changes."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import FuelOrder
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.orders import paid_postpaid_fill
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import GradePriceFactory, NozzleFactory, StaffRoleFactory
from tests.factories.wallet import top_up
from wallet.models import Hold
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order():
    nozzle = NozzleFactory()
    GradePriceFactory(station=nozzle.station, grade=nozzle.grade)
    pump = PumpBindingFactory(dispenser=nozzle.dispenser)
    driver = DriverFactory()
    top_up(driver, 50_000)
    return paid_postpaid_fill(driver=driver, pump=pump, nozzle=nozzle, sequence=1, amount_fen=14_700)


def _refund_url(order):
    return reverse("admin:wallet_hold_refund_payment", args=[order.hold_id])


def test_manager_refunds_part_of_a_payment_with_a_reason_once(client, paid_order):
    manager = StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=paid_order.station).user
    client.force_login(manager)
    page = client.get(_refund_url(paid_order))
    assert page.status_code == 200 and "¥147.00" in page.content.decode()
    form = {"amount_fen": "20.50", "reason": "油枪跳枪，多扣了钱", "idempotency_key": "admin-refund:1"}
    assert client.post(_refund_url(paid_order), form).status_code == 302
    client.post(_refund_url(paid_order), form)  # a double submit refunds once
    assert Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 2_050
    assert wallet_balance_get(driver_id=paid_order.driver_id).available_fen == 50_000 - 14_700 + 2_050
    assert "油枪跳枪" in LogEntry.objects.get(object_id=str(paid_order.hold_id)).change_message
    assert FuelOrder.objects.get(pk=paid_order.pk).paid_fen == 14_700  # the sale's record is untouched


@pytest.mark.parametrize(("amount", "message"), [("200", "退款金额"), ("0", "不能低于"), ("1.234", "两位小数")])
def test_a_bad_refund_is_refused_with_a_sentence_and_changes_nothing(client, paid_order, amount, message):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=paid_order.station).user)
    response = client.post(_refund_url(paid_order), {"amount_fen": amount, "reason": "x", "idempotency_key": "k"})
    assert response.status_code == 200 and message in response.content.decode()
    assert Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 0


def test_cashiers_and_other_stations_cannot_refund(client, paid_order):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=paid_order.station).user)
    form = {"amount_fen": "1", "reason": "x", "idempotency_key": "k"}
    assert client.post(_refund_url(paid_order), form).status_code == 403
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=NozzleFactory().station).user)
    assert client.post(_refund_url(paid_order), form).status_code == 404
    assert Hold.objects.get(pk=paid_order.hold_id).refunded_fen == 0


def test_the_payment_page_offers_the_refund_to_a_manager_only(client, paid_order):
    page_url = reverse("admin:wallet_hold_change", args=[paid_order.hold_id])
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=paid_order.station).user)
    assert _refund_url(paid_order) in client.get(page_url).content.decode()
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=paid_order.station).user)
    assert _refund_url(paid_order) not in client.get(page_url).content.decode()
