"""Payment notifications carry a signed timestamp and nonce: stale (> 5 min) or replayed ones are refused
before any work."""

import time

import pytest

from wallet.models import JournalEntry, TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.top_up import wallet_top_up_order_create

pytestmark = pytest.mark.django_db
NOTIFY = "/api/payments/simulator/notify/"


def _signed(order, **changes):
    provider = payment_provider_get()
    params = provider.payment_notification(out_trade_no=order.out_trade_no, amount_fen=order.amount_fen) | changes
    params["sign"] = provider.sign(params)
    return params


def test_a_stale_notification_is_refused_and_credits_nothing(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    stale = _signed(order, timestamp=str(int(time.time()) - 301))
    response = client.post(NOTIFY, stale, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "payment_notification_stale"
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0
    assert TopUpOrder.objects.get().status == "created"


def test_a_replayed_notification_is_refused_and_a_fresh_delivery_still_works(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    first = _signed(order)
    assert client.post(NOTIFY, first, content_type="application/json").status_code == 200
    replay = client.post(NOTIFY, first, content_type="application/json")
    assert replay.status_code == 400 and replay.json()["code"] == "payment_notification_stale"
    assert client.post(NOTIFY, _signed(order), content_type="application/json").status_code == 200  # provider resend
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 20_000
    assert JournalEntry.objects.count() == 1


def test_a_notification_without_timestamp_or_nonce_is_refused(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    params = _signed(order)
    for missing in ("timestamp", "nonce_str"):
        unsigned = {key: value for key, value in params.items() if key not in (missing, "sign")}
        unsigned["sign"] = payment_provider_get().sign(unsigned)
        assert client.post(NOTIFY, unsigned, content_type="application/json").status_code == 400
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0
