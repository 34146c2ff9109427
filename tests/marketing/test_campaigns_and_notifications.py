"""Notifications (opt-out, quiet hours across midnight, frequency caps, money messages always) and
campaigns with a random holdout: who gets what, and the uplift arithmetic."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketing.campaigns import GroupOutcome, uplift
from marketing.engine import Quote
from marketing.enums import CampaignGroup, CouponStatus, NotificationKind, NotificationStatus, Segment
from marketing.exceptions import CampaignAlreadyLaunched
from marketing.models import Campaign, CampaignMember, Coupon, Notification, Standing
from marketing.segments import refuel_due_at
from marketing.selectors import campaign_report
from marketing.services import (
    campaign_from_template,
    campaign_launch,
    notification_opt_out_set,
    notifications_send_due,
    notify,
    order_paid_record,
    refuel_reminders_send,
)
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(hour, minute=0, day=23):
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def _notify(driver, kind=NotificationKind.CAMPAIGN, now=None):
    return notify(driver_id=driver.pk, kind=kind, title="t", body="b", now=now or at(12))


NOTIFY = [
    # (case, kind, hour, opted out, sent earlier today, status, why)
    ("an offer at noon", NotificationKind.CAMPAIGN, 12, False, 0, NotificationStatus.SENT, ""),
    ("an offer at 23:00 waits", NotificationKind.CAMPAIGN, 23, False, 0, NotificationStatus.WAITING, ""),
    ("an offer at 07:59 waits", NotificationKind.CAMPAIGN, 7, False, 0, NotificationStatus.WAITING, ""),
    ("a receipt at 23:00 goes", NotificationKind.RECEIPT, 23, False, 0, NotificationStatus.SENT, ""),
    ("opted out", NotificationKind.CAMPAIGN, 12, True, 0, NotificationStatus.SUPPRESSED, "opted_out"),
    (
        "third of the day",
        NotificationKind.REFUEL_REMINDER,
        12,
        False,
        2,
        NotificationStatus.SUPPRESSED,
        "frequency_cap",
    ),
    ("receipts never capped", NotificationKind.RECEIPT, 12, False, 2, NotificationStatus.SENT, ""),
]


@pytest.mark.parametrize(
    ("case", "kind", "hour", "opted", "earlier", "status", "why"), NOTIFY, ids=[n[0] for n in NOTIFY]
)
def test_notify(driver, case, kind, hour, opted, earlier, status, why):
    for n in range(earlier):
        _notify(driver, NotificationKind.CAMPAIGN, now=at(9, n))
    if opted:
        notification_opt_out_set(driver_id=driver.pk, kind=kind, opted_out=True)
    notification = _notify(driver, kind, now=at(hour, 59 if hour == 7 else 0))
    assert (notification.status, notification.why_not_sent) == (status, why)


def test_messages_held_by_quiet_hours_go_when_they_end(driver):
    waiting = _notify(driver, now=at(23))
    assert waiting.send_after == at(8, day=24)
    assert notifications_send_due(now=at(7, 59, day=24)) == 0
    assert notifications_send_due(now=at(8, day=24)) == 1
    waiting.refresh_from_db()
    assert waiting.status == NotificationStatus.SENT


def test_receipts_cannot_be_switched_off(driver):
    with pytest.raises(ValidationError):
        notification_opt_out_set(driver_id=driver.pk, kind=NotificationKind.RECEIPT, opted_out=True)


UPLIFTS = [
    # target (drivers, redeemed, revisited, spend), holdout (drivers, revisited, spend) → revisit points, spend/driver
    ((100, 30, 40, 1_000_000), (10, 0, 2, 50_000), Decimal("20.0"), 5_000, Decimal("30.0")),
    ((3, 1, 1, 10_000), (3, 0, 1, 10_000), Decimal("0.0"), 0, Decimal("33.3")),
    ((0, 0, 0, 0), (0, 0, 0, 0), Decimal("0"), 0, Decimal("0")),
    ((7, 0, 2, 1_001), (2, 0, 0, 0), Decimal("28.6"), 143, Decimal("0.0")),
]


@pytest.mark.parametrize(("target", "holdout", "points", "spend", "redemption"), UPLIFTS)
def test_uplift_arithmetic(target, holdout, points, spend, redemption):
    result = uplift(target=GroupOutcome(*target), holdout=GroupOutcome(*holdout))
    assert (result.revisit_uplift_points, result.spend_uplift_per_driver_fen, result.redemption_rate) == (
        points,
        spend,
        redemption,
    )


def test_a_dormant_wake_up_campaign_with_a_holdout_and_its_report():
    template = CouponTemplateFactory(name="回归券")
    dormant = [DriverFactory() for _ in range(40)]
    for driver in dormant:
        Standing.objects.create(driver=driver, segment=Segment.DORMANT, paid_orders=3)
    Standing.objects.create(driver=DriverFactory(), segment=Segment.HIGH_VALUE, paid_orders=9)
    campaign = campaign_from_template(template="dormant_wake_up", coupon_template=template)
    campaign.holdout_percent = 25
    campaign.save()
    launched = at(12)
    sizes = campaign_launch(campaign_id=campaign.pk, now=launched)
    assert sizes["target"] + sizes["holdout"] == 40 and 0 < sizes["holdout"] < 20
    targeted = CampaignMember.objects.filter(campaign=campaign, group=CampaignGroup.TARGET)
    assert Coupon.objects.filter(template=template).count() == sizes["target"] == targeted.count()
    assert Notification.objects.filter(kind=NotificationKind.CAMPAIGN).count() == sizes["target"]
    holdout_ids = set(
        CampaignMember.objects.filter(campaign=campaign, group=CampaignGroup.HOLDOUT).values_list(
            "driver_id", flat=True
        )
    )
    assert not Coupon.objects.filter(driver_id__in=holdout_ids).exists()
    with pytest.raises(CampaignAlreadyLaunched):
        campaign_launch(campaign_id=campaign.pk, now=launched)

    # Two targeted drivers come back and use the coupon; one holdout driver comes back on their own.
    for member in targeted[:2]:
        Coupon.objects.filter(pk=member.coupon_id).update(status=CouponStatus.USED)
        order_paid_record(
            driver_id=member.driver_id,
            paid_fen=20_000,
            reference="R",
            quote=Quote((), 0),
            at=launched + timedelta(days=1),
        )
    order_paid_record(
        driver_id=sorted(holdout_ids)[0],
        paid_fen=10_000,
        reference="H",
        quote=Quote((), 0),
        at=launched + timedelta(days=2),
    )
    target, holdout, result = campaign_report(campaign=Campaign.objects.get(pk=campaign.pk))
    assert (target.drivers, target.redeemed, target.revisited, target.spend_fen) == (sizes["target"], 2, 2, 40_000)
    assert (holdout.drivers, holdout.redeemed, holdout.revisited, holdout.spend_fen) == (sizes["holdout"], 0, 1, 10_000)
    assert result == uplift(target=target, holdout=holdout)


def test_the_platform_launches_from_the_admin_and_reads_the_uplift(client, admin_user):
    template = CouponTemplateFactory()
    for _ in range(5):
        Standing.objects.create(driver=DriverFactory(), segment=Segment.DORMANT, paid_orders=2)
    campaign = campaign_from_template(template="dormant_wake_up", coupon_template=template)
    client.force_login(admin_user)
    response = client.post(
        "/admin/marketing/campaign/", {"action": "launch", "_selected_action": [campaign.pk]}, follow=True
    )
    assert response.status_code == 200
    assert CampaignMember.objects.filter(campaign=campaign).count() == 5
    page = client.get(f"/admin/marketing/campaign/{campaign.pk}/change/").content.decode()
    assert 'class="campaign-report"' in page
    response = client.post(
        "/admin/marketing/campaign/", {"action": "launch", "_selected_action": [campaign.pk]}, follow=True
    )
    assert "该营销活动已投放" in response.content.decode()
    assert CampaignMember.objects.filter(campaign=campaign).count() == 5


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("gaps_in_days", "due_after_last"),
    [([], None), ([7], None), ([7, 7], 7), ([3, 10, 4], 4), ([5, 5, 30, 5], 5)],
)
def test_refuel_due_from_the_drivers_own_cycle(gaps_in_days, due_after_last):
    times = [at(12)]
    for gap in gaps_in_days:
        times.append(times[-1] + gap * DAY)
    expected = None if due_after_last is None else times[-1] + due_after_last * DAY
    assert refuel_due_at(list(reversed(times))) == expected


def test_refuel_reminders_go_once_when_due(driver):
    for n, day in enumerate((1, 8, 15)):
        order_paid_record(
            driver_id=driver.pk, paid_fen=30_000, reference=f"F{n}", quote=Quote((), 0), at=at(12, day=day)
        )
    assert refuel_reminders_send(now=at(12, day=21)) == 0  # due on the 22nd
    assert refuel_reminders_send(now=at(12, day=22)) == 1
    assert refuel_reminders_send(now=at(12, day=23)) == 0  # reminded since the last fill
    reminder = Notification.objects.get(kind=NotificationKind.REFUEL_REMINDER)
    assert (reminder.driver_id, reminder.status) == (driver.pk, NotificationStatus.SENT)
