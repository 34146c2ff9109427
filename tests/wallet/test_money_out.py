from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.enums import Funder
from marketing.models import ContractOffer
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import top_up_bonus
from tests.factories.stations import StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import AccountKind, ContractStatus, WithdrawalStatus
from wallet.exceptions import (
    ContractNotAllowed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LimitExceeded,
    RefundExceedsPayment,
    TransferNotAllowed,
)
from wallet.models import Contract, Withdrawal
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.contracts import wallet_contract_close, wallet_contract_open
from wallet.services.holds import wallet_hold_capture, wallet_hold_place, wallet_payment_refund
from wallet.services.transfers import wallet_transfer, wallet_withdraw

pytestmark = pytest.mark.django_db


def _paid(driver, station, amount, key="p"):
    hold = wallet_hold_place(
        driver_id=driver.pk, station_id=station.pk, amount_fen=amount, reference=key, idempotency_key=key
    )
    return wallet_hold_capture(hold_id=hold.pk, amount_fen=amount)


# --- refunds -----------------------------------------------------------------------------------


def test_partial_then_full_refund_returns_exactly_what_was_paid(driver, station):
    top_up(driver, 100_000)
    payment = _paid(driver, station, 33_333)
    wallet_payment_refund(hold_id=payment.pk, amount_fen=10_000, idempotency_key="r1")
    wallet_payment_refund(hold_id=payment.pk, amount_fen=23_333, idempotency_key="r2")
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 100_000
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station.pk) == 0
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_FEE_INCOME) == 0
    assert ledger_verify().ok


def test_refund_returns_principal_side_first_then_bonus(driver, station):
    top_up_bonus(name="送", min_amount_fen=100_000, bonus_fen=5_000, funder=Funder.PLATFORM)
    top_up(driver, 100_000)
    payment = _paid(driver, station, 8_000)  # 5,000 bonus + 3,000 principal
    wallet_payment_refund(hold_id=payment.pk, amount_fen=4_000, idempotency_key="r1")
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.bonus_fen) == (100_000, 1_000)


def test_refund_over_the_remaining_payment_is_refused_and_changes_nothing(driver, station):
    top_up(driver, 100_000)
    payment = _paid(driver, station, 10_000)
    wallet_payment_refund(hold_id=payment.pk, amount_fen=6_000, idempotency_key="r1")
    before = counters_snapshot()
    with pytest.raises(RefundExceedsPayment):
        wallet_payment_refund(hold_id=payment.pk, amount_fen=4_001, idempotency_key="r2")
    assert counters_snapshot() == before


def test_refund_replay_is_idempotent_and_a_changed_amount_conflicts(driver, station):
    top_up(driver, 100_000)
    payment = _paid(driver, station, 10_000)
    wallet_payment_refund(hold_id=payment.pk, amount_fen=1_000, idempotency_key="r1")
    wallet_payment_refund(hold_id=payment.pk, amount_fen=1_000, idempotency_key="r1")
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 91_000
    with pytest.raises(IdempotencyConflict):
        wallet_payment_refund(hold_id=payment.pk, amount_fen=2_000, idempotency_key="r1")


# --- transfers ---------------------------------------------------------------------------------


def test_transfer_moves_principal_between_drivers(driver):
    recipient = DriverFactory()
    top_up(driver, 100_000)
    wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=30_000, idempotency_key="t")
    wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=30_000, idempotency_key="t")  # replay
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 70_000
    assert wallet_balance_get(driver_id=recipient.pk).principal_fen == 30_000


def test_bonus_is_not_transferable(driver, settings):
    settings.WALLET_TRANSFER_MAX_FEN = settings.WALLET_TRANSFER_DAILY_LIMIT_FEN = 500_000
    top_up_bonus(name="送", min_amount_fen=100_000, bonus_fen=5_000, funder=Funder.PLATFORM)
    recipient = DriverFactory()
    top_up(driver, 100_000)
    with pytest.raises(InsufficientFunds):
        wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=100_001, idempotency_key="t")
    assert wallet_balance_get(driver_id=recipient.pk).principal_fen == 0


@pytest.mark.parametrize(
    ("_case", "amount", "error"),
    [
        ("zero", 0, InvalidAmount),
        ("over the transfer limit", 100_001, InvalidAmount),
    ],
)
def test_transfer_limits(driver, _case, amount, error):
    top_up(driver, 200_000)
    recipient = DriverFactory()
    before = counters_snapshot()
    with pytest.raises(error):
        wallet_transfer(from_driver=driver, to_driver=recipient, amount_fen=amount, idempotency_key="t")
    assert counters_snapshot() == before


def test_transfer_to_self_is_refused(driver):
    top_up(driver, 10_000)
    with pytest.raises(TransferNotAllowed):
        wallet_transfer(from_driver=driver, to_driver=driver, amount_fen=100, idempotency_key="t")


def test_transfer_api_refuses_unknown_recipient_as_any_other_recipient(client, driver):
    top_up(driver, 10_000)
    client.force_login(driver.user)
    response = client.post(
        "/api/wallet/transfers/",
        {"to_phone": "10000000000", "amount_fen": 100, "idempotency_key": "t"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "wallet_transfer_not_allowed"
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 10_000


# --- withdrawals -------------------------------------------------------------------------------


def test_withdrawal_pays_out_principal_and_forfeits_bonus(driver, django_capture_on_commit_callbacks):
    top_up_bonus(name="送", min_amount_fen=100_000, bonus_fen=5_000, funder=Funder.PLATFORM)
    top_up(driver, 100_000)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = wallet_withdraw(driver=driver, idempotency_key="w")
    assert (withdrawal.principal_fen, withdrawal.forfeited_bonus_fen) == (100_000, 5_000)
    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.PAID
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.bonus_fen) == (0, 0)
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_ESCROW) == 0
    assert system_account_balance_fen(kind=AccountKind.REFUNDS_PAYABLE) == 0
    assert ledger_verify().ok


def test_withdrawal_is_refused_while_a_hold_is_open(driver, station):
    top_up(driver, 100_000)
    wallet_hold_place(driver_id=driver.pk, station_id=station.pk, amount_fen=1_000, reference="r", idempotency_key="h")
    with pytest.raises(LimitExceeded):
        wallet_withdraw(driver=driver, idempotency_key="w")
    assert Withdrawal.objects.count() == 0


# --- contracts (合约加油) -------------------------------------------------------------------------


@pytest.fixture
def offer(station):
    return ContractOffer.objects.create(
        station=station, committed_fen=50_000, days=30, reward_bonus_fen=2_000, funder=Funder.STATION
    )


def test_contract_freezes_funds_usable_only_at_its_station(driver, station, offer):
    top_up(driver, 60_000)
    wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    other = StationFactory()
    with pytest.raises(InsufficientFunds):
        _paid(driver, other, 20_000, key="elsewhere")
    _paid(driver, station, 20_000, key="here")  # contract funds first
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.contract_fen, balance.principal_fen) == (30_000, 10_000)


def test_fulfilled_contract_earns_its_reward(driver, station, offer):
    top_up(driver, 60_000)
    contract = wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    _paid(driver, station, 50_000)
    closed = wallet_contract_close(contract_id=contract.pk, now=timezone.now() + timedelta(days=31))
    assert closed.status == ContractStatus.FULFILLED
    assert wallet_balance_get(driver_id=driver.pk).bonus_fen == 2_000
    assert system_account_balance_fen(kind=AccountKind.PROMOTION_EXPENSE_STATION, station_id=station.pk) == 2_000


def test_unfulfilled_contract_unfreezes_the_remainder(driver, station, offer):
    top_up(driver, 60_000)
    contract = wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    _paid(driver, station, 20_000)
    assert wallet_contract_close(contract_id=contract.pk).status == ContractStatus.ACTIVE  # not due yet
    closed = wallet_contract_close(contract_id=contract.pk, now=timezone.now() + timedelta(days=31))
    assert closed.status == ContractStatus.UNFULFILLED
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.contract_fen, balance.principal_fen, balance.bonus_fen) == (0, 40_000, 0)


def test_contract_needs_the_funds_and_an_active_offer(driver, offer):
    top_up(driver, 10_000)
    with pytest.raises(InsufficientFunds):
        wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")
    assert Contract.objects.count() == 0
    with pytest.raises(ContractNotAllowed):
        wallet_contract_open(driver=driver, offer_id=offer.pk + 100, idempotency_key="d")
