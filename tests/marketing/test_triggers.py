"""The triggers: low balance after a payment, coupons expiring, birthday gifts, refuelling reminders —
each message (and gift) once per event, whatever runs twice; the beat schedule runs them."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from fuelpay.celery import app
from marketing.engine import Quote
from marketing.enums import CouponIssuedVia, CouponStatus, NotificationKind, NotificationStatus
from marketing.models import BirthdayGift, Coupon, MemberLevel, Notification, Standing
from marketing.services import (
    birthday_gifts_grant,
    coupon_issue,
    coupons_expiring_notify,
    low_balance_notify,
    notify,
    order_paid_record,
    refuel_reminders_send,
)
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(month, day, hour=10, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


def _messages(driver, kind):
    return list(Notification.objects.filter(driver=driver, kind=kind).values_list("dedup_key", flat=True))


LOW_BALANCE = [
    # (case, balance after, paid, warned) — threshold ¥100
    ("crossed: 150 → 80", 8_000, 7_000, True),
    ("crossed exactly from 100", 9_999, 1, True),
    ("still above", 10_000, 5_000, False),
    ("was already low", 5_000, 2_000, False),
]


@pytest.mark.parametrize(("_case", "balance", "paid", "warned"), LOW_BALANCE, ids=[c[0] for c in LOW_BALANCE])
def test_low_balance_warns_only_the_payment_that_crosses_the_threshold(settings, driver, _case, balance, paid, warned):
    settings.NOTIFICATION_LOW_BALANCE_FEN = 10_000
    assert low_balance_notify(driver_id=driver.pk, balance_fen=balance, paid_fen=paid, reference="F1") is warned
    assert _messages(driver, NotificationKind.LOW_BALANCE) == (["low_balance:F1"] if warned else [])


def test_the_same_payment_never_warns_twice(driver):
    for _ in range(2):
        low_balance_notify(driver_id=driver.pk, balance_fen=1_000, paid_fen=20_000, reference="F1")
    (message,) = Notification.objects.filter(driver=driver, kind=NotificationKind.LOW_BALANCE)
    assert "¥10.00" in message.body


def test_notify_with_an_event_returns_the_first_message_and_adds_none(driver):
    first = notify(driver_id=driver.pk, kind=NotificationKind.CAMPAIGN, title="a", body="b", dedup_key="e1")
    again = notify(driver_id=driver.pk, kind=NotificationKind.CAMPAIGN, title="c", body="d", dedup_key="e1")
    assert again.pk == first.pk
    assert Notification.objects.filter(driver=driver).count() == 1


def test_coupons_ending_within_the_notice_are_announced_once(settings, driver):
    settings.NOTIFICATION_EXPIRING_DAYS = 3
    now = at(11, 20)
    soon = coupon_issue(template=CouponTemplateFactory(valid_days=5), driver_id=driver.pk, via="rule", now=now)
    coupon_issue(template=CouponTemplateFactory(valid_days=30), driver_id=driver.pk, via="rule", now=now)
    later = now + timedelta(days=2, hours=1)  # the first ends within 3 days, the second in 28
    assert coupons_expiring_notify(now=later) == 1
    assert coupons_expiring_notify(now=later + timedelta(hours=1)) == 0
    assert _messages(driver, NotificationKind.EXPIRING) == [f"coupon_expiring:{soon.pk}"]


def test_a_used_coupon_is_not_announced(settings, driver):
    coupon = coupon_issue(template=CouponTemplateFactory(valid_days=2), driver_id=driver.pk, via="rule")
    Coupon.objects.filter(pk=coupon.pk).update(status=CouponStatus.USED)
    assert coupons_expiring_notify() == 0


@pytest.fixture
def gold_with_gift():
    gift = CouponTemplateFactory(name="生日券")
    MemberLevel.objects.filter(code="gold").update(birthday_coupon=gift)  # the seeded levels
    return gift


def _member(birthday, level="gold"):
    driver = DriverFactory()
    type(driver).objects.filter(pk=driver.pk).update(birthday=birthday)
    Standing.objects.create(driver=driver, level=level)
    return driver


def test_the_birthday_gift_is_given_once_a_year(gold_with_gift):
    driver = _member(date(1990, 11, 24))
    assert birthday_gifts_grant(now=at(11, 24, 9)) == 1
    assert birthday_gifts_grant(now=at(11, 24, 15)) == 0  # the same day again
    assert birthday_gifts_grant(now=at(11, 24, 9, year=2027)) == 1  # next year's
    coupons = Coupon.objects.filter(driver=driver, template=gold_with_gift, issued_via=CouponIssuedVia.RULE)
    assert coupons.count() == 2
    assert sorted(BirthdayGift.objects.filter(driver=driver).values_list("year", flat=True)) == [2026, 2027]
    assert _messages(driver, NotificationKind.BIRTHDAY) == ["birthday:2027", "birthday:2026"]


@pytest.mark.parametrize(
    ("_case", "birthday", "level", "now", "given"),
    [
        ("not today", date(1990, 11, 25), "gold", at(11, 24), 0),
        ("a level without a gift", date(1990, 11, 24), "", at(11, 24), 0),
        ("29 February on the 28th of a common year", date(1992, 2, 29), "gold", at(2, 28), 1),
        ("29 February not on the 28th of a leap year", date(1992, 2, 29), "gold", at(2, 28, year=2028), 0),
    ],
)
def test_who_gets_a_birthday_gift(gold_with_gift, _case, birthday, level, now, given):
    _member(birthday, level=level)
    assert birthday_gifts_grant(now=now) == given
    assert Coupon.objects.filter(template=gold_with_gift).count() == given


def test_a_driver_without_a_birthday_gets_nothing(gold_with_gift):
    _member(None)
    assert birthday_gifts_grant(now=at(11, 24)) == 0


def test_the_refuel_reminder_is_once_per_fill_even_if_the_first_was_not_sent(driver):
    for n, day in enumerate((1, 8, 15)):
        order_paid_record(driver_id=driver.pk, paid_fen=30_000, reference=f"F{n}", quote=Quote((), 0), at=at(11, day))
    assert refuel_reminders_send(now=at(11, 22, 23)) == 1  # due, at 23:00: it waits for the quiet hours' end
    Notification.objects.filter(kind=NotificationKind.REFUEL_REMINDER).update(status=NotificationStatus.SUPPRESSED)
    assert refuel_reminders_send(now=at(11, 23)) == 0
    assert len(_messages(driver, NotificationKind.REFUEL_REMINDER)) == 1


@pytest.mark.parametrize(
    "task",
    [
        "marketing.tasks.coupons_expiring_notify_task",
        "marketing.tasks.birthday_gifts_task",
        "marketing.tasks.refuel_reminders_task",
        "wallet.tasks.wallet_contracts_notify_expiring_task",
    ],
)
def test_the_beat_schedule_runs_each_trigger(task):
    assert task in {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert task in app.tasks
