"""A gold member with a coupon pays at the pump at night: the confirm page and the receipt explain every
line (the station price, the level's night discount, the coupon), the wallet pays exactly the receipt's
total, and the points earned appear on the rewards page. Through the running platform and the simulator."""

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, shot
from .test_driver_flows import (
    STATION,
    fuel_until_the_preset_stops_the_pump,
    ledger_is_exact,
    lift_nozzle,
    sign_in,
    wait_receipt,
    wallet,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PHONE_NUMBER = "13800000001"

# Run inside the platform (`manage.py shell -c`): the driver spent enough to be a gold member, the level has
# a night discount whose window runs across midnight and includes the present hour (the platform runs on the
# real clock), and the driver holds a ¥10 fuel coupon.
SETUP = f"""
from datetime import timedelta
from django.utils import timezone
from drivers.selectors import driver_get_by_phone
from marketing.engine import Quote
from marketing.models import CouponTemplate, Promotion
from marketing.services import coupon_issue, order_paid_record

driver = driver_get_by_phone(phone="{PHONE_NUMBER}")
order_paid_record(  # ¥3,000 spent ten days ago: gold (金卡会员)
    driver_id=driver.pk, paid_fen=300_000, reference="earlier", quote=Quote((), 0),
    at=timezone.now() - timedelta(days=10),
)
hour = timezone.localtime().hour
hours = (hour, hour - 1) if hour else (0, 23)
Promotion.objects.create(
    name="金卡夜间95折", name_en="Gold night 5% off", is_active=True, scope="platform", member_levels=["gold"],
    hour_from=hours[0], hour_to=hours[1], benefit_kind="percent_off", benefit_value=500, funder="platform",
    stacking="stackable",
)
template = CouponTemplate.objects.create(
    name="10元油品券", name_en="¥10 fuel coupon", kind="fuel", benefit_kind="amount_off", benefit_value=1000,
    scope="platform", funder="platform",
)
coupon_issue(template=template, driver_id=driver.pk, via="campaign")
"""


def _line_labels(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def test_a_gold_member_with_a_coupon_sees_every_line_explained_and_earns_points(platform, browser):
    platform.manage("shell", "-c", SETUP)
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, PHONE_NUMBER)
    before = wallet(page, platform)
    page.goto(f"{platform.url}/me/rewards/")
    points_before = int(page.inner_text("#points"))  # ¥3,000 above and the demo's sales this morning
    entries_before = page.locator("#points-history .points-entry").count()

    page.goto(f"{platform.url}/s/{STATION}/1/")
    page.check("input[name=choice][value='10000']")
    quote = _line_labels(page, "table.quote[data-fen='10000'] .quote-line td:first-child")
    assert len(quote) == 4, quote  # the fuel, then the station price, the level's night discount, the coupon
    assert quote[1].startswith("站点直降 明折明扣")
    assert any(label.startswith("金卡夜间95折(") and "95折 -¥" in label for label in quote)
    assert any(label.startswith("10元油品券: ") and "-¥10.00" in label for label in quote)
    shot(page, "promotion-1-confirm-lines")

    page.click("#confirm")
    page.wait_for_url("**/orders/**")
    page.wait_for_selector("#status[data-status=authorized]", timeout=15_000)
    fills_before = lift_nozzle(platform, pump=1)
    fuel_until_the_preset_stops_the_pump(platform, pump=1, fills_before=fills_before)
    platform.simulator("/pumps/1/hangup", {})
    wait_receipt(page)
    shot(page, "promotion-2-receipt-lines")

    receipt = _line_labels(page, "#receipt-lines tr td:first-child")
    assert len(receipt) == 4, receipt
    assert any(label.startswith("金卡夜间95折(") for label in receipt)
    assert any(label.startswith("10元油品券: ") for label in receipt)
    after = wallet(page, platform)
    spent = (before["principal_fen"] + before["bonus_fen"]) - (after["principal_fen"] + after["bonus_fen"])
    assert page.inner_text("#receipt-total") == f"¥{spent // 100}.{spent % 100:02d}"
    assert spent < 10_000 - 1_000  # the coupon and the discount both came off

    page.goto(f"{platform.url}/me/rewards/")
    assert page.inner_text("#points") == str(points_before + spent // 100)  # a point per ¥1 paid
    assert "金卡会员" in page.inner_text("#level")
    assert page.locator("#points-history .points-entry").count() == entries_before + 1
    assert "已使用" in page.inner_text("#coupons")
    shot(page, "promotion-3-points")
    ledger_is_exact(platform)


PICKER_PHONE = "13800000002"
PICKER_SETUP = f"""
from drivers.selectors import driver_get_by_phone
from marketing.models import CouponTemplate
from marketing.services import coupon_issue

driver = driver_get_by_phone(phone="{PICKER_PHONE}")
for name, name_en, value in [("8元油品券", "¥8 fuel coupon", 800), ("3元油品券", "¥3 fuel coupon", 300)]:
    template = CouponTemplate.objects.create(
        name=name, name_en=name_en, kind="fuel", benefit_kind="amount_off", benefit_value=value,
        scope="platform", funder="platform",
    )
    coupon_issue(template=template, driver_id=driver.pk, via="campaign")
"""
COUPON_STATUSES = f"""
from drivers.selectors import driver_get_by_phone
from marketing.models import Coupon
for coupon in Coupon.objects.filter(driver=driver_get_by_phone(phone="{PICKER_PHONE}")).order_by("pk"):
    print(coupon.template.name, coupon.status)
"""


def test_the_driver_picks_another_coupon_and_the_quote_and_the_order_follow(platform, browser):
    platform.manage("shell", "-c", PICKER_SETUP)
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, PICKER_PHONE)

    page.goto(f"{platform.url}/s/{STATION}/1/")
    page.check("input[name=choice][value='10000']")
    best = _line_labels(page, "table.quote[data-fen='10000'] .quote-line td:first-child")
    assert any(label.startswith("8元油品券: ") for label in best), best  # the engine's pick: the larger coupon

    page.select_option("#coupon", label=page.locator("#coupon option", has_text="3元油品券").inner_text())
    page.wait_for_selector("#quote-live .quote-line")
    picked = _line_labels(page, "#quote-live .quote-line td:first-child")
    assert any(label.startswith("3元油品券: ") and "-¥3.00" in label for label in picked), picked
    assert not any(label.startswith("8元油品券") for label in picked)
    assert page.locator("table.quote[data-fen='10000']").is_hidden()
    shot(page, "promotion-4-coupon-picked")

    page.select_option("#coupon", value="none")
    expect(page.locator("#quote-live")).not_to_contain_text("3元油品券")
    assert not any("油品券" in label for label in _line_labels(page, "#quote-live .quote-line td:first-child"))

    page.select_option("#coupon", label=page.locator("#coupon option", has_text="3元油品券").inner_text())
    page.click("#confirm")
    page.wait_for_url("**/orders/**")
    assert platform.manage("shell", "--no-imports", "-c", COUPON_STATUSES).splitlines() == [
        "8元油品券 available",
        "3元油品券 locked",
    ]
    page.click("#cancel")  # the pump is free again for the other flows
    page.wait_for_selector("#failure-message[data-code=cancelled]", timeout=15_000)
    assert platform.manage("shell", "--no-imports", "-c", COUPON_STATUSES).splitlines() == [
        "8元油品券 available",
        "3元油品券 available",
    ]
