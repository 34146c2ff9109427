"""The driver's history: one line per business event (a top-up with its bonus, a payment, a refund, a
transfer in or out, a contract frozen, released or rewarded), the wallet total after each line equal to the
wallet's balance at that moment, sub-balance detail per line, and filters by kind and month."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.enums import Funder
from marketing.models import ContractOffer
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import top_up_bonus
from tests.factories.wallet import top_up
from wallet.enums import AccountKind, Operation
from wallet.selectors import HistoryKind, wallet_balance_get, wallet_history_list
from wallet.services.contracts import wallet_contract_close, wallet_contract_open
from wallet.services.holds import wallet_hold_capture, wallet_hold_place, wallet_payment_refund
from wallet.services.transfers import wallet_transfer

pytestmark = pytest.mark.django_db


def _total(driver) -> int:
    balance = wallet_balance_get(driver_id=driver.pk)
    return balance.principal_fen + balance.bonus_fen + balance.contract_fen


def _pay(driver, station, amount_fen: int, key: str):
    hold = wallet_hold_place(
        driver_id=driver.pk, station_id=station.pk, amount_fen=amount_fen + 1_000, reference=key, idempotency_key=key
    )
    return wallet_hold_capture(hold_id=hold.pk, amount_fen=amount_fen)


def test_each_business_event_is_one_line_with_the_wallet_total_after_it(driver, station):
    top_up_bonus(name="充1000送40", min_amount_fen=100_000, bonus_fen=4_000, funder=Funder.PLATFORM)
    offer = ContractOffer.objects.create(
        station=station, committed_fen=50_000, days=30, reward_bonus_fen=2_000, funder=Funder.STATION
    )
    friend = DriverFactory()
    top_up(friend, 20_000, key="friend")
    totals = []  # the wallet's balance right after each event, oldest first

    def step(action):
        action()
        totals.append(_total(driver))

    step(lambda: top_up(driver, 100_000))  # +1,000 principal and +40 bonus: one line
    payment = _pay(driver, station, 10_000, key="pay")
    totals.append(_total(driver))  # the reservation and the capture: one line (the capture)
    step(lambda: wallet_payment_refund(hold_id=payment.pk, amount_fen=3_000, idempotency_key="r"))
    step(lambda: wallet_transfer(from_driver=driver, to_driver=friend, amount_fen=5_000, idempotency_key="t1"))
    step(lambda: wallet_transfer(from_driver=friend, to_driver=driver, amount_fen=2_000, idempotency_key="t2"))
    contract = wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    totals.append(_total(driver))
    _pay(driver, station, 50_000, key="contract-pay")
    totals.append(_total(driver))
    step(lambda: wallet_contract_close(contract_id=contract.pk, now=timezone.now() + timedelta(days=31)))

    history = wallet_history_list(driver_id=driver.pk)
    assert [(event.label, event.amount_fen) for event in reversed(history)] == [
        ("充值（含赠送）", 104_000),
        ("加油消费", -10_000),
        ("退款", 3_000),
        ("转出", -5_000),
        ("转入", 2_000),
        ("合约资金冻结", 0),
        ("加油消费", -50_000),
        ("合约奖励", 2_000),
    ]
    assert [event.total_after_fen for event in reversed(history)] == totals
    assert history[0].total_after_fen == _total(driver)

    top_up_line = history[-1]
    assert {part.account_kind: part.amount_fen for part in top_up_line.parts} == {
        AccountKind.DRIVER_PRINCIPAL: 100_000,
        AccountKind.DRIVER_BONUS: 4_000,
    }
    frozen = next(event for event in history if event.operation == Operation.CONTRACT_OPEN)
    assert frozen.moved_fen == 50_000
    assert {part.account_kind: part.amount_fen for part in frozen.parts} == {
        AccountKind.DRIVER_PRINCIPAL: -50_000,
        AccountKind.DRIVER_CONTRACT: 50_000,
    }


def test_an_open_authorization_is_a_pending_line_that_leaves_the_total_alone(funded_driver, station):
    before = _total(funded_driver)
    wallet_hold_place(
        driver_id=funded_driver.pk, station_id=station.pk, amount_fen=20_000, reference="F1", idempotency_key="h"
    )
    latest = wallet_history_list(driver_id=funded_driver.pk)[0]
    assert (latest.operation, latest.amount_fen, latest.is_pending) == (Operation.HOLD, -20_000, True)
    assert latest.total_after_fen == before
    assert latest.station_name == station.name and latest.reference == "F1"


def test_an_unfulfilled_contract_is_released_in_one_line(driver, station):
    offer = ContractOffer.objects.create(
        station=station, committed_fen=50_000, days=30, reward_bonus_fen=2_000, funder=Funder.STATION
    )
    top_up(driver, 60_000)
    contract = wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    _pay(driver, station, 10_000, key="p")
    wallet_contract_close(contract_id=contract.pk, now=timezone.now() + timedelta(days=31))
    latest = wallet_history_list(driver_id=driver.pk)[0]
    assert (latest.label, latest.amount_fen, latest.moved_fen) == ("合约释放", 0, 40_000)
    assert latest.total_after_fen == _total(driver) == 50_000


def test_filters_by_kind_and_month(driver, station):
    top_up(driver, 50_000)
    _pay(driver, station, 10_000, key="p")
    payments = wallet_history_list(driver_id=driver.pk, kind=HistoryKind.PAYMENT)
    assert [event.operation for event in payments] == [Operation.CAPTURE]
    now = timezone.localtime()
    assert len(wallet_history_list(driver_id=driver.pk, month=(now.year, now.month))) == 2
    assert wallet_history_list(driver_id=driver.pk, month=(now.year - 1, now.month)) == []


def test_the_history_page_filters_and_shows_the_total_after_each_line(client, driver, station):
    top_up(driver, 50_000)
    _pay(driver, station, 10_000, key="p")
    client.force_login(driver.user)
    page = client.get("/me/history/").content.decode()
    assert page.count('class="event"') == 2 and "钱包总额 ¥400.00" in page
    only_payments = client.get("/me/history/", {"kind": "payment"}).content.decode()
    assert only_payments.count('class="event"') == 1


@pytest.mark.parametrize("query", [{"kind": "bogus"}, {"month": "2026-13"}, {"month": "last"}])
def test_a_bad_filter_is_refused_with_a_message_and_the_full_history(client, driver, station, query):
    top_up(driver, 50_000)
    client.force_login(driver.user)
    page = client.get("/me/history/", query).content.decode()
    assert 'id="error"' in page and page.count('class="event"') == 1


def test_the_monthly_statement_is_a_pdf(client, driver, station):
    top_up(driver, 50_000)
    client.force_login(driver.user)
    now = timezone.localtime()
    response = client.get(f"/me/history/{now.year}-{now.month:02d}.pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content
    assert client.get("/me/history/2026-13.pdf").status_code == 404


def test_a_statement_with_an_open_reservation_renders(client, funded_driver, station):
    wallet_hold_place(
        driver_id=funded_driver.pk, station_id=station.pk, amount_fen=20_000, reference="F1", idempotency_key="h"
    )
    client.force_login(funded_driver.user)
    now = timezone.localtime()
    assert client.get(f"/me/history/{now.year}-{now.month:02d}.pdf").content.startswith(b"%PDF")
