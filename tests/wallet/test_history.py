"""The driver's wallet history: each movement once, with its type, signed amount, balance after, station
and reference; an open authorization shows as a pending reservation until it settles."""

import pytest

from tests.factories.wallet import top_up
from wallet.enums import Operation
from wallet.selectors import wallet_history_list
from wallet.services.holds import wallet_hold_capture, wallet_hold_place

pytestmark = pytest.mark.django_db


def test_an_open_authorization_shows_as_a_pending_reservation(funded_driver, station):
    wallet_hold_place(
        driver_id=funded_driver.pk, station_id=station.pk, amount_fen=20_000, reference="F1", idempotency_key="h"
    )
    latest = wallet_history_list(driver_id=funded_driver.pk)[0]
    assert (latest.operation, latest.amount_fen, latest.is_pending) == (Operation.HOLD, -20_000, True)
    assert latest.station_name == station.name and latest.reference == "F1"


def test_a_settled_payment_shows_once_with_the_balance_after(driver, station):
    top_up(driver, 50_000)
    hold = wallet_hold_place(
        driver_id=driver.pk, station_id=station.pk, amount_fen=20_000, reference="F2", idempotency_key="h"
    )
    wallet_hold_capture(hold_id=hold.pk, amount_fen=18_888)
    history = wallet_history_list(driver_id=driver.pk)
    assert [(item.operation, item.amount_fen, item.balance_after_fen, item.is_pending) for item in history] == [
        (Operation.CAPTURE, -18_888, 50_000 - 18_888, False),
        (Operation.TOP_UP, 50_000, 50_000, False),
    ]
    assert history[0].reference == "F2" and history[0].station_name == station.name
