"""Member levels from the rolling 90-day spend, points (earned per ¥ paid, extra from promotions, redeemed
oldest first, expiring), segments (RFM) and top-up bonuses personalised by segment."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from marketing.engine import Quote, Reason, Reward
from marketing.enums import BenefitKind, CouponStatus, PointsKind, Segment
from marketing.exceptions import NotEnoughPoints
from marketing.models import Coupon, PointsEntry, SegmentSize, Standing
from marketing.segments import segment_for
from marketing.selectors import standing_get, top_up_bonus_offer_get
from marketing.services import order_paid_record, points_expire, points_redeem_for_coupon, standings_refresh
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory, top_up_bonus

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 11, 23, 12))
NO_REWARDS = Quote(lines=(), total_fen=0)


def _paid(driver, paid_fen, reference, at=NOW, quote=NO_REWARDS):
    return order_paid_record(driver_id=driver.pk, paid_fen=paid_fen, reference=reference, quote=quote, at=at)


def _reward(kind, value) -> Quote:
    return Quote(lines=(), total_fen=0, rewards=(Reward(kind, value, 1, "platform", Reason("", "")),))


@pytest.mark.parametrize(
    ("fen_per_point", "paid_fen", "points"), [(100, 21_234, 212), (10_000, 21_234, 2), (100, 99, 0)]
)
def test_points_per_yuan_paid_are_configurable(driver, fen_per_point, paid_fen, points):
    with override_settings(LOYALTY_FEN_PER_POINT=fen_per_point):
        assert _paid(driver, paid_fen, "F1") == points
    assert standing_get(driver_id=driver.pk).points == points


def test_a_paid_order_is_recorded_once(driver):
    assert _paid(driver, 10_000, "F1") == 100
    assert _paid(driver, 10_000, "F1") == 0
    standing = Standing.objects.get(driver=driver)
    assert (standing.points, standing.paid_orders, standing.spend_90d_fen) == (100, 1, 10_000)


def test_extra_points_and_coupon_grants_from_the_quote(driver):
    template = CouponTemplateFactory()
    assert _paid(driver, 10_000, "F1", quote=_reward(BenefitKind.EXTRA_POINTS, 50)) == 150
    _paid(driver, 10_000, "F2", quote=_reward(BenefitKind.COUPON_GRANT, template.pk))
    assert list(Coupon.objects.filter(driver=driver).values_list("template_id", "status")) == [
        (template.pk, CouponStatus.AVAILABLE)
    ]


LEVELS = [
    # (spend over the last 90 days in fen, level) with the seeded thresholds ¥1,000 / ¥3,000 / ¥8,000
    ([50_000], ""),
    ([60_000, 40_000], "silver"),
    ([299_999], "silver"),
    ([300_000], "gold"),
    ([500_000, 300_000], "platinum"),
]


@pytest.mark.parametrize(("payments", "level"), LEVELS)
def test_member_level_from_the_90_day_spend(driver, payments, level):
    for n, paid in enumerate(payments):
        _paid(driver, paid, f"F{n}")
    assert standing_get(driver_id=driver.pk).level == level


def test_spend_older_than_90_days_no_longer_counts_after_the_refresh(driver):
    _paid(driver, 300_000, "F1", at=NOW - timedelta(days=89))
    assert standing_get(driver_id=driver.pk).level == "gold"
    standings_refresh(now=NOW + timedelta(days=2))
    assert (standing_get(driver_id=driver.pk).level, standing_get(driver_id=driver.pk).spend_90d_fen) == ("", 0)


SEGMENTS = [
    # (paid orders, 90-day spend, days since last paid (None: never), segment)
    (0, 0, None, Segment.NEW),
    (1, 10_000, 3, Segment.NEW),
    (4, 80_000, 3, Segment.POTENTIAL),
    (9, 300_000, 3, Segment.HIGH_VALUE),
    (9, 300_000, 31, Segment.AT_RISK),
    (2, 20_000, 30, Segment.POTENTIAL),
    (2, 20_000, 61, Segment.DORMANT),
    (1, 0, 400, Segment.DORMANT),
]


@pytest.mark.parametrize(("orders", "spend", "days", "segment"), SEGMENTS)
def test_segment_assignment(orders, spend, days, segment):
    last = None if days is None else NOW - timedelta(days=days)
    assert segment_for(paid_orders=orders, spend_90d_fen=spend, last_paid_at=last, now=NOW) == segment


def test_the_periodic_refresh_moves_quiet_drivers_and_records_segment_sizes():
    quiet, busy = DriverFactory(), DriverFactory()
    _paid(quiet, 5_000, "Q1", at=NOW - timedelta(days=70))
    _paid(quiet, 5_000, "Q2", at=NOW - timedelta(days=65))
    for n in range(3):
        _paid(busy, 120_000, f"B{n}", at=NOW - timedelta(days=n))
    sizes = standings_refresh(now=NOW)
    assert standing_get(driver_id=quiet.pk).segment == Segment.DORMANT
    assert standing_get(driver_id=busy.pk).segment == Segment.HIGH_VALUE
    assert sizes == {"new": 0, "potential": 0, "high_value": 1, "at_risk": 0, "dormant": 1}
    assert SegmentSize.objects.get(day=timezone.localdate(NOW), segment="dormant").drivers == 1


def test_redeeming_points_for_a_coupon_spends_the_oldest_points_first(driver):
    template = CouponTemplateFactory(points_price=150)
    _paid(driver, 10_000, "F1", at=NOW - timedelta(days=10))
    _paid(driver, 10_000, "F2", at=NOW)
    coupon = points_redeem_for_coupon(driver_id=driver.pk, template_id=template.pk, idempotency_key="k1")
    assert (coupon.template_id, coupon.status) == (template.pk, CouponStatus.AVAILABLE)
    assert standing_get(driver_id=driver.pk).points == 50
    earned = PointsEntry.objects.filter(driver=driver, kind=PointsKind.EARN).order_by("created_at")
    assert [e.remaining for e in earned] == [0, 50]
    assert PointsEntry.objects.get(driver=driver, kind=PointsKind.REDEEM).points == -150


def test_not_enough_points_refuses_and_changes_nothing(driver):
    template = CouponTemplateFactory(points_price=500)
    _paid(driver, 10_000, "F1")
    before = list(PointsEntry.objects.values_list("pk", "remaining"))
    with pytest.raises(NotEnoughPoints):
        points_redeem_for_coupon(driver_id=driver.pk, template_id=template.pk, idempotency_key="k1")
    assert list(PointsEntry.objects.values_list("pk", "remaining")) == before
    assert standing_get(driver_id=driver.pk).points == 100 and not Coupon.objects.exists()


def test_points_expire_with_a_history_row(driver):
    with override_settings(LOYALTY_POINTS_VALID_DAYS=30):
        _paid(driver, 10_000, "F1", at=NOW - timedelta(days=31))
        _paid(driver, 5_000, "F2", at=NOW)
    assert points_expire(now=NOW) == 100
    assert standing_get(driver_id=driver.pk).points == 50
    assert PointsEntry.objects.get(driver=driver, kind=PointsKind.EXPIRE).points == -100
    assert points_expire(now=NOW) == 0


TOP_UPS = [
    # (segment of the driver, top-up, bonus)
    (None, 200_000, 8_000),  # everybody's 充2000送80
    (Segment.HIGH_VALUE, 200_000, 10_000),  # 高频用户: 储值满2000送100
    (Segment.HIGH_VALUE, 100_000, 0),
    (Segment.DORMANT, 200_000, 8_000),
]


@pytest.mark.parametrize(("segment", "amount", "bonus"), TOP_UPS)
def test_top_up_bonuses_are_personalised_by_segment(driver, segment, amount, bonus):
    top_up_bonus(name="充2000送80", min_amount_fen=200_000, bonus_fen=8_000)
    top_up_bonus(name="高频用户 储值满2000送100", min_amount_fen=200_000, bonus_fen=10_000, segments=["high_value"])
    if segment:
        Standing.objects.create(driver=driver, segment=segment, paid_orders=5)
    offer = top_up_bonus_offer_get(amount_fen=amount, driver_id=driver.pk)
    assert (offer.bonus_fen if offer else 0) == bonus
