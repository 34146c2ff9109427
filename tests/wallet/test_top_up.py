import pytest

from marketing.enums import Funder
from tests.factories.marketing import top_up_bonus
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import AccountKind, TopUpStatus
from wallet.exceptions import InvalidAmount, InvalidSignature, LimitExceeded, NotificationMismatch, PaymentOrderNotFound
from wallet.models import JournalEntry, TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create

pytestmark = pytest.mark.django_db


def _notification(order, **changes):
    params = payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=order.amount_fen)
    params.update(changes)
    return params


def test_paid_notification_credits_principal_and_escrow(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    wallet_top_up_notification_handle(params=_notification(order))
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_ESCROW) == 50_000
    order.refresh_from_db()
    assert order.status == TopUpStatus.CREDITED and order.provider_transaction_id.startswith("SIM")


def test_duplicate_notifications_credit_exactly_once(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    for _ in range(3):
        wallet_top_up_notification_handle(params=_notification(order))
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000
    assert JournalEntry.objects.count() == 1


def test_failure_after_success_does_not_undo_the_credit(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    wallet_top_up_notification_handle(params=_notification(order))
    failed = payment_provider_get().payment_notification(
        out_trade_no=order.out_trade_no, amount_fen=50_000, succeeded=False
    )
    assert wallet_top_up_notification_handle(params=failed).status == TopUpStatus.CREDITED


def test_late_success_after_a_failure_still_credits(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    failed = payment_provider_get().payment_notification(
        out_trade_no=order.out_trade_no, amount_fen=50_000, succeeded=False
    )
    assert wallet_top_up_notification_handle(params=failed).status == TopUpStatus.CLOSED
    assert wallet_top_up_notification_handle(params=_notification(order)).status == TopUpStatus.CREDITED
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 50_000


@pytest.mark.parametrize(
    ("_case", "changes", "error"),
    [
        ("tampered amount", {"total_fee": "9999999"}, InvalidSignature),
        ("forged signature", {"sign": "0" * 64}, InvalidSignature),
        ("missing signature", {"sign": ""}, InvalidSignature),
    ],
)
def test_invalid_notification_is_rejected_and_changes_nothing(driver, _case, changes, error):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    before = counters_snapshot()
    with pytest.raises(error):
        wallet_top_up_notification_handle(params=_notification(order, **changes))
    assert counters_snapshot() == before
    order.refresh_from_db()
    assert order.status == TopUpStatus.CREATED


def test_correctly_signed_notification_with_wrong_amount_is_rejected(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    wrong = payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=1)
    with pytest.raises(NotificationMismatch):
        wallet_top_up_notification_handle(params=wrong)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0


def test_notification_for_unknown_order_is_rejected():
    with pytest.raises(PaymentOrderNotFound):
        wallet_top_up_notification_handle(
            params=payment_provider_get().payment_notification(out_trade_no="T-nope", amount_fen=100)
        )


def test_bonus_rule_credits_bonus_funded_by_the_platform(driver):
    top_up_bonus(name="充2000送100", min_amount_fen=200_000, bonus_fen=10_000, funder=Funder.PLATFORM)
    top_up(driver, 200_000)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.bonus_fen) == (200_000, 10_000)
    assert system_account_balance_fen(kind=AccountKind.PROMOTION_EXPENSE_PLATFORM) == 10_000


@pytest.mark.parametrize(
    ("_case", "amount", "error"),
    [
        ("below minimum", 99, InvalidAmount),
        ("above per-top-up maximum", 500_001, InvalidAmount),
        ("not an integer", 100.5, InvalidAmount),
    ],
)
def test_top_up_amount_limits(driver, _case, amount, error):
    with pytest.raises(error):
        wallet_top_up_order_create(driver=driver, amount_fen=amount, idempotency_key="k")
    assert TopUpOrder.objects.count() == 0


def test_top_up_beyond_the_maximum_balance_is_refused(driver):
    top_up(driver, 450_000, key="first")
    with pytest.raises(LimitExceeded) as error:
        wallet_top_up_order_create(driver=driver, amount_fen=60_000, idempotency_key="second")
    assert error.value.extra["limit"] in ("max_balance", "daily_top_up")


def test_daily_limit_counts_todays_orders(driver, settings):
    settings.WALLET_DAILY_TOP_UP_LIMIT_FEN = 100_000
    wallet_top_up_order_create(driver=driver, amount_fen=80_000, idempotency_key="a")
    with pytest.raises(LimitExceeded) as error:
        wallet_top_up_order_create(driver=driver, amount_fen=30_000, idempotency_key="b")
    assert error.value.extra["limit"] == "daily_top_up"


def test_order_create_is_idempotent_per_driver_key(driver):
    first = wallet_top_up_order_create(driver=driver, amount_fen=10_000, idempotency_key="k")
    assert wallet_top_up_order_create(driver=driver, amount_fen=10_000, idempotency_key="k").pk == first.pk


def test_top_up_through_the_api_and_the_notify_endpoint(client, driver):
    client.force_login(driver.user)
    created = client.post(
        "/api/wallet/top-ups/", {"amount_fen": 20_000, "idempotency_key": "api-1"}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["pay_url"] == f"/sim/pay/{body['out_trade_no']}/"
    notification = payment_provider_get().payment_notification(out_trade_no=body["out_trade_no"], amount_fen=20_000)
    client.logout()
    notified = client.post("/api/payments/simulator/notify/", notification, content_type="application/json")
    assert notified.status_code == 200 and notified.json()["code"] == "SUCCESS"
    client.force_login(driver.user)
    assert client.get("/api/wallet/").json()["principal_fen"] == 20_000


def test_notify_endpoint_rejects_forged_notification_with_clear_error(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    forged = _notification(order, sign="DEADBEEF")
    response = client.post("/api/payments/simulator/notify/", forged, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "payment_invalid_signature"
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0
