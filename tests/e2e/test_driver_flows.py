"""A driver at the pump on a phone, an attendant at a tablet: prepaid and postpaid, end to end through the
running platform and the forecourt simulator, with the ledger checked afterwards. Screenshots go to docs/."""

import pytest

from .conftest import PHONE, TABLET, accessibility_problems, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STATION = "demo-pudong"
DEMO_PASSWORD = "fuelpay-demo"


def sign_in(platform, page, phone: str, *, next_path: str = "/me/") -> None:
    page.goto(f"{platform.url}/login/?next={next_path}")
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_url("**/login/verify/**")
    page.fill("#code", platform.last_sms_code(phone))
    page.click("#verify")
    page.wait_for_url(f"**{next_path}")


def wallet(page, platform) -> dict:
    return page.request.get(f"{platform.url}/api/wallet/").json()


def assert_receipt_matches_the_wallet(page, platform, before: dict, *, preset_fen: int) -> dict:
    after = wallet(page, platform)
    spent = (before["principal_fen"] + before["bonus_fen"]) - (after["principal_fen"] + after["bonus_fen"])
    assert preset_fen - 100 <= spent <= preset_fen
    assert page.inner_text("#receipt-total") == _yuan(spent)
    return after


def ledger_is_exact(platform) -> None:
    platform.manage(
        "shell", "--no-imports", "-c", "from wallet.services.chain import ledger_chain_extend; ledger_chain_extend()"
    )
    assert "ledger OK" in platform.manage("verify_ledger")


def lift_nozzle(platform, *, pump: int) -> int:
    """The driver lifts the nozzle (fast flow keeps the test short); returns the pump's fill count before."""
    platform.simulator(f"/pumps/{pump}/flow", {"ml_per_s": 4000})
    fills_before = platform.simulator("/")["pumps"][str(pump)]["fills_completed"]
    platform.simulator(f"/pumps/{pump}/lift", {"nozzle": 1})
    return fills_before


def fuel_until_the_preset_stops_the_pump(platform, *, pump: int, fills_before: int) -> None:
    platform.wait_for(
        lambda: platform.simulator("/")["pumps"][str(pump)]["fills_completed"] > fills_before, 30, "preset reached"
    )


def wait_receipt(page) -> None:
    page.wait_for_selector("#receipt:not([hidden])", timeout=60_000)


def test_prepaid_pay_at_the_pump(platform, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{platform.url}/s/{STATION}/1/")
    shot(page, "prepaid-1-scan-nozzle")
    page.click("#sign-in-to-pay")
    page.fill("#phone", "13800000001")
    page.click("#send-code")
    shot(page, "prepaid-2-sms-code")
    page.fill("#code", platform.last_sms_code("13800000001"))
    page.click("#verify")
    page.wait_for_url(lambda url: f"/s/{STATION}/1/" in url)
    before = wallet(page, platform)

    page.check("input[name=choice][value='10000']")
    assert page.locator("table.quote[data-fen='10000'] .quote-line").count() == 2  # fuel, then 明折明扣
    shot(page, "prepaid-3-amount-and-discount")
    page.click("#confirm")
    page.wait_for_url("**/orders/**")
    page.wait_for_selector("#status[data-status=authorized]", timeout=15_000)
    assert len(page.inner_text("#dynamic-code").strip()) == 4
    shot(page, "prepaid-4-authorized-dynamic-code")

    fills_before = lift_nozzle(platform, pump=1)
    page.wait_for_selector("#status[data-status=fuelling]", timeout=15_000)
    shot(page, "prepaid-5-fuelling")
    fuel_until_the_preset_stops_the_pump(platform, pump=1, fills_before=fills_before)
    platform.simulator("/pumps/1/hangup", {})
    wait_receipt(page)
    shot(page, "prepaid-6-receipt")
    # An amount preset stops on the last whole 10 ml it pays for; the rest of the hold goes back.
    after = assert_receipt_matches_the_wallet(page, platform, before, preset_fen=10_000)
    assert after["held_fen"] == before["held_fen"] == 0
    ledger_is_exact(platform)
    context.close()


def test_postpaid_attendant_authorizes_and_driver_pays_once(platform, browser):
    tablet = browser.new_context(**TABLET, locale="zh-CN").new_page()
    tablet.goto(f"{platform.url}/admin/login/?next=/console/{STATION}/")
    tablet.fill("#id_username", "cashier")
    tablet.fill("#id_password", DEMO_PASSWORD)
    tablet.click("input[type=submit]")
    tablet.wait_for_selector("#nozzle-3 .authorize:not([disabled])", timeout=15_000)
    shot(tablet, "postpaid-1-attendant-console")
    tablet.fill("#nozzle-3 input[name=amount_yuan]", "50")
    tablet.click("#nozzle-3 .authorize")
    tablet.wait_for_selector("#nozzle-3[data-state=authorised]", timeout=15_000)

    fills_before = lift_nozzle(platform, pump=2)
    fuel_until_the_preset_stops_the_pump(platform, pump=2, fills_before=fills_before)
    platform.simulator("/pumps/2/hangup", {})
    tablet.wait_for_selector("#unpaid .unpaid-fill:has-text('3号枪')", timeout=15_000)
    shot(tablet, "postpaid-2-unpaid-fill-on-console")

    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, "13800000002")
    before = wallet(page, platform)
    page.goto(f"{platform.url}/s/{STATION}/")
    shot(page, "postpaid-3-station")
    page.click("#pay-later")
    page.fill("#nozzle-number", "3")
    page.click("#find-fills")
    page.wait_for_selector("form.fill")
    shot(page, "postpaid-4-pick-fill")
    page.click("form.fill .pay-fill")
    wait_receipt(page)
    shot(page, "postpaid-5-receipt")
    assert_receipt_matches_the_wallet(page, platform, before, preset_fen=5_000)

    # Paid exactly once: the fill is gone for everyone.
    page.goto(f"{platform.url}/s/{STATION}/pay-later/?nozzle=3")
    assert page.locator("#no-fills").is_visible()
    ledger_is_exact(platform)


def test_first_time_driver_signs_in_at_the_nozzle_tops_up_inline_and_pays(platform, browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{platform.url}/s/{STATION}/2/")
    page.click("#sign-in-to-pay")
    page.fill("#phone", "13900000077")
    page.click("#send-code")
    page.fill("#code", platform.last_sms_code("13900000077"))
    page.click("#verify")
    page.wait_for_url(lambda url: f"/s/{STATION}/2/" in url)
    # ¥0: no amount can be chosen, the reason is given and a top-up is offered right here.
    assert page.locator("input[name=choice][data-fen]:disabled").count() == 4
    assert page.locator("#over-balance").is_visible()
    shot(page, "first-time-1-empty-wallet-at-nozzle")
    assert page.locator("#top-up-form input[name=tier_yuan]:checked").input_value() == "200.00"
    page.click("#top-up")
    page.wait_for_url("**/sim/pay/**")
    page.click("#sim-pay")
    page.wait_for_selector("#back-to-nozzle")
    platform.wait_for(lambda: wallet(page, platform)["principal_fen"] == 20_000, 30, "top-up credited")
    page.click("#back-to-nozzle")
    page.wait_for_url(lambda url: f"/s/{STATION}/2/" in url)
    assert page.locator("input[name=choice][value='10000']").is_enabled()
    shot(page, "first-time-2-back-at-nozzle-after-top-up")
    page.check("input[name=choice][value='10000']")
    page.click("#items summary")
    page.locator("#items tr:has-text('矿泉水') input.qty").fill("2")
    shot(page, "first-time-3-items-on-the-order")
    page.click("#confirm")
    page.wait_for_url("**/orders/**")
    page.wait_for_selector("#status[data-status=authorized]", timeout=15_000)
    fills_before = platform.simulator("/")["pumps"]["1"]["fills_completed"]
    platform.simulator("/pumps/1/flow", {"ml_per_s": 4000})
    platform.simulator("/pumps/1/lift", {"nozzle": 2})
    fuel_until_the_preset_stops_the_pump(platform, pump=1, fills_before=fills_before)
    platform.simulator("/pumps/1/hangup", {})
    wait_receipt(page)
    shot(page, "first-time-4-receipt-with-items")
    assert page.inner_text("#receipt-non-fuel") == "¥6.00"
    assert "2 × ¥3.00" in page.inner_text("#receipt-lines .line-non_fuel")
    ledger_is_exact(platform)
    context.close()


def console_sign_in(platform, browser, viewport=TABLET, bypass_csp=False):
    tablet = browser.new_context(**viewport, locale="zh-CN", bypass_csp=bypass_csp).new_page()
    tablet.goto(f"{platform.url}/admin/login/?next=/console/{STATION}/")
    tablet.fill("#id_username", "cashier")
    tablet.fill("#id_password", DEMO_PASSWORD)
    tablet.click("input[type=submit]")
    tablet.wait_for_selector("#nozzle-3 .authorize:not([disabled])", timeout=15_000)
    return tablet


def attendant_fill(platform, tablet, *, yuan: str) -> str:
    """The attendant starts pump 2 (nozzle 3), the car is filled, the nozzle hung up: the unpaid fill's row
    (earlier fills on the console are closed by now, so it is the only one)."""
    tablet.fill("#nozzle-3 input[name=amount_yuan]", yuan)
    tablet.click("#nozzle-3 .authorize")
    tablet.wait_for_selector("#nozzle-3[data-state=authorised]", timeout=15_000)
    fills_before = lift_nozzle(platform, pump=2)
    fuel_until_the_preset_stops_the_pump(platform, pump=2, fills_before=fills_before)
    platform.simulator("/pumps/2/hangup", {})
    return tablet.wait_for_selector("#unpaid .unpaid-fill", timeout=15_000).get_attribute("id")


def test_console_closes_unpaid_fills_at_the_counter_and_as_a_drive_off(platform, browser):
    tablet = console_sign_in(platform, browser)
    tablet.fill("#code-input", "12")
    tablet.click("#code-check .btn")
    tablet.wait_for_selector("#code-error")
    tablet.fill("#code-input", "9999")
    tablet.click("#code-check .btn")
    tablet.wait_for_selector("#code-no-match")
    shot(tablet, "console-1-code-check")

    # One pump, one car: while nozzle 3 is authorized the other nozzle of pump 2 cannot be started.
    tablet.fill("#nozzle-3 input[name=amount_yuan]", "21")
    tablet.click("#nozzle-3 .authorize")
    tablet.wait_for_selector("#nozzle-4[data-busy=true] .authorize[disabled]", timeout=15_000)
    assert "3号枪" in tablet.inner_text("#nozzle-4 .state")
    shot(tablet, "console-2-busy-pump")
    fills_before = lift_nozzle(platform, pump=2)
    fuel_until_the_preset_stops_the_pump(platform, pump=2, fills_before=fills_before)
    platform.simulator("/pumps/2/hangup", {})
    counter = tablet.wait_for_selector("#unpaid .unpaid-fill", timeout=15_000).get_attribute("id")
    shot(tablet, "console-3-unpaid-fill")
    tablet.select_option(f"#{counter} select[name=tender]", "bank_card")
    tablet.click(f"#{counter} form.counter .btn")
    tablet.wait_for_selector("text=已记录为柜台收款")
    tablet.wait_for_selector("#unpaid .unpaid-fill", state="detached", timeout=15_000)
    shot(tablet, "console-4-paid-at-counter")

    drive_off = attendant_fill(platform, tablet, yuan="22")
    tablet.fill(f"#{drive_off} input[name=note]", "沪A·12345")
    tablet.click(f"#{drive_off} form.drive-off .btn")
    tablet.wait_for_selector("text=已登记为逃单")
    tablet.wait_for_selector(f"#{drive_off}", state="detached", timeout=15_000)
    shot(tablet, "console-5-drive-off")


@pytest.mark.parametrize(
    "viewport", [TABLET, {"viewport": {"width": 768, "height": 1024}}], ids=["landscape", "portrait"]
)
def test_console_layout_fits_a_counter_tablet(platform, browser, viewport):
    tablet = console_sign_in(platform, browser, viewport)
    width = viewport["viewport"]["width"]
    assert tablet.evaluate("document.documentElement.scrollWidth") <= width
    for card in tablet.query_selector_all(".nozzle"):
        box, label = card.bounding_box(), card.query_selector(".preset-label").bounding_box()
        assert label["x"] + label["width"] <= box["x"] + box["width"]
        field = card.query_selector("input[name=amount_yuan]")
        assert field.evaluate("(e) => e.scrollWidth <= e.clientWidth")
    shot(tablet, f"console-layout-{width}x{viewport['viewport']['height']}")


def test_postpaid_fill_paid_directly_through_the_provider(platform, browser):
    tablet = console_sign_in(platform, browser)
    attendant_fill(platform, tablet, yuan="30")
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, "13900000088")  # a new driver with an empty wallet
    page.goto(f"{platform.url}/s/{STATION}/pay-later/?nozzle=3")
    page.wait_for_selector("form.fill")
    shot(page, "direct-1-pick-fill")
    page.click("form.fill .pay-direct")
    page.wait_for_url("**/sim/pay/**")
    shot(page, "direct-2-provider")
    page.click("#sim-pay")
    page.click("#back-to-nozzle")
    wait_receipt(page)  # the waiting page refreshes itself until the fill is paid
    shot(page, "direct-3-receipt")
    tablet.wait_for_selector("#unpaid .unpaid-fill", state="detached", timeout=15_000)
    after = wallet(page, platform)
    assert after["principal_fen"] == after["bonus_fen"] == 0
    ledger_is_exact(platform)


def test_transfer_contract_and_language_switch_on_a_phone(platform, browser):
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, "13800000001")
    page.click("#go-transfer")
    page.fill("#phone", "13800000003")
    page.fill("#amount", "50")
    page.click("#review-transfer")
    assert page.inner_text("#recipient") == "138****0003"
    shot(page, "transfer-1-confirm-masked-recipient")
    page.click("#confirm-transfer")
    page.wait_for_url("**/me/history/")
    assert "¥50.00 已转给 138****0003" in page.inner_text("main")
    shot(page, "transfer-2-history")

    page.goto(f"{platform.url}/me/contracts/")
    offer = page.locator("form.offer").first
    offer.locator("input[name=agree]").check()
    offer.locator(".join").click()
    page.wait_for_selector("#my-contracts .contract[data-status=active]")
    shot(page, "contract-1-joined")
    page.goto(f"{platform.url}/s/{STATION}/1/")
    page.check("input[name=choice][value='10000']")
    page.click("#confirm")
    page.wait_for_selector("#status[data-status=authorized]", timeout=15_000)
    fills_before = lift_nozzle(platform, pump=1)
    fuel_until_the_preset_stops_the_pump(platform, pump=1, fills_before=fills_before)
    platform.simulator("/pumps/1/hangup", {})
    wait_receipt(page)
    page.goto(f"{platform.url}/me/contracts/")
    progress = page.locator("#my-contracts .contract[data-status=active] progress")
    assert int(progress.get_attribute("value")) == 9  # ¥99.xx of ¥1,000 (the preset stops on whole 10 ml)
    shot(page, "contract-2-progress")

    page.select_option("#language", "en")
    page.click("#switch-language")
    page.wait_for_selector("html[lang=en]")
    assert "My contracts" in page.inner_text("main")
    shot(page, "language-1-english")
    page.goto(f"{platform.url}/me/")
    assert "Wallet history" in page.inner_text("main")
    page.select_option("#language", "zh-hans")
    page.click("#switch-language")
    page.wait_for_selector("html[lang=zh-hans]")


def test_top_up_through_the_payment_simulator(platform, browser):
    page = browser.new_context(**PHONE, locale="zh-CN").new_page()
    sign_in(platform, page, "13800000003")
    before = wallet(page, platform)
    shot(page, "wallet-1-home")
    page.fill("#top-up-amount", "123.45")
    page.click("#top-up")
    page.wait_for_url("**/sim/pay/**")
    shot(page, "wallet-2-payment-simulator")
    page.click("#sim-pay")
    page.wait_for_selector("#sim-paid")
    # The provider's signed notification arrives asynchronously (worker → notify URL); then it is credited.
    platform.wait_for(
        lambda: wallet(page, platform)["principal_fen"] == before["principal_fen"] + 12_345, 30, "top-up credited"
    )
    page.click("#back-to-wallet")
    assert page.inner_text("#principal") == _yuan(before["principal_fen"] + 12_345)
    ledger_is_exact(platform)


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


DRIVER_PAGES = [
    f"/s/{STATION}/",
    f"/s/{STATION}/1/",
    f"/s/{STATION}/pay-later/?nozzle=3",
    "/me/",
    "/me/history/",
    "/me/transfer/",
    "/me/contracts/",
    "/orders/no-such-order/",
]


def test_driver_and_console_pages_have_no_serious_accessibility_problems(platform, browser):
    # axe-core is injected as an inline script, which the pages' CSP rightly refuses: the checker bypasses it.
    page = browser.new_context(**PHONE, locale="zh-CN", bypass_csp=True).new_page()
    page.goto(f"{platform.url}/s/{STATION}/1/")
    problems = {"/s/…/1/ (signed out)": accessibility_problems(page)}
    sign_in(platform, page, "13800000002")
    for path in DRIVER_PAGES:
        page.goto(platform.url + path)
        problems[path] = accessibility_problems(page)
    tablet = console_sign_in(platform, browser, bypass_csp=True)
    problems["/console/"] = accessibility_problems(tablet)
    found = {path: lines for path, lines in problems.items() if lines}
    assert not found, "\n".join(f"{path}: {line}" for path, lines in found.items() for line in lines)
