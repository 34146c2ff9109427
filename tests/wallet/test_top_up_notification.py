"""The top-up-credited (储值到账) message: sent once per credited top-up with the amount and the bonus, always
on, delivered after the commit; nothing for a failed, refused or over-limit notification."""

import json

import pytest

from marketing.enums import Funder, NotificationKind, NotificationStatus
from marketing.models import Notification
from tests.factories.marketing import top_up_bonus
from wallet.exceptions import InvalidSignature
from wallet.providers import payment_provider_get
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create

pytestmark = pytest.mark.django_db


def _paid(order, **changes):
    params = payment_provider_get().payment_notification(
        out_trade_no=order.out_trade_no, amount_fen=order.amount_fen, **changes
    )
    return wallet_top_up_notification_handle(params=params)


def _messages(driver) -> list[Notification]:
    return list(Notification.objects.filter(driver=driver, kind=NotificationKind.TOP_UP))


def test_a_credited_top_up_announces_the_amount_and_the_bonus(driver):
    top_up_bonus(name="充2000送100", min_amount_fen=200_000, bonus_fen=10_000, funder=Funder.PLATFORM)
    order = wallet_top_up_order_create(driver=driver, amount_fen=200_000, idempotency_key="k")
    _paid(order)
    (message,) = _messages(driver)
    assert (message.status, message.dedup_key) == (NotificationStatus.SENT, f"top_up:{order.out_trade_no}")
    assert "¥2,000.00" in message.body and "¥100.00" in message.body


def test_a_top_up_without_bonus_announces_the_amount_only(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    _paid(order)
    (message,) = _messages(driver)
    assert "¥500.00" in message.body and "bonus" not in message.body and "赠" not in message.body


def test_duplicate_provider_notifications_send_one_message(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    for _ in range(3):
        _paid(order)
    assert len(_messages(driver)) == 1


def test_the_message_goes_at_once_in_quiet_hours_and_past_the_daily_cap(settings, driver):
    settings.NOTIFICATION_QUIET_HOURS = (0, 24)  # every hour is quiet
    settings.NOTIFICATION_MAX_PER_DAY = 0
    _paid(wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k"))
    (message,) = _messages(driver)
    assert (message.status, message.why_not_sent) == (NotificationStatus.SENT, "")


def test_the_message_is_delivered_after_the_commit(settings, tmp_path, driver, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.SmsChannel"
    settings.NOTIFICATION_OUTBOX_PATH = str(tmp_path / "outbox.jsonl")
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _paid(order)
    assert not (tmp_path / "outbox.jsonl").exists()  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    records = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["TemplateCode"] for record in records] == ["SMS_FP_TOP_UP"]


def test_a_failed_payment_sends_nothing(driver):
    _paid(wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k"), succeeded=False)
    assert _messages(driver) == []


def test_a_refused_notification_sends_nothing(driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    params = payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=50_000)
    params["sign"] = "0" * 64
    with pytest.raises(InvalidSignature):
        wallet_top_up_notification_handle(params=params)
    assert _messages(driver) == []


def test_a_top_up_refunded_over_the_balance_cap_sends_nothing(settings, driver):
    settings.WALLET_MAX_BALANCE_FEN = 10_000
    order = wallet_top_up_order_create(driver=driver, amount_fen=5_000, idempotency_key="k")
    settings.WALLET_MAX_BALANCE_FEN = 1_000
    assert _paid(order).status == "refunded_over_limit"
    assert _messages(driver) == []
