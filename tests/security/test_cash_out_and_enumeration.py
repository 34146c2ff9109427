"""Hole 5 (cash-out through transfers) and hole 10 (phone enumeration, internal ids and amounts in errors)."""

import pytest

from drivers.selectors import driver_phone_get
from tests.factories.drivers import DriverFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.exceptions import InvalidAmount, LimitExceeded
from wallet.models import TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.top_up import wallet_top_up_order_create
from wallet.services.transfers import wallet_transfer, wallet_withdraw

pytestmark = pytest.mark.django_db


def test_a_withdrawal_refunds_only_the_drivers_own_top_ups_to_their_payments(driver):
    own = top_up(driver, 50_000)
    sender = DriverFactory()
    top_up(sender, 100_000)
    wallet_transfer(from_driver=sender, to_driver=driver, amount_fen=100_000, idempotency_key="t")
    withdrawal = wallet_withdraw(driver=driver, idempotency_key="w")
    assert withdrawal.principal_fen == 50_000
    assert withdrawal.refunds == [[own.out_trade_no, 50_000]]
    own.refresh_from_db()
    assert own.refunded_fen == 50_000
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 100_000  # spendable at the pump, not cash
    before = counters_snapshot()
    with pytest.raises(InvalidAmount):
        wallet_withdraw(driver=driver, idempotency_key="w2")
    assert counters_snapshot() == before


def test_each_top_up_is_refunded_at_most_what_it_paid_in(driver):
    first, second = top_up(driver, 30_000, key="a"), top_up(driver, 20_000, key="b")
    withdrawal = wallet_withdraw(driver=driver, idempotency_key="w")
    assert sorted(withdrawal.refunds) == sorted([[first.out_trade_no, 30_000], [second.out_trade_no, 20_000]])
    assert sorted(TopUpOrder.objects.values_list("refunded_fen", flat=True)) == [20_000, 30_000]


@pytest.mark.parametrize("cap", ["WALLET_TRANSFER_DAILY_LIMIT_FEN", "WALLET_TRANSFER_MONTHLY_LIMIT_FEN"])
def test_transfers_have_configurable_daily_and_monthly_caps(driver, settings, cap):
    setattr(settings, cap, 50_000)
    top_up(driver, 100_000)
    recipient = DriverFactory()
    wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=30_000, idempotency_key="a")
    before = counters_snapshot()
    with pytest.raises(LimitExceeded):
        wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=30_000, idempotency_key="b")
    assert counters_snapshot() == before


def _transfer(client, phone, amount_fen=100):
    return client.post(
        "/api/wallet/transfers/",
        {"to_phone": phone, "amount_fen": amount_fen, "idempotency_key": phone},
        content_type="application/json",
    )


def test_a_transfer_answer_does_not_tell_whether_a_phone_is_registered(client, driver, settings):
    settings.WALLET_MAX_BALANCE_FEN = 1_000
    top_up(driver, 1_000)
    full = DriverFactory(phone="13900007777")
    top_up(full, 1_000)
    client.force_login(driver.user)
    unknown, registered, own = (
        _transfer(client, "13000000000"),
        _transfer(client, "13900007777"),
        _transfer(client, driver_phone_get(driver=driver)),
    )
    assert unknown.status_code == registered.status_code == own.status_code == 400
    assert unknown.json() == registered.json() == own.json()


def test_errors_carry_no_internal_ids_or_expected_amounts(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    wrong = payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=1)
    mismatch = client.post("/api/payments/simulator/notify/", wrong, content_type="application/json")
    assert mismatch.status_code == 400 and "20000" not in mismatch.content.decode()
    assert mismatch.json()["extra"] == {}
    client.force_login(driver.user)
    DriverFactory(phone="13900008888")
    poor = _transfer(client, "13900008888", amount_fen=500)
    assert poor.status_code == 402 and poor.json()["extra"] == {}
