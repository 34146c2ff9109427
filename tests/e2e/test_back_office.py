"""The back office at 1024×768, signed in as each role of the demo: what each sees and may change, the
manager's figures against the ledger, an enterprise admin onboarding a station and its cashier.
Screenshots of each role's home go to docs/screenshots."""

import pytest

from .conftest import TABLET, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DEMO_PASSWORD = "fuelpay-demo"


def sign_in(platform, browser, username: str, password: str = DEMO_PASSWORD):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{platform.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")  # django-otp's sign-in form (issue 12)
    page.wait_for_url(f"{platform.url}/admin/")
    return page


def shot_home(page, role: str) -> None:
    """The role's home, then the same with its menu open (at 1024 px the sidebar folds away)."""
    shot(page, f"backoffice-{role}-home")
    page.locator("[x-on\\:click='sidebarMobileOpen = !sidebarMobileOpen']:visible").first.click()
    page.wait_for_timeout(300)
    shot(page, f"backoffice-{role}-menu")
    page.keyboard.press("Escape")


def sidebar(page) -> str:
    return (
        page.inner_text("#nav-sidebar-inner") if page.locator("#nav-sidebar-inner").count() else page.inner_text("nav")
    )


def ledger_sales_today(platform, station_code: str) -> str:
    code = (
        "from datetime import timedelta; from django.utils import timezone; from core.money import format_fen; "
        "from stations.models import Station; from wallet.selectors import station_sales_posted_fen; "
        "now = timezone.now(); midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0); "
        f"ids = list(Station.objects.filter(code='{station_code}').values_list('pk', flat=True)); "
        "print(format_fen(station_sales_posted_fen(station_ids=ids, start=midnight, end=now + timedelta(seconds=1))))"
    )
    return platform.manage("shell", "--no-imports", "-c", code).split()[-1]


def test_station_manager_home_matches_the_ledger_and_tables_read_at_1024(platform, browser):
    page = sign_in(platform, browser, "manager")
    page.wait_for_selector("[data-testid=dashboard]")
    expected = ledger_sales_today(platform, "demo-pudong")
    assert expected != "¥0.00"  # the demo drivers' three sales this morning at least
    assert page.inner_text("[data-kpi='1']") == expected
    assert page.inner_text("[data-kpi='2']") == page.inner_text("[data-kpi='3']") != "0"  # every fill paid
    assert "周末直降0.30元/升" in page.inner_text("[data-testid=promotion-costs]")
    assert "潜力客户促活" in page.inner_text("[data-testid=campaign-uplift]")
    assert "今日销售额" in page.content() and "按油品销售额" in page.content()
    assert page.locator("canvas.chart").count() == 3
    shot_home(page, "station-manager")
    page.goto(f"{platform.url}/admin/stations/station/")
    name_cell = page.get_by_text("浦东世纪大道加油站").first.bounding_box()
    assert name_cell["width"] > name_cell["height"]  # the name reads on one line, not one character per line
    assert page.get_by_text("示范石化连锁").count() >= 1 and page.get_by_text("徐汇漕溪北路加油站").count() == 0


def test_cashier_sees_sales_but_cannot_change_a_price(platform, browser):
    page = sign_in(platform, browser, "cashier")
    shot_home(page, "cashier")
    assert "加油订单" in page.content() and "油价" not in sidebar(page)
    response = page.goto(f"{platform.url}/admin/stations/gradeprice/add/")
    assert response.status == 403
    response = page.goto(f"{platform.url}/admin/stations/gradeprice/")
    assert response.status == 403


def test_finance_sees_payments_and_the_ledger_not_the_setup(platform, browser):
    page = sign_in(platform, browser, "finance")
    shot_home(page, "finance")
    menu = sidebar(page)
    assert "加油记录" in menu and "记账凭证" in menu and "油站与员工" not in menu
    page.goto(f"{platform.url}/admin/wallet/hold/")
    assert "¥300.00" in page.content()  # demo fill-1, shown in yuan
    assert page.goto(f"{platform.url}/admin/stations/station/").status == 403


def test_platform_admin_home_has_enterprises_fee_contracts_pump_lines_and_the_audit_log(platform, browser):
    page = sign_in(platform, browser, "admin")
    shot_home(page, "platform-admin")
    home = page.locator("[data-testid=platform-home]")
    assert "示范石化连锁" in home.inner_text() and "demo-pudong-line" in home.inner_text()
    for title, list_path in (
        ("企业", "/admin/stations/enterprise/"),
        ("服务费合约", "/admin/settlement/feecontract/"),
        ("油机线路状态", "/admin/pumpgateway/serialline/"),
        ("审计日志", "/admin/core/auditevent/"),
    ):
        assert home.locator(f"a[href='{list_path}']", has_text=title).count() == 1, title
    page.goto(f"{platform.url}/admin/")
    page.click("[data-testid=platform-home] a[href='/admin/core/auditevent/']")
    page.wait_for_url(f"{platform.url}/admin/core/auditevent/")
    assert "station.price.scheduled" in page.content()
    page.goto(f"{platform.url}/admin/pumpgateway/serialline/")
    assert "demo-pudong-line" in page.content() and "3 / 3" in page.content()


def test_enterprise_admin_onboards_a_station_and_creates_a_cashier(platform, browser):
    page = sign_in(platform, browser, "ent_admin")
    shot_home(page, "enterprise-admin")
    page.goto(f"{platform.url}/admin/stations/station/add/")
    page.select_option("#id_enterprise", label="示范石化连锁")
    page.fill("#id_code", "demo-jingan")
    page.fill("#id_name", "静安南京西路加油站")
    page.fill("#id_address", "上海市静安区南京西路1号")
    page.fill("#id_latitude", "31.229")
    page.fill("#id_longitude", "121.455")
    page.click("button[name=_save]")
    page.wait_for_url(f"{platform.url}/admin/stations/station/")
    row = page.locator("tr", has_text="静安南京西路加油站")
    assert "已申请" in row.inner_text()
    page.goto(f"{platform.url}/admin/stations/staffrole/add/")
    page.fill("#id_username", "jingan-cashier")
    page.fill("#id_password", "a-long-pass-phrase-9")
    page.select_option("#id_role", "cashier")
    page.select_option("#id_station", label="静安南京西路加油站")
    page.click("button[name=_save]")
    page.wait_for_url(f"{platform.url}/admin/stations/staffrole/")
    assert "jingan-cashier" in page.content()
    cashier = sign_in(platform, browser, "jingan-cashier", "a-long-pass-phrase-9")
    assert "加油订单" in cashier.content()
