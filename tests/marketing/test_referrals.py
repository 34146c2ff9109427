"""Referrals (裂变): both sides get the referral coupon once the invitee's first paid fill completes; one
reward per phone, device and plate; self-referral and rings are refused."""

import pytest

from drivers.services import vehicle_add
from marketing.engine import Quote
from marketing.enums import CouponIssuedVia, ReferralStatus
from marketing.exceptions import ReferralRefused
from marketing.models import Coupon, Referral
from marketing.services import order_paid_record, referral_accept, referral_code_get_or_create
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def referral_coupon():
    return CouponTemplateFactory(name="邀请有礼50元券", benefit_value=5000, for_referrals=True)


def _paid(driver, reference="F1"):
    order_paid_record(driver_id=driver.pk, paid_fen=20_000, reference=reference, quote=Quote((), 0))


def _invite(inviter, invitee, device="dev-1") -> Referral:
    return referral_accept(
        invitee_id=invitee.pk, code=referral_code_get_or_create(driver_id=inviter.pk), device_digest=device
    )


def _referral_coupons(driver) -> int:
    return Coupon.objects.filter(driver=driver, issued_via=CouponIssuedVia.REFERRAL).count()


def test_both_sides_are_rewarded_once_after_the_first_paid_fill():
    inviter, invitee = DriverFactory(), DriverFactory()
    referral = _invite(inviter, invitee)
    assert (_referral_coupons(inviter), _referral_coupons(invitee)) == (0, 0)
    _paid(invitee)
    _paid(invitee, "F2")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED
    assert (_referral_coupons(inviter), _referral_coupons(invitee)) == (1, 1)


def test_accepting_refuses_and_saves_nothing():
    inviter, invitee, paid = DriverFactory(), DriverFactory(), DriverFactory()
    _paid(paid)
    code = referral_code_get_or_create(driver_id=inviter.pk)
    cases = [(inviter, code), (invitee, "NOPE"), (paid, code)]  # own code, unknown code, already a customer
    for driver, used in cases:
        with pytest.raises(ReferralRefused):
            referral_accept(invitee_id=driver.pk, code=used, device_digest="d")
    _invite(inviter, invitee)
    with pytest.raises(ReferralRefused):  # one referral per invitee (per phone)
        _invite(DriverFactory(), invitee)
    assert Referral.objects.count() == 1


ABUSE = [
    # (case, how the second invitee relates to earlier ones, refusal)
    ("same device as a rewarded invitee", "device", "device"),
    ("the inviter's own plate", "plate_of_inviter", "plate"),
    ("a rewarded invitee's plate", "plate_of_invitee", "plate"),
    ("a ring: inviting one's own inviter", "ring", "ring"),
]


@pytest.mark.parametrize(("case", "how", "reason"), ABUSE, ids=[a[0] for a in ABUSE])
def test_abuse_is_refused_without_coupons(case, how, reason):
    inviter, first = DriverFactory(), DriverFactory()
    vehicle_add(driver=inviter, plate="沪A11111")
    vehicle_add(driver=first, plate="沪B22222")
    _invite(inviter, first, device="dev-first")
    _paid(first)
    assert Referral.objects.get(invitee=first).status == ReferralStatus.REWARDED
    second = DriverFactory()
    if how == "device":
        referral = _invite(inviter, second, device="dev-first")
    elif how == "plate_of_inviter":
        vehicle_add(driver=second, plate="沪A11111")
        referral = _invite(inviter, second, device="dev-second")
    elif how == "plate_of_invitee":
        vehicle_add(driver=second, plate="沪B22222")
        referral = _invite(inviter, second, device="dev-second")
    else:  # first invites second, second invites ... the ring closes on inviter, who never paid
        Referral.objects.filter(invitee=first).update(status=ReferralStatus.PENDING)
        Coupon.objects.filter(issued_via=CouponIssuedVia.REFERRAL).delete()
        referral = _invite(first, inviter, device="dev-ring")
        second = inviter
    before = Coupon.objects.filter(issued_via=CouponIssuedVia.REFERRAL).count()
    _paid(second)
    referral.refresh_from_db()
    assert (referral.status, referral.refusal_reason) == (ReferralStatus.REFUSED, reason)
    assert Coupon.objects.filter(issued_via=CouponIssuedVia.REFERRAL).count() == before
