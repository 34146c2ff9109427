"""合作券 settled with the partner: each used partner coupon keeps the discount it gave; finance reports uses
and cost per partner per day, on the page and as CSV, for the platform only."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from marketing.engine import Quote, QuoteLine, Reason
from marketing.enums import CouponIssuedVia, CouponKind, Funder, LineKind
from marketing.selectors import PartnerSettlementRow, partner_settlement_list
from marketing.services import coupon_issue, quote_release, quote_reserve, quote_settle
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db
DAY_ONE, DAY_TWO = date(2026, 11, 2), date(2026, 11, 3)


def _use(driver, template, *, discount_fen, at, reference, monkeypatch, paid=True):
    """The coupon locked by an order at confirm, then used for discount_fen at capture (or released)."""
    coupon = coupon_issue(template=template, driver_id=driver.pk, via=CouponIssuedVia.RULE, now=at)
    line = QuoteLine(LineKind.DISCOUNT, -discount_fen, Reason("", ""), Funder.PLATFORM, coupon_id=coupon.pk)
    quote = Quote(lines=(line,), total_fen=-discount_fen, coupon_ids=(coupon.pk,))
    monkeypatch.setattr(timezone, "now", lambda: at)
    quote_reserve(quote=quote, driver_id=driver.pk, reference=reference, at=at)
    quote_settle(quote=quote, reference=reference) if paid else quote_release(reference=reference)
    monkeypatch.undo()
    return coupon


def _local(day, hour):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def used(driver, monkeypatch):
    bank = CouponTemplateFactory(kind=CouponKind.PARTNER, partner_code="CMB")
    telco = CouponTemplateFactory(kind=CouponKind.PARTNER, partner_code="CMCC")
    own = CouponTemplateFactory(kind=CouponKind.FUEL)
    uses = [
        (bank, 1_000, _local(DAY_ONE, 0), True),  # just after local midnight: day one, not the day before
        (bank, 500, _local(DAY_ONE, 23), True),
        (telco, 2_000, _local(DAY_ONE, 12), True),
        (bank, 800, _local(DAY_TWO, 9), True),
        (bank, 9_000, _local(DAY_TWO, 10), False),  # the order was cancelled: not used
        (own, 700, _local(DAY_TWO, 11), True),  # not a partner coupon
    ]
    for n, (template, discount, at, paid) in enumerate(uses):
        _use(driver, template, discount_fen=discount, at=at, reference=f"O{n}", monkeypatch=monkeypatch, paid=paid)


def test_uses_and_cost_per_partner_per_day(used):
    assert partner_settlement_list(date_from=DAY_ONE, date_to=DAY_TWO) == [
        PartnerSettlementRow("CMB", DAY_ONE, 2, 1_500),
        PartnerSettlementRow("CMCC", DAY_ONE, 1, 2_000),
        PartnerSettlementRow("CMB", DAY_TWO, 1, 800),
    ]


def test_the_period_is_in_local_days_both_included(used):
    assert partner_settlement_list(date_from=DAY_TWO, date_to=DAY_TWO) == [PartnerSettlementRow("CMB", DAY_TWO, 1, 800)]


def test_finance_exports_the_report_as_csv(client, network, used):
    client.force_login(network["users"]["platform"])
    response = client.get("/finance/partner-coupons/", {"from": "2026-11-02", "to": "2026-11-03", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1:-1] == ["2026-11-02,CMB,2,15.00", "2026-11-02,CMCC,1,20.00", "2026-11-03,CMB,1,8.00"]
    assert lines[-1].endswith(",,4,43.00")  # the totals line


def test_the_report_page_lists_the_rows_with_totals(client, network, used):
    client.force_login(network["users"]["platform"])
    page = client.get("/finance/partner-coupons/", {"from": "2026-11-02", "to": "2026-11-03"}).content.decode()
    assert "CMCC" in page and "¥20.00" in page and "¥43.00" in page


@pytest.mark.parametrize("role", ["finance_a", "enterprise_a", "manager_a1"])
def test_only_the_platform_sees_partner_settlement(client, network, used, role):
    client.force_login(network["users"][role])
    assert client.get("/finance/partner-coupons/").status_code == 403
