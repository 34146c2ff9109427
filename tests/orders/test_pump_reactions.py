"""A prepaid order's reaction to each pump event, reported through the bridge's real store (no serial line):
the state it moves to, the audit row, the hold and the wallet."""

import pytest

from orders.enums import OrderCause, OrderProblem, OrderStatus
from orders.models import FuelOrder
from orders.services import order_prepaid_create
from pumpgateway.dart.transactions import PumpStatus
from pumpgateway.enums import AuthorizationEndReason, AuthorizationSource, AuthorizationStatus
from pumpgateway.models import PumpAuthorization
from pumpgateway.services import pump_authorization_request
from tests.factories.wallet import top_up
from wallet.enums import HoldStatus
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store_line, driver):
    top_up(driver, 50_000)
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=20_000)


def _trail(order) -> list[tuple[str, str, str, str]]:
    return list(order.status_changes.values_list("from_status", "to_status", "cause", "failure_code"))


def _reload(order) -> FuelOrder:
    return FuelOrder.objects.select_related("hold").get(pk=order.pk)


def test_a_new_prepaid_order_holds_the_amount_without_expiry_and_waits_for_the_pump(order, driver):
    assert (order.status, order.hold.status, order.hold.expires_at) == (OrderStatus.AUTHORIZING, "held", None)
    assert _trail(order) == [("", "authorizing", "driver:order", "")]
    assert order.status_changes.get().actor == driver.user
    assert wallet_balance_get(driver_id=driver.pk).held_fen == 20_000


def test_the_pump_confirming_the_authorization_asks_the_driver_to_lift(store_line, order):
    store_line.authorised()
    assert _reload(order).status == OrderStatus.AUTHORIZED
    assert _trail(order)[-1] == ("authorizing", "authorized", OrderCause.PUMP_AUTHORISED, "")


def test_fuelling_moves_the_order_on(store_line, order):
    store_line.authorised()
    store_line.fuelling()
    assert _reload(order).status == OrderStatus.FUELLING
    assert _trail(order)[-1] == ("authorized", "fuelling", OrderCause.PUMP_FUELLING, "")


def test_a_completed_fill_is_captured_and_the_rest_released(store_line, order, driver):
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=20_000, amount_fen=14_700)  # 20 L at ¥7.35
    order = _reload(order)
    assert (order.status, order.paid_fen, order.debt_fen, order.volume_ml) == (OrderStatus.PAID, 14_700, 0, 20_000)
    assert (order.fuel_amount_fen, order.discount_fen) == (15_300, 600)  # at list ¥7.65, station discount ¥6
    assert (order.hold.status, order.hold.captured_fen) == (HoldStatus.CAPTURED, 14_700)
    assert _trail(order)[-1] == ("fuelling", "paid", OrderCause.PUMP_COMPLETED, "")
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.held_fen) == (50_000 - 14_700, 0)
    assert ledger_verify().ok


def test_news_that_skipped_states_still_settles_the_order_once(store_line, order):
    store_line.send_pending()
    store_line.completed(volume_ml=10_000, amount_fen=7_350)  # the AUTHORIZED and FILLING reports were missed
    store_line.completed(volume_ml=10_000, amount_fen=7_350)  # and the final report arrives twice
    order = _reload(order)
    assert (order.status, order.paid_fen) == (OrderStatus.PAID, 7_350)
    assert _trail(order) == [
        ("", "authorizing", "driver:order", ""),
        ("authorizing", "paid", OrderCause.PUMP_COMPLETED, ""),
    ]


def test_hanging_up_without_fuel_cancels_and_releases_the_hold(store_line, order, driver):
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=0, amount_fen=0)
    order = _reload(order)
    assert (order.status, order.failure_code, order.hold.status) == ("cancelled", OrderProblem.NO_FUEL, "released")
    assert _trail(order)[-1] == ("fuelling", "cancelled", OrderCause.PUMP_COMPLETED, OrderProblem.NO_FUEL)
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 50_000


def test_a_pump_offline_before_the_lift_keeps_the_order_until_it_is_seen_in_reset(store_line, order, driver):
    store_line.authorised()
    store_line.report("pump_online", store_line.ADDRESS, False)
    order = _reload(order)
    assert (order.status, order.hold.status) == (OrderStatus.AUTHORIZED, HoldStatus.HELD)  # it may still hold it
    store_line.report("pump_online", store_line.ADDRESS, True)
    store_line.status(PumpStatus.RESET)
    order = _reload(order)
    assert (order.status, order.failure_code, order.hold.status) == (
        OrderStatus.CANCELLED,
        AuthorizationEndReason.RESET_AT_PUMP,
        HoldStatus.RELEASED,
    )
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 50_000


def test_a_refused_authorization_fails_the_order_and_releases_the_hold(store_line, order, driver):
    (command,) = store_line.report("pending_commands")
    store_line.report("command_result", command.command_id, delivered=False, error="pump busy (status 4)")
    order = _reload(order)
    assert (order.status, order.failure_code, order.hold.status) == (
        OrderStatus.FAILED,
        AuthorizationEndReason.PUMP_BUSY,
        HoldStatus.RELEASED,
    )
    assert _trail(order)[-1] == ("authorizing", "failed", OrderCause.PUMP_REFUSED, "pump_busy")
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 50_000


def test_an_attendant_authorization_has_no_order_to_move(store_line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pump_authorization_request(
            nozzle=store_line.nozzles[1], source=AuthorizationSource.ATTENDANT, preset_amount_fen=5_000
        )
    store_line.authorised()
    store_line.status(PumpStatus.FILLING, nozzle=2, lifted=True)
    store_line.completed(volume_ml=5_000, amount_fen=3_675, nozzle=2)
    assert PumpAuthorization.objects.get().status == AuthorizationStatus.COMPLETED
    assert not FuelOrder.objects.exists()
