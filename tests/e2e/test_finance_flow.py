"""Finance on a desktop browser against the running platform: settles yesterday, resolves a discrepancy,
has a payout batch released by a second approver, downloads the XLSX. Screenshots go to docs/."""

import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from .conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
DEMO_PASSWORD = "fuelpay-demo"
# Yesterday at one of the demo enterprise's stations: two paid sales and a drive-off (a fill nobody paid).
SEED_YESTERDAY = """
import io
from datetime import timedelta
from pathlib import Path
from django.utils import timezone
from stations.models import Station
from tests.factories.stations import StationFactory
from tests.settlement.conftest import DISCOUNT, FUEL, Seeder, at
day = timezone.localdate() - timedelta(days=1)
enterprise = Station.objects.get(code="demo-pudong").enterprise
s = Seeder(StationFactory(enterprise=enterprise, code="e2e-finance", name="结算演示站"))
s.top_up(100_000, when=at(day, 8), key="e2e-finance-top-up")
for hour, litres in ((9, 20), (11, 30)):
    fill = s.fill(s.nozzle_92, volume_ml=litres * 1000, amount_fen=litres * 735, when=at(day, hour))
    s.sale(s.nozzle_92, lines=[(FUEL, litres * 765, ""), (DISCOUNT, -litres * 30, "station")],
           volume_ml=litres * 1000, when=at(day, hour, 1), fill=fill)
s.fill(s.nozzle_92, volume_ml=8000, amount_fen=5880, when=at(day, 13))
"""


def sign_in(browser, platform, username: str):
    page = browser.new_context(**DESKTOP, locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{platform.url}/admin/login/?next=/finance/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/finance/")
    return page


def test_finance_settles_yesterday_resolves_a_discrepancy_pays_out_and_exports(platform, browser):
    platform.manage("shell", "--no-imports", "-c", SEED_YESTERDAY)
    finance = sign_in(browser, platform, "finance")

    finance.click("#close-day")
    finance.wait_for_selector("#days tbody tr:has-text('结算演示站')")
    # 20 L + 30 L at ¥7.35: ¥367.50 captured, less 0.3 % (¥0.44 + ¥0.66) = ¥366.40 payable. (The demo
    # station's own sales of yesterday are settled in the same run: its row is beside this one.)
    assert finance.locator("#days tbody tr", has_text="结算演示站").locator("td.net").inner_text() == "¥366.40"
    shot(finance, "finance-1-settled-yesterday")

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "1 new discrepancies" in platform.manage("reconcile", "--date", yesterday)
    finance.goto(f"{platform.url}/finance/discrepancies/")
    finance.click("#discrepancies a")
    finance.select_option("select[name=to_status]", "explained")
    finance.fill("input[name=note]", "驾车逃单，已报警并调取监控")
    shot(finance, "finance-2-discrepancy")
    finance.click("#resolve")
    finance.goto(f"{platform.url}/finance/discrepancies/?status=explained")
    assert finance.locator("#discrepancies tbody tr").count() == 1

    finance.goto(f"{platform.url}/finance/payouts/")
    finance.click("#create-batch")
    finance.wait_for_selector("#batches .release")
    finance.click("#batches .release")  # the creator cannot release: four eyes
    finance.wait_for_selector(".errornote")  # the theme's error message
    checker = sign_in(browser, platform, "ent_admin")
    checker.goto(f"{platform.url}/finance/payouts/")
    checker.click("#batches .release")
    checker.wait_for_selector("#batches tbody tr:first-child a:has-text('银行文件')")
    shot(checker, "finance-3-payout-released-by-second-approver")

    finance.goto(f"{platform.url}/finance/?from={yesterday}&to={yesterday}")
    with finance.expect_download() as download:
        finance.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row[2] == "结算演示站"]
    assert sum(row[12] for row in rows) == pytest.approx(367.50) and sum(row[14] for row in rows) == pytest.approx(1.10)
    assert "ledger OK" in platform.manage("verify_ledger")
