"""闪付 paid straight through the payment provider: a provider order for exactly the fill (no bonus); once
the provider's money is credited the fill is paid like a wallet payment, and the station is credited the
same. If the fill was closed meanwhile, the money stays in the driver's wallet."""

import pytest

from marketing.enums import Funder, NotificationKind
from marketing.models import Notification
from orders.enums import CounterTender, OrderStatus
from orders.exceptions import FillAlreadyResolved
from orders.models import FillResolution, FuelOrder
from orders.services import fill_pay_at_counter, order_direct_payment_start, order_postpaid_pay
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import top_up_bonus
from tests.factories.pumpgateway import attendant_fill
from tests.factories.stations import GradePriceFactory, NozzleFactory, StaffRoleFactory, StationFactory
from tests.factories.wallet import top_up
from wallet.enums import AccountKind
from wallet.models import TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.top_up import wallet_top_up_notification_handle

pytestmark = pytest.mark.django_db(transaction=True)  # the payment runs after the credit commits


@pytest.fixture
def station():
    station = StationFactory(code="direct")
    nozzle = NozzleFactory(dispenser__station=station, number=1)
    GradePriceFactory(station=station, grade=nozzle.grade)
    return station


@pytest.fixture
def fill(station):
    return attendant_fill(station.nozzles.get(), amount_fen=200_000)


def _provider_pays(payment: TopUpOrder) -> None:
    notification = payment_provider_get().payment_notification(
        out_trade_no=payment.out_trade_no, amount_fen=payment.amount_fen
    )
    wallet_top_up_notification_handle(params=notification)


def test_a_fill_paid_through_the_provider_credits_the_station_like_a_wallet_payment(station, fill):
    top_up_bonus(name="充2000送100", min_amount_fen=200_000, bonus_fen=10_000, funder=Funder.PLATFORM)
    driver = DriverFactory()
    payment = order_direct_payment_start(driver=driver, fill_id=fill.pk, idempotency_key="d1")
    assert (payment.amount_fen, payment.bonus_fen, payment.pays_reference) == (200_000, 0, f"fill:{fill.pk}")
    _provider_pays(payment)
    order = FuelOrder.objects.get(driver=driver)
    assert order.status == OrderStatus.PAID and order.paid_fen == 200_000 and order.fill_id == fill.pk
    assert FillResolution.objects.get(fill=fill).kind == "app"
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.bonus_fen, balance.held_fen) == (0, 0, 0)
    direct = system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station.pk)
    # The same fill paid from a wallet credits the station exactly as much (the platform fee included).
    wallet_driver = DriverFactory()
    top_up(wallet_driver, 200_000)
    same_fill = attendant_fill(station.nozzles.get(), amount_fen=200_000)
    order_postpaid_pay(driver=wallet_driver, fill_id=same_fill.pk, idempotency_key="w1")
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station.pk) == 2 * direct
    assert ledger_verify().ok


def test_a_fill_closed_at_the_counter_meanwhile_leaves_the_money_in_the_wallet(station, fill):
    driver = DriverFactory()
    payment = order_direct_payment_start(driver=driver, fill_id=fill.pk, idempotency_key="d1")
    cashier = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station).user
    fill_pay_at_counter(station=station, fill_id=fill.pk, tender=CounterTender.CASH, cashier=cashier)
    _provider_pays(payment)
    assert not FuelOrder.objects.exists()
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 200_000


def test_a_closed_fill_cannot_be_started_and_nothing_is_created(station, fill):
    cashier = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station).user
    fill_pay_at_counter(station=station, fill_id=fill.pk, tender=CounterTender.CASH, cashier=cashier)
    with pytest.raises(FillAlreadyResolved):
        order_direct_payment_start(driver=DriverFactory(), fill_id=fill.pk, idempotency_key="d1")
    assert not TopUpOrder.objects.exists()


def test_the_pages_send_the_driver_to_the_provider_and_back_to_the_receipt(client, station, fill, monkeypatch):
    driver = DriverFactory()
    client.force_login(driver.user)
    response = client.post("/s/direct/pay-later/", {"fill": fill.pk, "nozzle": 1, "key": "d1", "direct": "1"})
    payment = TopUpOrder.objects.get()
    assert response["Location"] == payment_provider_get().cashier_url(payment.out_trade_no)
    waiting = client.get(f"/pay/direct/{payment.out_trade_no}/").content.decode()
    assert 'id="direct-waiting"' in waiting
    _provider_pays(payment)
    order = FuelOrder.objects.get()
    assert client.get(f"/pay/direct/{payment.out_trade_no}/")["Location"] == f"/orders/{order.order_no}/"
    # The simulator's cashier page: its notification was delivered above, so the task is not sent again.
    monkeypatch.setattr("wallet.views.payment_simulator_notify_task.delay", lambda *args: None)
    paid = client.post(response["Location"]).content.decode()
    assert f'href="/pay/direct/{payment.out_trade_no}/"' in paid


def test_a_malformed_fill_is_refused_and_nothing_is_created(client, station, fill):
    client.force_login(DriverFactory().user)
    page = client.post("/s/direct/pay-later/", {"fill": "x", "nozzle": 1, "key": "d1", "direct": "1"})
    assert 'id="error"' in page.content.decode()
    assert not TopUpOrder.objects.exists()


def test_a_direct_payment_sends_the_receipt_and_no_top_up_message(fill):
    driver = DriverFactory()
    _provider_pays(order_direct_payment_start(driver=driver, fill_id=fill.pk, idempotency_key="d1"))
    money = Notification.objects.filter(driver=driver, kind__in=[NotificationKind.RECEIPT, NotificationKind.TOP_UP])
    assert list(money.values_list("kind", flat=True)) == [NotificationKind.RECEIPT]
