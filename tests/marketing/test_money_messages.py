"""The wording of the receipt and top-up-credited messages, in both languages."""

import pytest
from django.utils import translation

from marketing.enums import NotificationKind
from marketing.models import Notification
from marketing.services import receipt_notify, top_up_credited_notify

pytestmark = pytest.mark.django_db


def _body(driver, kind) -> tuple[str, str]:
    message = Notification.objects.get(driver=driver, kind=kind)
    return message.title, message.body


@pytest.mark.parametrize(
    ("language", "volume_ml", "title", "body"),
    [
        ("zh-hans", 20_500, "消费小票", "已在城东站支付 ¥150.68，加油 20.50 升。订单号 F1。"),
        ("en", 20_500, "Payment receipt", "¥150.68 paid at 城东站 for 20.50 L of fuel. Order F1."),
        ("zh-hans", 0, "消费小票", "已在城东站支付 ¥150.68。订单号 F1。"),
    ],
)
def test_the_receipt_says_what_was_paid_where_and_the_litres(driver, language, volume_ml, title, body):
    with translation.override(language):
        receipt_notify(driver_id=driver.pk, reference="F1", paid_fen=15_068, station_name="城东站", volume_ml=volume_ml)
    assert _body(driver, NotificationKind.RECEIPT) == (title, body)


@pytest.mark.parametrize(
    ("language", "bonus_fen", "title", "body"),
    [
        ("zh-hans", 10_000, "充值到账", "充值 ¥2,000.00 已到账，另赠 ¥100.00。"),
        ("en", 10_000, "Top-up credited", "¥2,000.00 topped up to your wallet, plus a ¥100.00 bonus."),
        ("zh-hans", 0, "充值到账", "充值 ¥2,000.00 已到账。"),
    ],
)
def test_the_top_up_message_says_the_amount_and_the_bonus(driver, language, bonus_fen, title, body):
    with translation.override(language):
        top_up_credited_notify(driver_id=driver.pk, reference="T1", amount_fen=200_000, bonus_fen=bonus_fen)
    assert _body(driver, NotificationKind.TOP_UP) == (title, body)
