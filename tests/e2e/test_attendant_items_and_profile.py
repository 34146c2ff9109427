"""The attendant adds a non-fuel item to a driver's open order from the console, the driver's receipt shows
it and the ledger's one capture includes it; the driver's vehicles and devices pages on a phone."""

import json

import pytest

from .conftest import PHONE, accessibility_problems, shot
from .test_driver_flows import (
    STATION,
    console_sign_in,
    fuel_until_the_preset_stops_the_pump,
    ledger_is_exact,
    lift_nozzle,
    sign_in,
    wait_receipt,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CAPTURE_OF_ORDER = """
import json
from orders.models import FuelOrder
from wallet.models import JournalEntry
order = FuelOrder.objects.get(order_no={order_no!r})
capture = JournalEntry.objects.get(operation="capture", reference=order.order_no)
credited = sum(line.amount_fen for line in capture.lines.filter(side="C", phase="posted"))
items = [line.paid_fen for line in order.lines.filter(kind="non_fuel")]
print(json.dumps({{"paid": order.paid_fen, "captured": credited, "non_fuel": capture.non_fuel_fen, "items": items}}))
"""


def test_attendant_adds_an_item_to_the_open_order_and_it_is_captured_with_the_fuel(platform, browser):
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, "13800000001", next_path=f"/s/{STATION}/1/")
    page.check("input[name=choice][value='10000']")
    page.click("#confirm")
    page.wait_for_url("**/orders/**")
    page.wait_for_selector("#status[data-status=authorized]", timeout=15_000)
    code = page.inner_text("#dynamic-code").strip()
    order_no = page.url.rstrip("/").rsplit("/", 1)[-1]

    # axe-core is injected as an inline script, which the pages' CSP rightly refuses: the checker bypasses it.
    tablet = console_sign_in(platform, browser, bypass_csp=True)
    tablet.fill("#code-input", code)
    tablet.click("#code-check .btn")
    tablet.wait_for_selector(".code-match")
    form = tablet.locator("form.items-add")
    form.locator("select[name=item]").select_option(label="矿泉水 550ml · ¥3.00")
    form.locator("input[name=quantity]").fill("1")
    shot(tablet, "items-1-attendant-adds-an-item")
    form.locator("button").click()
    tablet.wait_for_selector("text=商品已加入订单")
    assert "¥3.00" in tablet.inner_text(".code-match")
    shot(tablet, "items-2-item-on-the-order")
    assert accessibility_problems(tablet) == []

    fills_before = lift_nozzle(platform, pump=1)
    fuel_until_the_preset_stops_the_pump(platform, pump=1, fills_before=fills_before)
    platform.simulator("/pumps/1/hangup", {})
    wait_receipt(page)
    shot(page, "items-3-receipt-with-the-attendants-item")
    assert page.inner_text("#receipt-non-fuel") == "¥3.00"
    assert "矿泉水" in page.inner_text("#receipt-lines .line-non_fuel")

    capture = json.loads(platform.manage("shell", "--no-imports", "-c", CAPTURE_OF_ORDER.format(order_no=order_no)))
    assert capture["captured"] == capture["paid"]  # fuel and the item in one posting
    assert capture["non_fuel"] == sum(capture["items"]) > 0  # the entry keeps the item's part apart
    ledger_is_exact(platform)


def test_vehicles_and_devices_pages_on_a_phone(platform, browser):
    # axe-core is injected as an inline script, which the pages' CSP rightly refuses: the checker bypasses it.
    page = browser.new_context(**PHONE, locale="zh-CN", bypass_csp=True).new_page()
    sign_in(platform, page, "13800000002")
    page.click("#vehicles-link")
    page.wait_for_url("**/me/vehicles/")
    vehicles_before = page.locator(".vehicle").count()
    page.fill("#plate", "ABC123")
    page.click("#add-vehicle")
    assert "车牌号" in page.inner_text("#error")
    assert page.locator(".vehicle").count() == vehicles_before  # refused: nothing added
    assert page.input_value("#plate") == "ABC123"  # the form keeps what was typed
    shot(page, "profile-1-vehicle-refused")
    page.fill("#plate", "沪A·66688")
    page.select_option("#grade", label="95#汽油")
    page.click("#add-vehicle")
    page.wait_for_selector(".vehicle:has-text('沪A·***88')")
    assert "66688" not in page.inner_text("#vehicles")
    shot(page, "profile-2-vehicles")
    assert accessibility_problems(page) == []
    page.locator(".vehicle:has-text('沪A·***88') button").click()
    page.wait_for_selector(".vehicle:has-text('沪A·***88')", state="detached")

    page.goto(f"{platform.url}/me/")
    page.click("#devices-link")
    page.wait_for_url("**/me/devices/")
    assert page.locator(".device.current #current-device").count() == 1
    shot(page, "profile-3-devices")
    assert accessibility_problems(page) == []
