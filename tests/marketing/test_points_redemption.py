"""积分抵扣: points as a payment discount the driver opts into at confirm — a platform-funded receipt line,
set aside at confirm, spent at capture on the actual fill (what the fill no longer needs comes back), all
back on cancel; never more than the driver owns or the configured share of the order."""

from dataclasses import replace
from datetime import datetime

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from marketing.engine import Draft, quote
from marketing.enums import Funder, LineKind, PointsKind
from marketing.exceptions import NotEnoughPoints
from marketing.models import PointsEntry, PromotionUse, Standing
from marketing.selectors import standing_get
from marketing.services import order_paid_record, quote_reserve
from orders.enums import OrderLineKind, OrderStatus
from orders.models import FuelOrder
from orders.pricing import PromotionChoice
from orders.services import order_cancel, order_prepaid_create
from tests.factories.wallet import top_up
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db
WITH_POINTS = PromotionChoice(use_points=True)
# ¥300 of fuel at the station price, nothing else in play.
DRAFT = Draft(
    station_id=1,
    enterprise_id=1,
    grade_code="92",
    grade_name="92#汽油",
    list_price_fen_per_litre=735,
    price_fen_per_litre=735,
    volume_ml=40_816,
    amount_fen=30_000,
    at=datetime(2026, 11, 23, 12),
)


def _points_lines(result):
    return [(line.amount_fen, line.points, line.funder) for line in result.lines if line.points]


@pytest.mark.parametrize(
    ("_case", "offered", "per_yuan", "max_share", "line"),
    [
        ("all the points offered", 1_000, 100, 5000, (-1_000, 1_000, Funder.PLATFORM)),
        ("capped at the share of the order", 50_000, 100, 5000, (-15_000, 15_000, Funder.PLATFORM)),
        ("fen rounded down, points spent rounded up", 1_000, 150, 5000, (-666, 999, Funder.PLATFORM)),
        ("a share cap in a fraction of a fen", 50_000, 100, 1, (-3, 3, Funder.PLATFORM)),
    ],
)
def test_the_points_line(_case, offered, per_yuan, max_share, line):
    settings = {"LOYALTY_POINTS_PER_YUAN_REDEEMED": per_yuan, "LOYALTY_POINTS_MAX_SHARE_BASIS_POINTS": max_share}
    with override_settings(**settings):
        result = quote(replace(DRAFT, points_offered=offered), [])
    assert _points_lines(result) == [line]
    assert result.points_used == line[1]
    assert result.total_fen == sum(each.amount_fen for each in result.lines) == 30_000 + line[0]


@pytest.mark.parametrize(("_case", "offered"), [("not opted in", 0), ("too few points for a fen", 0)])
def test_no_points_no_line(_case, offered):
    with override_settings(LOYALTY_POINTS_PER_YUAN_REDEEMED=1_000):
        result = quote(replace(DRAFT, points_offered=offered), [])
    assert (_points_lines(result), result.points_used, result.total_fen) == ([], 0, 30_000)


def test_the_points_line_explains_itself_in_both_languages():
    line = quote(replace(DRAFT, points_offered=1_234), []).lines[-1]
    assert (line.kind, line.reason.en) == (LineKind.DISCOUNT, "Paid with 1234 points -¥12.34")
    assert line.reason.zh == "积分抵扣1234分 -¥12.34"


@pytest.fixture
def rich(driver):
    """A funded driver holding 5,000 points (¥5,000 paid earlier)."""
    top_up(driver, 100_000)
    order_paid_record(driver_id=driver.pk, paid_fen=500_000, reference="F0", quote=quote(DRAFT, []))
    return driver


def _order(store_line, driver, key="o1", choice=WITH_POINTS):
    return order_prepaid_create(
        driver=driver, nozzle=store_line.nozzles[0], idempotency_key=key, amount_fen=30_000, choice=choice
    )


def _fill(store_line, order, *, volume_ml, amount_fen) -> FuelOrder:
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=volume_ml, amount_fen=amount_fen)
    return FuelOrder.objects.get(pk=order.pk)


def _points_rows(driver):
    return list(
        PointsEntry.objects.filter(driver=driver).exclude(reference="F0").order_by("pk").values_list("kind", "points")
    )


@override_settings(LOYALTY_POINTS_MAX_SHARE_BASIS_POINTS=1000)
def test_points_are_set_aside_at_confirm_and_spent_on_the_actual_fill(store_line, rich):
    order = _order(store_line, rich)
    # Confirm: 10% of ¥300 = ¥30.00 = 3,000 points set aside.
    assert standing_get(driver_id=rich.pk).points == 2_000
    assert _points_rows(rich) == [(PointsKind.REDEEM, -3_000)]
    order = _fill(store_line, order, volume_ml=28_840, amount_fen=21_200)
    # Capture: 10% of the ¥212.00 filled = 2,120 points spent, 880 back; 190 earned on the ¥190.80 paid.
    assert (order.status, order.paid_fen) == (OrderStatus.PAID, 19_080)
    points_line = order.lines.get(label_en="Paid with 2120 points -¥21.20")
    assert (points_line.kind, points_line.amount_fen, points_line.funder, points_line.promotion_id) == (
        OrderLineKind.DISCOUNT,
        -2_120,
        Funder.PLATFORM,
        None,
    )
    assert _points_rows(rich) == [(PointsKind.REDEEM, -3_000), (PointsKind.RETURN, 880), (PointsKind.EARN, 190)]
    assert standing_get(driver_id=rich.pk).points == 5_000 - 2_120 + 190
    assert wallet_balance_get(driver_id=rich.pk).principal_fen == 100_000 - 19_080
    assert ledger_verify().ok


def test_a_cancelled_order_gives_all_its_points_back(store_line, rich):
    order = _order(store_line, rich)
    assert standing_get(driver_id=rich.pk).points == 5_000 - 5_000
    order_cancel(driver=rich, order_no=order.order_no)
    assert standing_get(driver_id=rich.pk).points == 5_000
    assert _points_rows(rich) == [(PointsKind.REDEEM, -5_000), (PointsKind.RETURN, 5_000)]
    # The points given back are spendable again, on the next order.
    _order(store_line, rich, key="o2")
    assert standing_get(driver_id=rich.pk).points == 0


def test_without_opting_in_no_points_are_touched(store_line, rich):
    order = _order(store_line, rich, choice=PromotionChoice())
    assert standing_get(driver_id=rich.pk).points == 5_000 and _points_rows(rich) == []
    assert not order.lines.filter(label_en__startswith="Paid with").exists()


def test_spending_more_points_than_owned_is_refused_and_changes_nothing(store_line, driver):
    order_paid_record(driver_id=driver.pk, paid_fen=10_000, reference="F0", quote=quote(DRAFT, []))  # 100 points
    greedy = quote(replace(DRAFT, points_offered=5_000), [])  # quoted as if the driver had 5,000 points
    assert greedy.points_used == 5_000
    before = list(PointsEntry.objects.values_list("pk", "kind", "points", "remaining"))
    with pytest.raises(NotEnoughPoints), transaction.atomic():
        quote_reserve(quote=greedy, driver_id=driver.pk, reference="o1", at=timezone.localtime())
    assert list(PointsEntry.objects.values_list("pk", "kind", "points", "remaining")) == before
    assert Standing.objects.get(driver=driver).points == 100
    assert not PromotionUse.objects.filter(reference="o1").exists()
