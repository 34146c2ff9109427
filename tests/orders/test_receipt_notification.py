"""The receipt (加油小票) message: sent once per paid order with what was paid, where and the litres, always on,
delivered through the channel after the commit; nothing when the payment fails or rolls back."""

import json

import pytest

from marketing.enums import NotificationKind, NotificationStatus
from marketing.models import Notification
from orders.models import FuelOrder
from orders.services import order_postpaid_pay, order_prepaid_create
from tests.factories.pumpgateway import attendant_fill
from tests.factories.wallet import counters_snapshot, top_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store_line, driver):
    top_up(driver, 50_000)
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=20_000)


def _receipts(driver) -> list[Notification]:
    return list(Notification.objects.filter(driver=driver, kind=NotificationKind.RECEIPT))


def _fill(store_line, *, volume_ml=20_000, amount_fen=14_700):
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=volume_ml, amount_fen=amount_fen)  # 20 L at ¥7.35


def test_a_paid_order_sends_its_receipt_with_amount_station_and_litres(store_line, order, driver):
    _fill(store_line)
    (receipt,) = _receipts(driver)
    order = FuelOrder.objects.get(pk=order.pk)
    assert (receipt.status, receipt.dedup_key) == (NotificationStatus.SENT, f"receipt:{order.order_no}")
    assert "¥147.00" in receipt.body and order.station.name in receipt.body and "20.00" in receipt.body
    assert order.order_no in receipt.body


def test_the_paid_event_replayed_sends_no_second_receipt(store_line, order, driver):
    _fill(store_line)
    store_line.completed(volume_ml=20_000, amount_fen=14_700)
    assert len(_receipts(driver)) == 1


def test_the_receipt_goes_at_once_in_quiet_hours_and_past_the_daily_cap(settings, store_line, order, driver):
    settings.NOTIFICATION_QUIET_HOURS = (0, 24)  # every hour is quiet
    settings.NOTIFICATION_MAX_PER_DAY = 0
    _fill(store_line)
    (receipt,) = _receipts(driver)
    assert (receipt.status, receipt.why_not_sent) == (NotificationStatus.SENT, "")


def test_the_receipt_is_delivered_through_the_channel(settings, tmp_path, store_line, order, driver):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.SmsChannel"
    settings.NOTIFICATION_OUTBOX_PATH = str(tmp_path / "outbox.jsonl")
    _fill(store_line)  # the store line runs the commit callbacks
    records = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["TemplateCode"] for record in records] == ["SMS_FP_RECEIPT"]


def test_no_fuel_sends_no_receipt(store_line, order, driver):
    _fill(store_line, volume_ml=0, amount_fen=0)
    assert _receipts(driver) == []


def test_a_refused_authorization_sends_no_receipt(store_line, order, driver):
    (command,) = store_line.report("pending_commands")
    store_line.report("command_result", command.command_id, delivered=False, error="pump busy (status 4)")
    assert _receipts(driver) == []


def test_a_payment_that_rolls_back_sends_no_receipt(
    monkeypatch, store_line, driver, django_capture_on_commit_callbacks
):
    fill = attendant_fill(store_line.nozzles[0], amount_fen=15_000)
    top_up(driver, 50_000)

    def fails(**kwargs):
        raise RuntimeError("the paying transaction breaks after the receipt")

    monkeypatch.setattr("orders.services.low_balance_notify", fails)
    before = counters_snapshot()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        order_postpaid_pay(driver=driver, fill_id=fill.pk, idempotency_key="k")
    assert _receipts(driver) == [] and callbacks == []
    assert counters_snapshot() == before and not FuelOrder.objects.exists()
