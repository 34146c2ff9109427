"""A fill the hold does not cover is never marked paid silently: the order needs review, the balance pays
what it can at once (late capture), the rest becomes the driver's debt, repaid from the next top-up first.
The station is paid the full fill either way."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from orders.enums import OrderCause, OrderProblem, OrderStatus
from orders.models import FuelOrder
from orders.services import order_prepaid_create
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StaffRoleFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import AccountKind, HoldStatus
from wallet.exceptions import DebtOutstanding
from wallet.models import Hold, JournalEntry
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.holds import wallet_holds_release_expired
from wallet.services.transfers import wallet_transfer, wallet_withdraw

pytestmark = pytest.mark.django_db


def _order(store_line, driver, amount_fen=20_000, key="o1") -> FuelOrder:
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key=key, amount_fen=amount_fen)


def _lapse(order: FuelOrder) -> None:
    """A hold placed before orders owned their holds (a 3,600 s TTL) expires while the car is fuelling."""
    Hold.objects.filter(pk=order.hold_id).update(expires_at="2020-01-01T00:00:00Z")
    assert wallet_holds_release_expired() == 1


def _fill(store_line, amount_fen: int) -> None:
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=amount_fen * 1000 // 735, amount_fen=amount_fen)


def _trail(order) -> list[tuple[str, str, str, str]]:
    return list(order.status_changes.values_list("from_status", "to_status", "cause", "failure_code"))


def test_an_order_owned_hold_never_expires_on_its_own(store_line, driver):
    top_up(driver, 50_000)
    order = _order(store_line, driver)
    assert wallet_holds_release_expired() == 0
    assert Hold.objects.get(pk=order.hold_id).status == HoldStatus.HELD


def test_a_fill_after_the_hold_lapsed_is_paid_late_from_the_balance(store_line, driver):
    top_up(driver, 50_000)
    order = _order(store_line, driver)
    store_line.authorised()
    _lapse(order)
    store_line.fuelling()
    store_line.completed(volume_ml=10_000, amount_fen=7_350)
    order.refresh_from_db()
    assert (order.status, order.paid_fen, order.debt_fen) == (OrderStatus.PAID, 7_350, 0)
    assert _trail(order)[-2:] == [
        ("fuelling", "needs_review", OrderCause.PUMP_COMPLETED, OrderProblem.HOLD_LAPSED),
        ("needs_review", "paid", OrderCause.SYSTEM_LATE_CAPTURE, OrderProblem.HOLD_LAPSED),
    ]
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.held_fen, balance.debt_fen) == (50_000 - 7_350, 0, 0)
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=order.station_id) == 7_350
    assert ledger_verify().ok


def test_a_late_capture_is_one_posting_and_settles_once(store_line, driver):
    top_up(driver, 50_000)
    order = _order(store_line, driver)
    _lapse(order)
    _fill(store_line, 7_350)
    store_line.completed(volume_ml=10_000, amount_fen=7_350)  # the final report again
    assert JournalEntry.objects.filter(operation="late_capture", reference=order.order_no).count() == 1
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000 - 7_350


def test_a_fill_larger_than_the_hold_takes_the_difference_from_the_balance(store_line, driver):
    top_up(driver, 50_000)
    order = _order(store_line, driver, amount_fen=10_000)
    _fill(store_line, 10_150)  # the pump overshot its ¥100 preset by ¥1.50
    order.refresh_from_db()
    assert (order.status, order.paid_fen, order.debt_fen) == (OrderStatus.PAID, 10_150, 0)
    assert order.failure_code == OrderProblem.OVER_HOLD
    assert Hold.objects.get(pk=order.hold_id).captured_fen == 10_000
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000 - 10_150
    assert ledger_verify().ok


def test_what_the_balance_cannot_pay_becomes_the_drivers_debt(store_line, driver):
    top_up(driver, 20_000)
    order = _order(store_line, driver)
    _lapse(order)
    wallet_transfer(from_driver=driver, to_driver=DriverFactory(), amount_fen=15_000, idempotency_key="t")
    _fill(store_line, 7_350)  # the lapsed hold's money was transferred away: 5,000 left
    order.refresh_from_db()
    assert (order.status, order.paid_fen, order.debt_fen) == (OrderStatus.NEEDS_REVIEW, 5_000, 2_350)
    assert _trail(order)[-1] == ("fuelling", "needs_review", OrderCause.PUMP_COMPLETED, OrderProblem.HOLD_LAPSED)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.available_fen, balance.debt_fen) == (0, 2_350)
    # The station is owed the whole fill (the daily settlement takes the fee); the platform carries the debt.
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=order.station_id) == 7_350
    assert ledger_verify().ok


@pytest.fixture
def indebted_driver(store_line, driver):
    """Owes ¥1.50: the pump overshot a ¥100 preset that was the whole balance."""
    top_up(driver, 10_000)
    _order(store_line, driver, amount_fen=10_000)
    _fill(store_line, 10_150)
    assert wallet_balance_get(driver_id=driver.pk).debt_fen == 150
    return driver


def test_an_overshoot_on_an_empty_wallet_needs_review(indebted_driver):
    order = FuelOrder.objects.get(driver=indebted_driver)
    assert (order.status, order.failure_code, order.paid_fen, order.debt_fen) == (
        OrderStatus.NEEDS_REVIEW,
        OrderProblem.OVER_HOLD,
        10_000,
        150,
    )
    assert order.paid_at is None


def test_the_next_top_up_pays_the_debt_first(indebted_driver):
    top_up(indebted_driver, 5_000, key="after")
    balance = wallet_balance_get(driver_id=indebted_driver.pk)
    assert (balance.principal_fen, balance.debt_fen) == (4_850, 0)
    repayment = JournalEntry.objects.get(operation="debt_repayment")
    assert repayment.lines.get(account__kind=AccountKind.DRIVER_RECEIVABLE).amount_fen == 150
    assert ledger_verify().ok


def test_a_top_up_smaller_than_the_debt_pays_what_it_can(indebted_driver):
    top_up(indebted_driver, 100, key="small")
    balance = wallet_balance_get(driver_id=indebted_driver.pk)
    assert (balance.principal_fen, balance.debt_fen) == (0, 50)
    assert ledger_verify().ok


def test_a_driver_in_debt_cannot_pay_at_the_pump_and_nothing_changes(store_line, indebted_driver):
    top_up(indebted_driver, 100, key="small")  # 50 still owed
    transfer_in = DriverFactory()
    top_up(transfer_in, 50_000)
    wallet_transfer(from_driver=transfer_in, to_driver=indebted_driver, amount_fen=30_000, idempotency_key="gift")
    before = (counters_snapshot(), FuelOrder.objects.count(), Hold.objects.count())
    with pytest.raises(DebtOutstanding) as refused:
        _order(store_line, indebted_driver, key="o2")
    assert refused.value.extra == {"debt_fen": 50}
    assert (counters_snapshot(), FuelOrder.objects.count(), Hold.objects.count()) == before


def test_a_driver_in_debt_cannot_withdraw(indebted_driver):
    before = counters_snapshot()
    with pytest.raises(DebtOutstanding):
        wallet_withdraw(driver=indebted_driver, idempotency_key="w")
    assert counters_snapshot() == before


def test_the_drivers_home_shows_the_debt(client, indebted_driver):
    client.force_login(indebted_driver.user)
    page = client.get("/me/").content.decode()
    assert 'id="debt"' in page and "¥1.50" in page


def test_the_order_page_says_what_is_owed(client, indebted_driver):
    order = FuelOrder.objects.get(driver=indebted_driver)
    client.force_login(indebted_driver.user)
    detail = client.get(f"/api/orders/{order.order_no}/").json()
    assert (detail["status"], detail["is_final"], detail["paid_fen"], detail["debt_fen"]) == (
        "needs_review",
        True,
        10_000,
        150,
    )
    assert "¥1.50" in detail["failure_message"]


def test_the_stations_console_alerts_the_attendant(store_line, indebted_driver):
    order = FuelOrder.objects.get(driver=indebted_driver)
    attendant = Client()
    attendant.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=store_line.station).user)
    alerts = attendant.get("/console/pay-test/state/").json()["alerts"]
    assert [alert for alert in alerts if order.order_no in alert] == [
        f"{order.nozzle.number}号枪：订单 {order.order_no}（加油 ¥101.50）未全额支付，车主 {indebted_driver} 欠 ¥1.50。"
        "油站已全额入账，请核对车辆并告知车主。"
    ]


def test_verify_ledger_accepts_the_debt_and_its_repayment(indebted_driver):
    top_up(indebted_driver, 5_000, key="after")
    call_command("verify_ledger", "--chain-first", stdout=io.StringIO())
