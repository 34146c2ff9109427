"""A lost task cannot strand a hold: open orders whose authorization closed a while ago are settled by the
periodic reconciliation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.enums import OrderCause, OrderStatus
from orders.models import FuelOrder
from orders.services import order_prepaid_create, orders_reconcile
from pumpgateway.models import PumpAuthorization
from tests.factories.wallet import top_up
from wallet.enums import HoldStatus
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_with_lost_news(store_line, driver, django_capture_on_commit_callbacks):
    """The pump refused the authorization, but the task that tells the order never ran."""
    top_up(driver, 50_000)
    order = order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=20_000)
    (command,) = store_line.report("pending_commands")
    with django_capture_on_commit_callbacks(execute=False):
        store_line.store.command_result(command.command_id, delivered=False, error="pump did not acknowledge")
    assert FuelOrder.objects.get(pk=order.pk).status == OrderStatus.AUTHORIZING
    return order


def test_an_order_whose_news_was_lost_is_settled_and_its_hold_released(order_with_lost_news, driver):
    PumpAuthorization.objects.update(closed_at=timezone.now() - timedelta(minutes=2))
    assert orders_reconcile() == 1
    order = FuelOrder.objects.select_related("hold").get(pk=order_with_lost_news.pk)
    assert (order.status, order.hold.status) == (OrderStatus.FAILED, HoldStatus.RELEASED)
    assert order.status_changes.last().cause == OrderCause.PUMP_REFUSED
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 50_000


def test_news_still_on_its_way_is_left_to_its_task(order_with_lost_news):
    assert orders_reconcile() == 0
    assert FuelOrder.objects.get(pk=order_with_lost_news.pk).status == OrderStatus.AUTHORIZING
