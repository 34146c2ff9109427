"""The driver picks the coupon on the confirm page (default: the engine's best; another usable one, or none)
and the quote and the order honour the pick; a pick the purchase does not meet is refused, changing nothing."""

import pytest

from marketing.enums import CouponIssuedVia, CouponStatus, StackingClass
from marketing.exceptions import CouponNotApplicable
from marketing.models import Coupon
from marketing.services import coupon_issue
from orders.models import FuelOrder
from orders.pricing import AUTOMATIC, PromotionChoice, promotion_choice_from_input
from orders.selectors import order_quote_get
from orders.services import order_prepaid_create
from stations.selectors import station_price_get
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory, PromotionFactory
from tests.factories.wallet import counters_snapshot, top_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(driver):
    top_up(driver, 100_000)
    return driver


def _issue(driver, value, **fields):
    template = CouponTemplateFactory(benefit_value=value, **fields)
    return coupon_issue(template=template, driver_id=driver.pk, via=CouponIssuedVia.RULE)


@pytest.fixture
def coupons(funded):
    """A ¥10 and a ¥5 coupon, and a ¥50 one from ¥500."""
    return _issue(funded, 1_000), _issue(funded, 500), _issue(funded, 5_000, min_amount_fen=50_000)


def _quote(store_line, driver, choice, amount_fen=30_000):
    nozzle = store_line.nozzles[0]
    price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    return order_quote_get(
        station=store_line.station, price=price, amount_fen=amount_fen, driver_id=driver.pk, choice=choice
    )


def _coupon_lines(quote):
    return [(line.coupon_id, line.amount_fen) for line in quote.lines if line.coupon_id]


def test_by_default_the_engine_picks_the_best_coupon(store_line, funded, coupons):
    ten, _five, _fifty = coupons
    assert _coupon_lines(_quote(store_line, funded, AUTOMATIC)) == [(ten.pk, -1_000)]


def test_the_driver_may_pick_another_coupon(store_line, funded, coupons):
    _ten, five, _fifty = coupons
    assert _coupon_lines(_quote(store_line, funded, PromotionChoice(coupon_id=five.pk))) == [(five.pk, -500)]


def test_the_driver_may_pick_no_coupon(store_line, funded, coupons):
    quote = _quote(store_line, funded, PromotionChoice(use_coupons=False))
    assert _coupon_lines(quote) == [] and quote.pay_fen == 30_000


def test_a_picked_coupon_is_honoured_over_a_better_exclusive_promotion(store_line, funded, coupons):
    exclusive = PromotionFactory(benefit_value=1_000, stacking=StackingClass.EXCLUSIVE)  # 9折: ¥30 off
    best = _quote(store_line, funded, AUTOMATIC)
    assert _coupon_lines(best) == [] and exclusive.pk in {line.promotion_id for line in best.lines}
    _ten, five, _fifty = coupons
    picked = _quote(store_line, funded, PromotionChoice(coupon_id=five.pk))
    assert _coupon_lines(picked) == [(five.pk, -500)]
    assert exclusive.pk not in {line.promotion_id for line in picked.lines}


def test_the_order_locks_the_picked_coupon_only(store_line, funded, coupons):
    ten, five, fifty = coupons
    order = order_prepaid_create(
        driver=funded,
        nozzle=store_line.nozzles[0],
        idempotency_key="o1",
        amount_fen=30_000,
        choice=PromotionChoice(coupon_id=five.pk),
    )
    statuses = dict(Coupon.objects.values_list("pk", "status"))
    assert statuses == {ten.pk: CouponStatus.AVAILABLE, five.pk: CouponStatus.LOCKED, fifty.pk: CouponStatus.AVAILABLE}
    assert Coupon.objects.get(pk=five.pk).reference == order.order_no


def _refused_changes_nothing(store_line, driver, choice):
    before = (counters_snapshot(), list(Coupon.objects.order_by("pk").values_list("pk", "status", "reference")))
    with pytest.raises(CouponNotApplicable):
        order_prepaid_create(
            driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=30_000, choice=choice
        )
    after = (counters_snapshot(), list(Coupon.objects.order_by("pk").values_list("pk", "status", "reference")))
    assert after == before and not FuelOrder.objects.exists()


def test_a_picked_coupon_the_purchase_does_not_meet_is_refused(store_line, funded, coupons):
    _ten, _five, fifty = coupons  # from ¥500; the order is ¥300
    _refused_changes_nothing(store_line, funded, PromotionChoice(coupon_id=fifty.pk))


def test_another_drivers_coupon_cannot_be_picked(store_line, funded, coupons):
    theirs = _issue(DriverFactory(), 2_000)
    _refused_changes_nothing(store_line, funded, PromotionChoice(coupon_id=theirs.pk))
    with pytest.raises(CouponNotApplicable):
        _quote(store_line, funded, PromotionChoice(coupon_id=theirs.pk))


@pytest.mark.parametrize(
    ("_case", "field", "use_points", "choice"),
    [
        ("the engine's best", "", False, AUTOMATIC),
        ("no coupon", "none", False, PromotionChoice(use_coupons=False)),
        ("a coupon, with points", " 12 ", True, PromotionChoice(coupon_id=12, use_points=True)),
    ],
)
def test_the_coupon_field(_case, field, use_points, choice):
    assert promotion_choice_from_input(coupon=field, use_points=use_points) == choice


@pytest.mark.parametrize("field", ["abc", "-1", "１２", "1.5"])
def test_a_garbled_coupon_field_is_refused(field):
    with pytest.raises(CouponNotApplicable):
        promotion_choice_from_input(coupon=field, use_points=False)


def test_the_pay_page_quotes_with_the_picked_coupon_and_the_form_orders_with_it(client, store_line, funded, coupons):
    _ten, five, _fifty = coupons
    client.force_login(funded.user)
    page = client.get("/s/pay-test/1/", {"choice": "30000", "coupon": str(five.pk)}).content.decode()
    assert f'<option value="{five.pk}" selected>' in page
    assert "-¥5.00" in page and "-¥10.00" not in page
    response = client.post("/s/pay-test/1/", {"choice": "30000", "coupon": str(five.pk), "key": "k1"})
    order = FuelOrder.objects.get()
    assert response["Location"].endswith(order.order_no + "/")
    assert list(Coupon.objects.filter(status=CouponStatus.LOCKED).values_list("pk", flat=True)) == [five.pk]


def test_the_quote_api_takes_the_pick(client, store_line, funded, coupons):
    _ten, five, _fifty = coupons
    client.force_login(funded.user)
    params = {"station_code": "pay-test", "nozzle_number": 1, "amount_fen": 30_000}
    picked = client.get("/api/orders/quote/", params | {"coupon": str(five.pk)}).json()
    assert picked["coupon_ids"] == [five.pk]
    refused = client.get("/api/orders/quote/", params | {"coupon": "99999"})
    assert (refused.status_code, refused.json()["code"]) == (400, "coupon_not_applicable")
