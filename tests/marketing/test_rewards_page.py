"""The driver's rewards page: level, points with history, coupons; redeeming points on the page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing.engine import Quote
from marketing.enums import CouponIssuedVia, NotificationKind
from marketing.models import Coupon, PointsEntry
from marketing.services import coupon_issue, notify, order_paid_record
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, driver):
    client.force_login(driver.user)
    return client


def test_the_page_shows_points_history_level_and_coupons(signed_in, driver):
    order_paid_record(driver_id=driver.pk, paid_fen=120_000, reference="F0001", quote=Quote((), 0))
    coupon_issue(template=CouponTemplateFactory(name="洗车券"), driver_id=driver.pk, via=CouponIssuedVia.RULE)
    notify(driver_id=driver.pk, kind=NotificationKind.RECEIPT, title="加油小票", body="<b>¥100</b>")
    page = signed_in.get(reverse("driver-rewards")).content.decode()
    assert "加油小票" in page and "&lt;b&gt;¥100&lt;/b&gt;" in page  # the inbox, as text
    assert '<div class="big" id="points">1200</div>' in page
    assert "银卡会员" in page and "F0001" in page and "洗车券" in page and "+1200" in page


def test_redeeming_on_the_page_and_a_refusal_in_plain_words(signed_in, driver):
    order_paid_record(driver_id=driver.pk, paid_fen=10_000, reference="F1", quote=Quote((), 0), at=timezone.now())
    cheap, dear = CouponTemplateFactory(points_price=60), CouponTemplateFactory(points_price=1000)
    response = signed_in.post(reverse("driver-points-redeem"), {"template": cheap.pk, "key": "a"}, follow=True)
    assert Coupon.objects.filter(driver=driver, template=cheap).count() == 1
    assert "积分不足" not in response.content.decode()
    before = list(PointsEntry.objects.values_list("pk", "remaining"))
    response = signed_in.post(reverse("driver-points-redeem"), {"template": dear.pk, "key": "b"}, follow=True)
    assert "积分不足" in response.content.decode()
    assert list(PointsEntry.objects.values_list("pk", "remaining")) == before
    assert not Coupon.objects.filter(template=dear).exists()
    response = signed_in.post(reverse("driver-points-redeem"), {"template": "x"}, follow=True)
    assert response.status_code == 200 and Coupon.objects.count() == 1


def test_the_page_needs_a_signed_in_driver(client):
    response = client.get(reverse("driver-rewards"))
    assert response.status_code == 302
