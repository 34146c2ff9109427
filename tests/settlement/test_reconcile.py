"""Three-way reconciliation (fills ↔ orders ↔ ledger) and the provider's statement ↔ top-ups: each
problem of the seeded day is found once, and resolved by a person with a note."""

import csv

import pytest

from settlement.enums import DiscrepancyKind as K
from settlement.enums import DiscrepancyStatus
from settlement.exceptions import BadStatement, SettlementTransitionNotAllowed
from settlement.models import Discrepancy, ProviderStatementLine
from settlement.services.days import business_day_bounds
from settlement.services.reconcile import discrepancy_transition, reconcile_day, statement_path
from tests.factories.stations import UserFactory
from tests.settlement.test_settle_day import seed_two_days
from wallet.services.simulator import payment_simulator_statement_write

pytestmark = pytest.mark.django_db


def _provider_statement(day, *, drop: str, extra: list[str]):
    """The simulator's bill for the day, then one line lost and one line we never saw added."""
    path = statement_path(day)
    start, end = business_day_bounds(day)
    assert payment_simulator_statement_write(start=start, end=end, path=path) == 2
    rows = [row for row in csv.reader(path.open(encoding="utf-8")) if row[1] != drop]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([*rows, extra])


def test_every_problem_of_the_day_is_found_once(seeder, day):
    orders = seed_two_days(seeder, day)
    missing = seeder.driver.top_up_orders.get(idempotency_key="t2")
    _provider_statement(
        day, drop=missing.out_trade_no, extra=["2026-01-01 09:00:00", "TUNKNOWN", "SIMX1", "SUCCESS", "200.00"]
    )

    result = reconcile_day(business_date=day)

    found = {(d.kind, d.key) for d in Discrepancy.objects.all()}
    duplicate = Discrepancy.objects.get(kind=K.DUPLICATE_FILL)
    drive_off = Discrepancy.objects.get(kind=K.FILL_WITHOUT_ORDER)
    assert found == {
        (K.DUPLICATE_FILL, f"fill:{duplicate.fill_id}"),
        (K.FILL_WITHOUT_ORDER, f"fill:{drive_off.fill_id}"),
        (K.ORDER_WITHOUT_FILL, f"order:{orders['s4'].order_no}"),
        (K.PROVIDER_MISSING, f"top_up:{missing.out_trade_no}"),
        (K.PROVIDER_EXTRA, "statement:SIMX1"),
    }
    assert (result.found, result.statement_lines) == (5, 2)
    assert drive_off.expected_fen == 6_000 and duplicate.fill_id != orders["s1"].fill_id
    assert Discrepancy.objects.get(kind=K.PROVIDER_EXTRA).actual_fen == 20_000
    assert set(Discrepancy.objects.values_list("status", flat=True)) == {DiscrepancyStatus.OPEN}

    again = reconcile_day(business_date=day)
    assert again.found == 0 and Discrepancy.objects.count() == 5


def test_order_and_fill_disagreeing_on_litres_or_amount_are_found(seeder, day):
    from tests.settlement.conftest import DISCOUNT, FUEL, at

    seeder.top_up(50_000, when=at(day, 8), key="t")
    fill = seeder.fill(seeder.nozzle_92, volume_ml=10_000, amount_fen=7_350, when=at(day, 9))
    order = seeder.sale(
        seeder.nozzle_92,
        lines=[(FUEL, 7_700, ""), (DISCOUNT, -300, "station")],
        volume_ml=10_100,
        when=at(day, 9, 1),
        fill=fill,
    )
    reconcile_day(business_date=day)
    findings = {d.kind: (d.expected_fen, d.actual_fen) for d in Discrepancy.objects.filter(order=order)}
    assert findings == {K.VOLUME_MISMATCH: (10_000, 10_100), K.AMOUNT_MISMATCH: (7_350, 7_400)}


def test_a_finding_is_explained_then_closed_with_who_and_how(seeder, day):
    seed_two_days(seeder, day)
    reconcile_day(business_date=day)
    finding = Discrepancy.objects.get(kind=K.FILL_WITHOUT_ORDER)
    finance = UserFactory()

    discrepancy_transition(discrepancy_id=finding.pk, to_status="explained", actor=finance, note="驾车逃单，已报警")
    discrepancy_transition(discrepancy_id=finding.pk, to_status="closed", actor=finance, note="站长确认")

    finding.refresh_from_db()
    assert (finding.status, finding.resolved_by) == (DiscrepancyStatus.CLOSED, finance)
    assert finding.resolution == "驾车逃单，已报警\n站长确认"


@pytest.mark.parametrize(("to_status", "note"), [("closed", "skip a step"), ("explained", "  ")])
def test_a_bad_resolution_is_refused_and_changes_nothing(seeder, day, to_status, note):
    seed_two_days(seeder, day)
    reconcile_day(business_date=day)
    finding = Discrepancy.objects.get(kind=K.ORDER_WITHOUT_FILL)
    with pytest.raises(SettlementTransitionNotAllowed):
        discrepancy_transition(discrepancy_id=finding.pk, to_status=to_status, actor=UserFactory(), note=note)
    finding.refresh_from_db()
    assert (finding.status, finding.resolution, finding.resolved_by) == (DiscrepancyStatus.OPEN, "", None)


def test_a_malformed_statement_is_refused_and_changes_nothing(seeder, day):
    seed_two_days(seeder, day)
    statement_path(day).write_text("trade_time,out_trade_no\nnot,a,bill\n", encoding="utf-8")
    with pytest.raises(BadStatement):
        reconcile_day(business_date=day)
    assert not Discrepancy.objects.exists() and not ProviderStatementLine.objects.exists()


def test_a_fill_paid_at_the_counter_is_no_discrepancy_and_a_reported_drive_off_says_so(seeder, day):
    from orders.enums import FillResolutionKind
    from orders.models import FillResolution
    from tests.settlement.conftest import at

    cash = seeder.fill(seeder.nozzle_92, volume_ml=10_000, amount_fen=7_350, when=at(day, 9))
    gone = seeder.fill(seeder.nozzle_92, volume_ml=5_000, amount_fen=3_675, when=at(day, 10))
    FillResolution.objects.create(
        fill=cash, station=seeder.station, kind=FillResolutionKind.COUNTER, tender="cash", amount_fen=7_350
    )
    FillResolution.objects.create(fill=gone, station=seeder.station, kind=FillResolutionKind.DRIVE_OFF, amount_fen=0)

    reconcile_day(business_date=day)

    finding = Discrepancy.objects.get()
    assert (finding.kind, finding.fill, finding.detail) == (K.FILL_WITHOUT_ORDER, gone, "drive_off")
