"""Coupons: issuance (staff must say why), the single-use lifecycle through orders (locked at confirm,
used at capture, returned on cancel or when the fill no longer qualifies), scope, one per order, expiry."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from marketing.enums import COUPON_TRANSITIONS, CouponIssuedVia, CouponKind, CouponStatus, Funder, PromotionScope
from marketing.exceptions import CouponIssueRefused, CouponNotUsable
from marketing.models import Coupon
from marketing.services import coupon_issue, coupon_transition, coupons_expire
from orders.enums import OrderLineKind
from orders.models import FuelOrder
from orders.selectors import order_quote_get
from orders.services import order_cancel, order_prepaid_create
from stations.selectors import station_price_get
from tests.factories.marketing import CouponTemplateFactory
from tests.factories.stations import StationFactory, UserFactory
from tests.factories.wallet import top_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(driver):
    top_up(driver, 100_000)
    return driver


def _issue(driver, template=None, **fields):
    return coupon_issue(
        template=template or CouponTemplateFactory(), driver_id=driver.pk, via=CouponIssuedVia.RULE, **fields
    )


def _order(store_line, driver, amount_fen=30_000, key="o1"):
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key=key, amount_fen=amount_fen)


def _fill(store_line, order, *, volume_ml, amount_fen) -> FuelOrder:
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=volume_ml, amount_fen=amount_fen)
    return FuelOrder.objects.get(pk=order.pk)


def _state(coupon) -> tuple[str, str]:
    coupon.refresh_from_db()
    return coupon.status, coupon.reference


ISSUES = [
    # (case, via, reason, staff user?, refused?)
    ("staff with a reason", CouponIssuedVia.STAFF, "补偿：油枪故障", True, False),
    ("staff without a reason", CouponIssuedVia.STAFF, "   ", True, True),
    ("staff without a person", CouponIssuedVia.STAFF, "补偿", False, True),
    ("by rule", CouponIssuedVia.RULE, "", False, False),
    ("by campaign", CouponIssuedVia.CAMPAIGN, "", False, False),
]


@pytest.mark.parametrize(("case", "via", "reason", "staff", "refused"), ISSUES, ids=[c[0] for c in ISSUES])
def test_issuing_records_who_and_why(driver, case, via, reason, staff, refused):
    template = CouponTemplateFactory(valid_days=7)
    user = UserFactory() if staff else None
    now = timezone.now()
    if refused:
        with pytest.raises(CouponIssueRefused):
            coupon_issue(template=template, driver_id=driver.pk, via=via, reason=reason, issued_by=user, now=now)
        assert not Coupon.objects.exists()
        return
    coupon = coupon_issue(template=template, driver_id=driver.pk, via=via, reason=reason, issued_by=user, now=now)
    assert (coupon.status, coupon.issued_via, coupon.issued_by, coupon.reason) == ("available", via, user, reason)
    assert coupon.valid_until - coupon.valid_from == timedelta(days=7)


def test_an_inactive_template_issues_nothing(driver):
    with pytest.raises(CouponIssueRefused):
        _issue(driver, CouponTemplateFactory(is_active=False))
    assert not Coupon.objects.exists()


def test_a_partner_coupon_needs_the_partners_code():
    with pytest.raises(IntegrityError):
        CouponTemplateFactory(kind=CouponKind.PARTNER, partner_code="")


@pytest.mark.parametrize("from_status", list(CouponStatus))
@pytest.mark.parametrize("to_status", list(CouponStatus))
def test_the_coupon_state_machine_allows_only_its_table(driver, from_status, to_status):
    coupon = _issue(driver)
    Coupon.objects.filter(pk=coupon.pk).update(status=from_status)
    coupon.refresh_from_db()
    if to_status in COUPON_TRANSITIONS[from_status]:
        coupon_transition(coupon, to_status=to_status, reference="R")
        assert _state(coupon) == (to_status, "R")
    else:
        with pytest.raises(CouponNotUsable):
            coupon_transition(coupon, to_status=to_status, reference="R")
        assert _state(coupon) == (from_status, "")


def test_a_coupon_is_locked_at_confirm_and_used_at_capture_with_its_line(store_line, funded):
    coupon = _issue(funded, CouponTemplateFactory(name="满200减10油品券", min_amount_fen=20_000, funder=Funder.STATION))
    order = _order(store_line, funded)
    assert _state(coupon) == (CouponStatus.LOCKED, order.order_no)
    order = _fill(store_line, order, volume_ml=28_840, amount_fen=21_200)
    assert _state(coupon) == (CouponStatus.USED, order.order_no)
    line = order.lines.get(coupon=coupon)
    assert (line.kind, line.amount_fen, line.funder, line.promotion_id) == (
        OrderLineKind.DISCOUNT,
        -1000,
        "station",
        None,
    )
    assert line.label == "满200减10油品券: 满¥200.00减¥10.00 -¥10.00"
    assert order.paid_fen == 21_200 - 1000


def test_a_coupon_the_actual_fill_no_longer_reaches_goes_back(store_line, funded):
    coupon = _issue(funded, CouponTemplateFactory(min_amount_fen=20_000))
    order = _fill(store_line, _order(store_line, funded), volume_ml=20_000, amount_fen=14_700)
    assert _state(coupon) == (CouponStatus.AVAILABLE, "")
    assert not order.lines.filter(coupon__isnull=False).exists() and order.paid_fen == 14_700


def test_a_cancelled_order_returns_its_coupon(store_line, funded):
    coupon = _issue(funded)
    order = _order(store_line, funded)
    order_cancel(driver=funded, order_no=order.order_no)
    assert _state(coupon) == (CouponStatus.AVAILABLE, "")


def test_one_coupon_per_order_the_best(store_line, funded):
    small, big = _issue(funded), _issue(funded, CouponTemplateFactory(benefit_value=2500))
    order = _order(store_line, funded)
    assert [_state(small), _state(big)] == [(CouponStatus.AVAILABLE, ""), (CouponStatus.LOCKED, order.order_no)]


def test_a_coupon_held_by_one_order_is_not_offered_to_another(store_line, funded):
    coupon = _issue(funded)
    first = _order(store_line, funded)
    nozzle = store_line.nozzles[0]
    price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    quote = order_quote_get(station=nozzle.station, price=price, amount_fen=30_000, driver_id=funded.pk)
    assert _state(coupon) == (CouponStatus.LOCKED, first.order_no)
    assert not [line for line in quote.lines if line.coupon_id]


def test_a_coupon_for_another_station_is_not_offered(store_line, funded):
    template = CouponTemplateFactory(scope=PromotionScope.STATIONS)
    template.stations.add(StationFactory())
    coupon = _issue(funded, template)
    _order(store_line, funded)
    assert _state(coupon) == (CouponStatus.AVAILABLE, "")


def test_the_expiry_job_expires_only_available_coupons_past_their_date(driver):
    now = timezone.now()
    old = _issue(driver, now=now - timedelta(days=31))
    held = _issue(driver, now=now - timedelta(days=31))
    Coupon.objects.filter(pk=held.pk).update(status=CouponStatus.LOCKED, reference="R1")
    fresh = _issue(driver, now=now)
    assert coupons_expire(now=now) == 1
    assert [_state(c)[0] for c in (old, held, fresh)] == ["expired", "locked", "available"]
    assert coupons_expire(now=now) == 0


def test_the_expiry_task_runs_the_job(driver):
    from marketing.tasks import coupons_expire_task

    coupon = _issue(driver, now=timezone.now() - timedelta(days=31))
    assert coupons_expire_task.apply().get() == 1
    assert _state(coupon)[0] == CouponStatus.EXPIRED
