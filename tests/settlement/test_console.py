"""Finance's console: scoped to the enterprise (another enterprise's finance gets 404, other roles 403),
exports open with the right totals, the discrepancy queue and the four-eyes payout through the pages."""

import csv
import io
import re
from itertools import count

import openpyxl
import pytest
from django.test import Client

from settlement.enums import DiscrepancyKind, PayoutStatus
from settlement.models import Discrepancy, PayoutBatch, SettlementDay
from settlement.services.days import settlement_day_close
from settlement.services.payouts import payout_batch_create
from settlement.services.reconcile import reconcile_day
from stations.enums import StaffRoleKind
from tests.factories.stations import StaffRoleFactory, StationFactory
from tests.settlement.conftest import FUEL, Seeder, at
from tests.settlement.test_settle_day import seed_two_days

pytestmark = pytest.mark.django_db


def _client(role, **scope):
    client = Client()
    client.force_login(StaffRoleFactory(role=role, **scope).user)
    return client


@pytest.fixture
def books(seeder, day, fee_contracts):
    seed_two_days(seeder, day)
    settlement_day_close(business_date=day)
    reconcile_day(business_date=day)
    enterprise = seeder.station.enterprise
    return {
        "station": seeder.station,
        "day": SettlementDay.objects.get(business_date=day),
        "finance": _client(StaffRoleKind.FINANCE, enterprise=enterprise),
        "other": _client(StaffRoleKind.FINANCE, enterprise=StationFactory().enterprise),
        "platform": _client(StaffRoleKind.PLATFORM_ADMIN),
        "cashier": _client(StaffRoleKind.CASHIER, station=seeder.station),
    }


def test_finance_sees_its_enterprises_days_and_another_enterprises_finance_sees_none(books, day):
    mine = books["finance"].get("/finance/").content.decode()
    assert books["station"].name in mine and "¥535.39" in mine
    theirs = books["other"].get("/finance/").content.decode()
    assert books["station"].name not in theirs
    assert books["platform"].get("/finance/").status_code == 200
    assert books["cashier"].get("/finance/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/finance/days/{day}/",
        "/finance/days/{day}/pdf/",
        "/finance/discrepancies/{finding}/",
        "/finance/payouts/{batch}/bank-file/",
    ],
)
def test_another_enterprises_finance_gets_404_on_every_object(books, url, django_user_model):
    batch = payout_batch_create(enterprise=books["station"].enterprise, actor=django_user_model.objects.first())
    finding = Discrepancy.objects.filter(station=books["station"]).first()
    target = url.format(day=books["day"].pk, finding=finding.pk, batch=batch.pk)
    assert books["other"].get(target).status_code == 404
    assert books["finance"].get(target).status_code in (200, 302)


def test_another_enterprises_finance_cannot_move_a_batch_or_resolve_a_finding(books, django_user_model):
    batch = payout_batch_create(enterprise=books["station"].enterprise, actor=django_user_model.objects.first())
    finding = Discrepancy.objects.filter(station=books["station"]).first()
    released = books["other"].post(f"/finance/payouts/{batch.pk}/transition/", {"to_status": "released"})
    resolved = books["other"].post(f"/finance/discrepancies/{finding.pk}/", {"to_status": "explained", "note": "x"})
    assert (released.status_code, resolved.status_code) == (404, 404)
    assert PayoutBatch.objects.get().status == PayoutStatus.DRAFT
    assert Discrepancy.objects.get(pk=finding.pk).status == "open"


def test_the_provider_findings_are_the_platforms_only(books):
    Discrepancy.objects.create(
        kind=DiscrepancyKind.PROVIDER_EXTRA, key="statement:X", business_date="2026-01-01", status="open"
    )
    assert "statement:X" not in books["finance"].get("/finance/discrepancies/").content.decode()
    assert "statement:X" in books["platform"].get("/finance/discrepancies/").content.decode()


def test_the_xlsx_and_csv_exports_open_with_the_days_totals(books, day):
    query = f"?from={day}&to={day}"
    xlsx = books["finance"].get(f"/finance/export.xlsx{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6 + 1  # header, six items, totals
    assert rows[-1][12] == pytest.approx(527.50)  # amount: 547.50 captured − 20.00 refunded
    assert rows[-1][14] == pytest.approx(2.11)  # fee

    text = b"".join(books["finance"].get(f"/finance/export.csv{query}").streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[-1][12] == "527.50" and lines[-1][14] == "2.11"
    other = b"".join(books["other"].get(f"/finance/export.csv{query}").streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(other)))) == 2  # header and a zero totals line


def test_the_pdf_is_one_page(books):
    pdf = books["finance"].get(f"/finance/days/{books['day'].pk}/pdf/").content
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page[^s]", pdf)) == 1


def test_a_discrepancy_is_resolved_and_a_batch_released_by_a_second_person_through_the_pages(books, day):
    finding = Discrepancy.objects.get(kind=DiscrepancyKind.FILL_WITHOUT_ORDER)
    books["finance"].post(f"/finance/discrepancies/{finding.pk}/", {"to_status": "explained", "note": "逃单"})
    assert Discrepancy.objects.get(pk=finding.pk).status == "explained"

    books["finance"].post("/finance/payouts/", {"enterprise": books["station"].enterprise_id})
    batch = PayoutBatch.objects.get()
    refused = books["finance"].post(f"/finance/payouts/{batch.pk}/transition/", {"to_status": "released"}, follow=True)
    assert PayoutBatch.objects.get().status == PayoutStatus.DRAFT and "必须由创建人以外的人" in refused.content.decode()
    second = _client(StaffRoleKind.FINANCE, enterprise=books["station"].enterprise)
    second.post(f"/finance/payouts/{batch.pk}/transition/", {"to_status": "released"})
    assert PayoutBatch.objects.get().status == PayoutStatus.RELEASED


def test_finance_closes_a_day_from_the_console(seeder, day):
    from tests.settlement.conftest import FUEL, at

    seeder.top_up(50_000, when=at(day, 8), key="t")
    seeder.sale(seeder.nozzle_92, lines=[(FUEL, 1_000, "")], volume_ml=1_300, when=at(day, 9))
    finance = _client(StaffRoleKind.FINANCE, enterprise=seeder.station.enterprise)
    finance.post("/finance/close/", {"date": day.isoformat()})
    assert SettlementDay.objects.get().net_fen == 997
    before = list(SettlementDay.objects.values())
    finance.post("/finance/close/", {"date": "not-a-date"})
    assert list(SettlementDay.objects.values()) == before


def test_fee_contracts_are_the_platforms_to_add_and_nobody_edits_them(books, django_user_model):
    from settlement.models import FeeContract

    enterprise = books["station"].enterprise
    assert books["finance"].get("/admin/settlement/feecontract/").status_code == 403
    books["platform"].post(
        "/admin/settlement/feecontract/add/",
        {"enterprise": enterprise.pk, "grade": "", "rate_bps": 25, "effective_from": "2030-01-01"},
    )
    contract = FeeContract.objects.get(effective_from="2030-01-01")
    assert contract.rate_bps == 25 and contract.created_by is not None
    books["platform"].post(
        f"/admin/settlement/feecontract/{contract.pk}/change/",
        {"enterprise": enterprise.pk, "grade": "", "rate_bps": 99, "effective_from": "2030-01-01"},
    )
    assert FeeContract.objects.get(pk=contract.pk).rate_bps == 25


def test_finance_reconciles_a_day_from_the_console_as_the_command_would(seeder, day, fee_contracts):
    seed_two_days(seeder, day)
    finance = _client(StaffRoleKind.FINANCE, enterprise=seeder.station.enterprise)
    cashier = _client(StaffRoleKind.CASHIER, station=seeder.station)

    assert cashier.post("/finance/reconcile/", {"date": day.isoformat()}).status_code == 403
    finance.post("/finance/reconcile/", {"date": "not-a-date"})
    assert not Discrepancy.objects.exists()

    response = finance.post("/finance/reconcile/", {"date": day.isoformat()})

    assert response.status_code == 302 and response["Location"] == "/finance/discrepancies/"
    found = set(Discrepancy.objects.values_list("kind", flat=True))
    assert {DiscrepancyKind.FILL_WITHOUT_ORDER, DiscrepancyKind.ORDER_WITHOUT_FILL} <= found
    assert reconcile_day(business_date=day).found == 0  # the page ran the very same reconciliation


def test_a_payout_batch_for_one_station_takes_only_its_days(seeder, day, fee_contracts):
    other = Seeder(station=StationFactory(enterprise=seeder.station.enterprise))
    other._sequence = count(1_000)  # its idempotency keys must not repeat the first seeder's
    for index, shop in enumerate((seeder, other)):
        shop.top_up(50_000, when=at(day, 8), key=f"t{index}")
        shop.sale(shop.nozzle_92, lines=[(FUEL, 1_000 * (index + 1), "")], volume_ml=1_300, when=at(day, 9))
    settlement_day_close(business_date=day)
    finance = _client(StaffRoleKind.FINANCE, enterprise=seeder.station.enterprise)
    stranger = _client(StaffRoleKind.FINANCE, enterprise=StationFactory().enterprise)
    enterprise = seeder.station.enterprise.pk

    assert (
        stranger.post("/finance/payouts/", {"enterprise": enterprise, "station": other.station.pk}).status_code == 404
    )
    finance.post("/finance/payouts/", {"enterprise": enterprise, "station": other.station.pk})

    batch = PayoutBatch.objects.get()
    assert list(batch.items.values_list("station_id", "amount_fen")) == [(other.station.pk, 1_994)]  # ¥20 − 0.3 %
    assert SettlementDay.objects.get(station=seeder.station).status == "closed"
    assert SettlementDay.objects.get(station=other.station).status == "in_payout"
